"""Impact sounds: a contact burst on the event's sample, then each body's modal ring.

The burst is the contact itself: a low-passed click (the force pulse) and a few milliseconds of hiss,
coloured by the softer of the two bodies (dull for rubber or grass, bright for glass or metal, sharp for
all) and louder and brighter the faster the contact. The ring carries the material: every material rings
with its own damped partials. A longer contact (soft materials, slow impacts) passes fewer high partials,
so soft contacts sound dull and fast ones slightly brighter. Bigger objects ring lower. A soft partner
(grass, rubber, a creature) also damps the ring. (That a contact stays audible over another's ring is the
mixer's job: see lift.py.)

Speed: the unit-amplitude partials of each (material, size bucket, sample rate) and the unit bursts are
computed once and cached; one impact is then a weighted sum of a few cached rows.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.signal import butter, sosfilt

REF_SIZE = 0.1  # metres: the object size the table's frequencies are given for
REF_SPEED = 3.0  # m/s: the impact speed the table's loudness is given for
HERTZ_EXPONENT = 0.2  # contact time ~ speed^-1/5 (Hertz contact)
SIZE_EXPONENT = 0.7  # f ~ size^-0.7 (between a plate's 1/L^2 and a cavity's 1/L, good to the ear)
MAX_RING_S = 2.5
IMPACT_LEVEL = 0.25  # overall impact loudness (peak of a 0.1 m wooden block at 3 m/s is about this)
BURST_LEVEL = 2.0  # the burst's peak relative to the ring's loudness: a clear crack before the ring
_T60 = np.log(1000.0)  # amplitude falls by 60 dB over one t60


@dataclass(frozen=True)
class MaterialSound:
    """How a material sounds when struck. Mode frequencies are for a REF_SIZE object."""

    modes: tuple[tuple[float, float, float], ...]  # (frequency Hz, t60 s, gain)
    contact_ms: float  # contact pulse length at REF_SPEED: longer = duller; the longer one sets the burst
    burst: tuple[float, float, float]  # when the softer body: (gain, low-pass cutoff Hz, t60 ms)
    level: float  # loudness relative to the other materials
    damping_t60: float | None  # when this is the partner: the extra t60 it imposes on the other ring
    words: tuple[str, ...]  # what a caption might call the sound


MATERIAL_SOUND: dict[str, MaterialSound] = {
    # inharmonic free-bar partials (1 : 2.76 : 5.40 : 8.93) plus plate modes: a "clang", the longest ring,
    # yet shorter than a bell's (a struck ball or block; a bell-long ring would bury every later contact)
    "metal": MaterialSound(
        modes=(
            (820, 0.85, 1.0),
            (2260, 0.6, 0.7),
            (4430, 0.42, 0.5),
            (5320, 0.36, 0.3),
            (7330, 0.27, 0.3),
            (10940, 0.18, 0.2),
        ),
        contact_ms=0.25,
        burst=(1.0, 9000, 2.0),
        level=0.9,
        damping_t60=None,
        words=("clang", "clank", "ding"),
    ),
    # very high, bright, short: "tink"
    "glass": MaterialSound(
        modes=((2300, 0.35, 1.0), (5340, 0.25, 0.7), (6950, 0.22, 0.4), (9780, 0.15, 0.3), (12400, 0.1, 0.2)),
        contact_ms=0.15,
        burst=(1.0, 11000, 1.5),
        level=0.8,
        damping_t60=None,
        words=("clink", "tink"),
    ),
    # mid, quickly damped: "knock" / "thock"
    "wood": MaterialSound(
        modes=((380, 0.09, 1.0), (960, 0.06, 0.6), (1540, 0.045, 0.45), (2650, 0.03, 0.25)),
        contact_ms=0.4,
        burst=(1.0, 5000, 2.5),
        level=0.8,
        damping_t60=None,
        words=("knock", "thock", "clack"),
    ),
    # low, dull, very short: "thud" / "bounce"
    "rubber": MaterialSound(
        modes=((140, 0.05, 1.0), (320, 0.035, 0.4), (610, 0.02, 0.15)),
        contact_ms=4.0,
        burst=(1.0, 1200, 4.0),
        level=1.0,
        damping_t60=0.2,
        words=("thud", "bounce", "boing"),
    ),
    # surfaces (floors, walls) and soft bodies
    "concrete": MaterialSound(
        modes=((260, 0.025, 0.5), (900, 0.015, 0.4), (2400, 0.01, 0.3)),
        contact_ms=0.1,
        burst=(1.0, 7000, 2.0),
        level=0.7,
        damping_t60=None,
        words=("smack", "crack"),
    ),
    "tile": MaterialSound(
        modes=((650, 0.04, 0.4), (1800, 0.05, 0.6), (3900, 0.03, 0.4)),
        contact_ms=0.1,
        burst=(1.0, 9000, 2.0),
        level=0.7,
        damping_t60=None,
        words=("clack", "click"),
    ),
    "grass": MaterialSound(
        modes=((90, 0.04, 0.4),),
        contact_ms=4.0,
        burst=(1.0, 700, 5.0),
        level=0.5,
        damping_t60=0.06,
        words=("thump", "thud"),
    ),
    "creature": MaterialSound(
        modes=((110, 0.06, 0.5), (240, 0.04, 0.3)),
        contact_ms=5.0,
        burst=(1.0, 900, 4.0),
        level=0.5,
        damping_t60=0.08,
        words=("bonk", "thump"),
    ),
}


@dataclass(frozen=True)
class _Bank:
    freqs: np.ndarray  # [M] Hz (after size scaling)
    gains: np.ndarray  # [M] table gains
    rows: np.ndarray  # [M, L] unit-peak partials


def size_bucket(size: float) -> int:
    """Quarter-octave size bucket relative to REF_SIZE (the cache key for an object's pitch)."""
    return round(4 * np.log2(np.clip(size, 0.01, 4.0) / REF_SIZE))


def _check_material(material: str, what: str) -> MaterialSound:
    if material not in MATERIAL_SOUND:
        raise ValueError(f"{what} {material!r} has no sound; known materials: {sorted(MATERIAL_SOUND)}")
    return MATERIAL_SOUND[material]


def _attack(n: int, sample_rate: int, seconds: float) -> np.ndarray:
    """A linear ramp from exactly 0 over `seconds` (at least two samples): sharp, yet click-free."""
    ramp = min(n, max(2, int(seconds * sample_rate)))
    return np.linspace(0.0, 1.0, ramp, dtype=np.float32)


@functools.lru_cache(maxsize=256)
def _bank(material: str, bucket: int, sample_rate: int) -> _Bank:
    """Cached unit partials of `material` at size bucket `bucket`; partials above 0.45 * rate dropped."""
    spec = MATERIAL_SOUND[material]
    scale = (2.0 ** (bucket / 4)) ** -SIZE_EXPONENT
    modes = [(f * scale, t60, g) for f, t60, g in spec.modes if f * scale < 0.45 * sample_rate]
    n = int(np.ceil(min(max(t60 for _, t60, _ in modes), MAX_RING_S) * sample_rate))
    t = np.arange(n) / sample_rate
    rows = np.empty((len(modes), n), np.float32)
    for i, (f, t60, _) in enumerate(modes):
        rows[i] = np.sin(2 * np.pi * f * t) * np.exp(-_T60 * t / t60)
    ramp = _attack(n, sample_rate, 0.0003)
    rows[:, : len(ramp)] *= ramp
    rows.setflags(write=False)
    freqs = np.array([f for f, _, _ in modes])
    gains = np.array([g for _, _, g in modes])
    return _Bank(freqs, gains, rows)


def burst_bucket(speed: float) -> int:
    """Quarter-octave shift of the burst's cutoff with impact speed: a faster contact is shorter, so brighter."""
    return round(4 * HERTZ_EXPONENT * np.log2(max(speed, 0.05) / REF_SPEED))


@functools.lru_cache(maxsize=256)
def _burst(material: str, bucket: int, sample_rate: int) -> np.ndarray:
    """Cached unit-peak contact burst of `material`: a low-passed click (the force pulse) and a short hiss.

    The click is the low-pass filter's own impulse response, so it peaks within ~1 / (4 * cutoff) of the
    onset however dull the material; the decaying hiss behind it gives each material its texture.
    """
    _gain, cut, t60_ms = MATERIAL_SOUND[material].burst
    cut = min(cut * 2.0 ** (bucket / 4), 0.45 * sample_rate)
    n = int(np.ceil(t60_ms * 1e-3 * sample_rate)) + 1
    rng = np.random.default_rng([zlib.crc32(material.encode()), sample_rate])  # one hiss for every speed
    excitation = np.exp(-_T60 * np.arange(n) / sample_rate / (t60_ms * 1e-3)) * rng.standard_normal(n)
    excitation /= np.max(np.abs(excitation)) * 2.0  # the hiss stays below the click
    excitation[0] = 1.0  # the click
    burst = sosfilt(butter(2, cut, fs=sample_rate, output="sos"), excitation)
    burst /= np.max(np.abs(burst))
    ramp = _attack(n, sample_rate, 0.0001)
    burst[: len(ramp)] *= ramp
    out = burst.astype(np.float32)
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=64)
def _damping(t60: float, n: int, sample_rate: int) -> np.ndarray:
    env = np.exp(-_T60 * np.arange(n) / sample_rate / t60).astype(np.float32)
    env.setflags(write=False)
    return env


