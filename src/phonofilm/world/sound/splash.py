"""Splashes: a burst of band-passed noise (the sheet of water) and a spray of rising bubble chirps.

Bubbles follow Minnaert: a bubble of radius r rings near 3.26 / r Hz and its pitch rises as it nears the
surface (van den Doel's 'physically based liquid sound'). A few variants per size bucket are cached; an
event picks one and scales it with impact speed.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.signal import butter, sosfilt

from phonofilm.world.sound.impacts import REF_SIZE, size_bucket

SPLASH_VARIANTS = 6
SPLASH_LEVEL = 0.3
SPLASH_REF_SPEED = 2.0  # m/s
SHEET_DECAY = 0.6  # the sheet's t60 as a share of the splash's length: the loud part is short
_T60 = np.log(1000.0)


def _bubble(n: int, sample_rate: int, radius_m: float, amp: float) -> np.ndarray:
    f0 = 3.26 / radius_m
    damping = 0.13 * f0 + 0.0072 * f0**1.5  # 1/s, from van den Doel (2005)
    t = np.arange(n) / sample_rate
    freq = f0 * (1.0 + 0.1 * damping * t)  # pitch rises as the bubble rises
    phase = 2 * np.pi * np.cumsum(freq) / sample_rate
    return amp * np.sin(phase) * np.exp(-damping * t)


@functools.lru_cache(maxsize=256)
def _variant(bucket: int, variant: int, sample_rate: int) -> np.ndarray:
    """One cached unit-peak splash for size bucket `bucket`."""
    rng = np.random.default_rng([bucket + 64, variant, sample_rate, 0x5B1A5])
    scale = 2.0 ** (bucket / 4)  # object size / REF_SIZE
    length = 0.25 + 0.2 * min(scale, 3.0)
    n = int(length * sample_rate * 1.6)
    t = np.arange(n) / sample_rate
    hi = min(5000.0, 0.45 * sample_rate)
    sheet = sosfilt(
        butter(2, [300.0, hi], btype="band", fs=sample_rate, output="sos"), rng.standard_normal(n)
    )
    attack = np.minimum(t / 0.002, 1.0)  # 2 ms: the onset stays sharp
    envelope = attack * np.exp(-_T60 * t / (SHEET_DECAY * length))
    sheet *= envelope
    scale_to_peak = 1.0 / np.max(np.abs(sheet))
    out = sheet * scale_to_peak
    for _ in range(int(rng.integers(10, 24))):
        start = int(rng.exponential(0.08 * length) * sample_rate)
        if start >= n:
            continue
        radius = float(np.exp(rng.uniform(np.log(0.0008), np.log(0.006)))) * min(scale, 2.0) ** 0.5
        if 3.26 / radius > 0.45 * sample_rate:
            continue
        # a bubble rings under the sheet's envelope, so it colours the splash but never starts a new onset
        amp = float(rng.uniform(0.15, 0.5)) * envelope[start] * scale_to_peak
        out[start:] += _bubble(n - start, sample_rate, radius, amp)
    out = (out / np.max(np.abs(out))).astype(np.float32)
    out.setflags(write=False)
    return out


def splash_sound(
    speed: float, sample_rate: int, rng: np.random.Generator, *, size: float = REF_SIZE
) -> np.ndarray:
    """Mono float32 splash of a body of `size` m entering water at `speed` m/s, starting at sample 0."""
    base = _variant(size_bucket(size), int(rng.integers(SPLASH_VARIANTS)), sample_rate)
    loudness = min((max(speed, 0.0) / SPLASH_REF_SPEED) ** 0.9, 3.0) * float(
        np.clip((size / REF_SIZE) ** 0.5, 0.5, 2.5)
    )
    return base * np.float32(SPLASH_LEVEL * loudness)
