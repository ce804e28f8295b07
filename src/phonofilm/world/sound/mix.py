"""The clip's soundtrack: ambience bed + dialogue + one sound per contact event, panned, scaled to fit.

Sound is generated from the same event log as the picture, so every impact's onset lands on the sample
round(event.t * rate): the audio-visual sync ground truth is exact by construction.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly

from phonofilm.world.scene import Character, Scene, SceneObject
from phonofilm.world.sound.ambience import ambience_bed
from phonofilm.world.sound.impacts import ImpactParts, impact_parts
from phonofilm.world.sound.lift import HEARD_SPEED, AttackLifter, lifted_attack
from phonofilm.world.sound.splash import splash_sound
from phonofilm.world.state import (
    BACKBOARD,
    FLOOR,
    RIM,
    TANK_FLOOR,
    TANK_WALL,
    WALL_LEFT,
    WALL_RIGHT,
    WATER,
    ContactEvent,
    Simulation,
    Utterance,
)

SAMPLE_RATES = (16000, 22050, 24000, 32000, 44100, 48000)
MIN_AUDIBLE_SPEED = 0.05  # m/s: resting contacts below this make no sound
PEAK_CEILING = 0.9  # a louder mix is scaled down as a whole to peak here
_SALT = 0x50D5  # separates the sound's random streams from the other consumers of the scene seed

# Static surfaces: (material or None for the stage floor, size in m, loudness as a partner)
STATIC_SURFACE_SOUND: dict[str, tuple[str | None, float, float]] = {
    FLOOR: (None, 1.0, 0.5),
    WALL_LEFT: ("concrete", 1.0, 0.4),
    WALL_RIGHT: ("concrete", 1.0, 0.4),
    BACKBOARD: ("wood", 0.6, 0.7),
    RIM: ("metal", 0.25, 1.0),  # the rim rings: "clang"
    TANK_WALL: ("glass", 0.4, 0.8),
    TANK_FLOOR: ("glass", 0.5, 0.6),
}


def pan_gains(x: float, stage_width: float, channels: int) -> np.ndarray:
    """Constant-power gains [channels] for a source at `x` m; the stage spans 10%..90% of the stereo field."""
    if channels == 1:
        return np.ones(1, np.float32)
    p = 0.1 + 0.8 * float(np.clip(x / stage_width, 0.0, 1.0))
    theta = p * np.pi / 2
    return np.array([np.cos(theta), np.sin(theta)], np.float32)


def _partner(scene: Scene, event: ContactEvent) -> tuple[str, float, float]:
    """(material, size, gain) of what the body hit."""
    if event.b in STATIC_SURFACE_SOUND:
        material, size, gain = STATIC_SURFACE_SOUND[event.b]
        return material or scene.stage.floor, size, gain
    try:
        other = scene.body(event.b)
    except KeyError:
        raise ValueError(
            f"contact event at t={event.t}s hits {event.b!r}, which is neither a static surface "
            f"{[*sorted(STATIC_SURFACE_SOUND), WATER]} nor a body of the scene"
        ) from None
    if isinstance(other, Character):
        return "creature", other.height / 2, 0.6
    return other.material, other.size, 1.0  # two free objects both ring fully


def event_sound(scene: Scene, event: ContactEvent, sample_rate: int, rng: np.random.Generator) -> ImpactParts:
    """The (ring, burst) of one contact event, mono float32, both starting at its onset.

    A splash is all ring, with no burst: its own 2 ms attack is sharp.
    """
    body = scene.body(event.a)
    if not isinstance(body, SceneObject):
        raise ValueError(
            f"contact event at t={event.t}s: body {event.a!r} must be an object, not a character"
        )
    if event.kind == "splash" or event.b == WATER:
        return ImpactParts(
            splash_sound(event.speed, sample_rate, rng, size=body.size), np.zeros(0, np.float32)
        )
    if event.kind != "impact":
        raise ValueError(
            f"contact event at t={event.t}s has kind {event.kind!r}; allowed: 'impact', 'splash'"
        )
    material, size, gain = _partner(scene, event)
    return impact_parts(
        body.material,
        material,
        event.speed,
        sample_rate,
        rng,
        size=body.size,
        other_size=size,
        other_gain=gain,
    )


def _add_at(out: np.ndarray, sound: np.ndarray, start: int, gains: np.ndarray) -> None:
    """out[:, start:] += gains[:, None] * sound, clipped to the clip (sounds may start before 0)."""
    n = out.shape[1]
    lo, hi = max(start, 0), min(start + len(sound), n)
    if hi > lo:
        out[:, lo:hi] += gains[:, None] * sound[lo - start : hi - start]


def _resampled(u: Utterance, sample_rate: int) -> np.ndarray:
    if u.sample_rate == sample_rate:
        return u.audio
    ratio = Fraction(sample_rate, u.sample_rate)
    return resample_poly(u.audio, ratio.numerator, ratio.denominator).astype(np.float32)


def fit_peak(x: np.ndarray, ceiling: float = PEAK_CEILING) -> np.ndarray:
    """Scale the whole clip down so its peak is at most `ceiling` (< 1); quieter audio is left untouched.

    The clip is rendered offline, so one gain for all of it is possible: unlike a limiter riding the gain,
    it never pulls a quiet event down because a loud one follows, and keeps every transient's shape.
    """
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return x * np.float32(ceiling / peak) if peak > ceiling else x


def render_audio(
    scene: Scene,
    sim: Simulation,
    utterances: tuple[Utterance, ...],
    sample_rate: int = 16000,
    channels: int = 2,
) -> np.ndarray:
    """The clip's soundtrack, float32 [channels, round(duration * rate)] in (-1, 1).

    Beds and speech go in first, then the contacts in time order, each one's attack lifted if what already
    sounds would mask it (see `lift`); finally the whole clip is scaled to fit (`fit_peak`).
    """
    if sample_rate not in SAMPLE_RATES:
        raise ValueError(f"sample_rate {sample_rate} is not supported; use one of {SAMPLE_RATES}")
    if channels not in (1, 2):
        raise ValueError(f"channels must be 1 (mono) or 2 (stereo), got {channels}")
    n = round(scene.duration * sample_rate)
    bed_seed, fx_seed = np.random.SeedSequence([scene.seed, _SALT]).spawn(2)
    out = ambience_bed(scene.ambience, n, sample_rate, np.random.default_rng(bed_seed))[:channels]  # fresh
    width = scene.stage.width
    characters = {c.id: c for c in scene.characters}
    for u in utterances:
        if u.character not in characters:
            raise ValueError(f"utterance {u.text!r} is spoken by unknown character {u.character!r}")
        gains = pan_gains(characters[u.character].x, width, channels)
        _add_at(out, _resampled(u, sample_rate), round(u.start * sample_rate), gains)
    rng = np.random.default_rng(fx_seed)
    lifter = AttackLifter(sample_rate)
    for event in sorted(sim.events, key=lambda e: e.t):
        if event.speed < MIN_AUDIBLE_SPEED and event.kind == "impact":
            continue
        parts = event_sound(scene, event, sample_rate, rng)
        start, gains = round(event.t * sample_rate), pan_gains(event.x, width, channels)
        lift = lifter.lift(out, start, parts, gains) if event.speed >= HEARD_SPEED else 1.0
        _add_at(out, parts.ring, start, gains)
        _add_at(out, lifted_attack(parts, lift, lifter.window), start, gains)
    return fit_peak(out).astype(np.float32, copy=False)