def _excitation(freqs: np.ndarray, contact_s: float) -> np.ndarray:
    """Spectral weight of a contact pulse of length `contact_s`: a long pulse filters out high partials."""
    return 1.0 / (1.0 + (freqs * contact_s) ** 2)


def _ring(
    material: str,
    size: float,
    contact_s: float,
    damp: float | None,
    sample_rate: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """One body's ring: weighted cached partials, damped by its partner."""
    bank = _bank(material, size_bucket(size), sample_rate)
    # the strike point varies from hit to hit, and with it how strongly each mode is excited
    weights = bank.gains * _excitation(bank.freqs, contact_s) * np.exp(rng.normal(0.0, 0.25, len(bank.freqs)))
    rows = bank.rows
    if damp is not None:
        n = min(rows.shape[1], int(damp * sample_rate) + 1)
        return (weights.astype(np.float32) @ rows[:, :n]) * _damping(damp, n, sample_rate)
    return weights.astype(np.float32) @ rows


class ImpactParts(NamedTuple):
    """One impact as two mono float32 signals that both start on the event's sample."""

    ring: np.ndarray  # [L] both bodies' rings
    burst: np.ndarray  # [B] the contact burst, B << L (a few milliseconds)


def impact_parts(
    material: str,
    other_material: str,
    speed: float,
    sample_rate: int,
    rng: np.random.Generator,
    *,
    size: float = REF_SIZE,
    other_size: float = 1.0,
    other_gain: float = 0.5,
) -> ImpactParts:
    """The ring and the contact burst of a `material` body of `size` m hitting `other_material` at `speed` m/s.

    `other_size` and `other_gain` describe the partner: a large, half-loud surface by default; pass the
    other body's size and 1.0 for two free objects. The ring scales with speed^0.8, the burst with speed^1.0
    (a faster contact is also a shorter one), both a little with size.
    """
    spec = _check_material(material, "material")
    other = _check_material(other_material, "other_material")
    speed = max(float(speed), 0.0)
    # The softer of the two sets the contact time; faster impacts are shorter (Hertz: ~ v^-1/5) and brighter.
    hertz = (max(speed, 0.05) / REF_SPEED) ** -HERTZ_EXPONENT
    contact_s = np.hypot(spec.contact_ms, other.contact_ms) * 1e-3 * hertz
    own = _ring(material, size, contact_s, other.damping_t60, sample_rate, rng)
    partner = _ring(other_material, other_size, contact_s, spec.damping_t60, sample_rate, rng)
    loudness = min((speed / REF_SPEED) ** 0.8, 3.0) * float(np.clip((size / REF_SIZE) ** 0.3, 0.5, 2.0))
    level = np.float32(IMPACT_LEVEL * loudness)
    ring = np.zeros(max(len(own), len(partner)), np.float32)
    ring[: len(own)] += np.float32(spec.level) * own
    ring[: len(partner)] += np.float32(other_gain * other.level) * partner
    softer = material if spec.contact_ms >= other.contact_ms else other_material
    # a shorter contact is a sharper force pulse: the burst gains what the long pulse would filter out
    burst_gain = np.float32(BURST_LEVEL * MATERIAL_SOUND[softer].burst[0] / hertz) * level
    return ImpactParts(ring * level, burst_gain * _burst(softer, burst_bucket(speed), sample_rate))


def impact_sound(
    material: str,
    other_material: str,
    speed: float,
    sample_rate: int,
    rng: np.random.Generator,
    *,
    size: float = REF_SIZE,
    other_size: float = 1.0,
    other_gain: float = 0.5,
) -> np.ndarray:
    """Mono float32 sound (burst + rings) of a `material` body hitting `other_material` at `speed` m/s.

    Starts exactly at sample 0: its first sample is 0 and the burst peaks within half a millisecond.
    The keyword arguments are those of `impact_parts`.
    """
    ring, burst = impact_parts(material, other_material, speed, sample_rate, rng, size=size,
                               other_size=other_size, other_gain=other_gain)  # fmt: skip
    out = np.zeros(max(len(ring), len(burst)), np.float32)
    out[: len(ring)] += ring
    out[: len(burst)] += burst
    return out
