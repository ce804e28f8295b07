"""The clip's soundtrack: ambience bed + one sound per contact event + dialogue, panned and limited.

Sound is generated from the same event log as the picture, so every impact's onset lands on the sample
round(event.t * rate): the audio-visual sync ground truth is exact by construction.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly

from phonofilm.world.scene import Character, Scene, SceneObject
from phonofilm.world.sound.ambience import ambience_bed
from phonofilm.world.sound.impacts import impact_sound
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
LIMIT_THRESHOLD = 0.8  # the limiter starts pulling the gain down above this peak
_LIMIT_BLOCK_S = 0.0025
_LIMIT_HOLD_S = 0.05
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


def event_sound(scene: Scene, event: ContactEvent, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Mono float32 sound of one contact event, starting at its onset."""
    body = scene.body(event.a)
    if not isinstance(body, SceneObject):
        raise ValueError(
            f"contact event at t={event.t}s: body {event.a!r} must be an object, not a character"
        )
    if event.kind == "splash" or event.b == WATER:
        return splash_sound(event.speed, sample_rate, rng, size=body.size)
    if event.kind != "impact":
        raise ValueError(
            f"contact event at t={event.t}s has kind {event.kind!r}; allowed: 'impact', 'splash'"
        )
    material, size, gain = _partner(scene, event)
    return impact_sound(
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


def soft_limit(x: np.ndarray, sample_rate: int, threshold: float = LIMIT_THRESHOLD) -> np.ndarray:
    """Look-ahead peak limiter (gain linked across channels) plus a soft knee: the result is inside (-1, 1)."""
    if x.size == 0:
        return x
    mag = np.max(np.abs(x), axis=0)  # [n] linked across channels
    if mag.max() > threshold:
        block = max(1, int(_LIMIT_BLOCK_S * sample_rate))
        n = x.shape[1]
        n_blocks = -(-n // block)
        peaks = np.pad(mag, (0, n_blocks * block - n)).reshape(n_blocks, block).max(axis=1)  # [n_blocks]
        gain = np.minimum(1.0, threshold / np.maximum(peaks, 1e-9))
        hold = max(3, int(_LIMIT_HOLD_S / _LIMIT_BLOCK_S) | 1)
        gain = minimum_filter1d(gain, hold)  # pulls the gain down a little before and after each peak
        gain = uniform_filter1d(gain, max(1, hold // 3))  # stays below the need: the hold is wider
        per_sample = np.interp(np.arange(n), (np.arange(n_blocks) + 0.5) * block, gain).astype(np.float32)
        x = x * per_sample
        mag = mag * per_sample
    knee = 0.9  # a soft knee catches what the block gain missed; tanh never reaches 1
    if mag.max() > knee:
        x = x.copy()
        over = np.abs(x) > knee
        x[over] = np.sign(x[over]) * (knee + (1 - knee) * np.tanh((np.abs(x[over]) - knee) / (1 - knee)))
    return x


def render_audio(
    scene: Scene,
    sim: Simulation,
    utterances: tuple[Utterance, ...],
    sample_rate: int = 16000,
    channels: int = 2,
) -> np.ndarray:
    """The clip's soundtrack, float32 [channels, round(duration * rate)] in (-1, 1)."""
    if sample_rate not in SAMPLE_RATES:
        raise ValueError(f"sample_rate {sample_rate} is not supported; use one of {SAMPLE_RATES}")
    if channels not in (1, 2):
        raise ValueError(f"channels must be 1 (mono) or 2 (stereo), got {channels}")
    n = round(scene.duration * sample_rate)
    bed_seed, fx_seed = np.random.SeedSequence([scene.seed, _SALT]).spawn(2)
    out = ambience_bed(scene.ambience, n, sample_rate, np.random.default_rng(bed_seed))[
        :channels
    ]  # fresh array
    rng = np.random.default_rng(fx_seed)
    width = scene.stage.width
    for event in sim.events:
        if event.speed < MIN_AUDIBLE_SPEED and event.kind == "impact":
            continue
        sound = event_sound(scene, event, sample_rate, rng)
        _add_at(out, sound, round(event.t * sample_rate), pan_gains(event.x, width, channels))
    characters = {c.id: c for c in scene.characters}
    for u in utterances:
        if u.character not in characters:
            raise ValueError(f"utterance {u.text!r} is spoken by unknown character {u.character!r}")
        gains = pan_gains(characters[u.character].x, width, channels)
        _add_at(out, _resampled(u, sample_rate), round(u.start * sample_rate), gains)
    return soft_limit(out, sample_rate).astype(np.float32, copy=False)
