"""Ambience beds: rain, wind, birds, crowd murmur, room tone, silence.

Each bed is synthesized once per process and sample rate as a seamless loop (noise is shaped in the
frequency domain over the whole loop, events wrap around its end), because synthesizing 4 s of filtered
stereo noise per clip would cost more than the whole audio budget. A clip reads the loop from an offset
drawn from its own generator, with a small gain jitter and a random channel swap, so the bed is a pure
function of the scene seed.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable

import numpy as np

LOOP_S = 20.0
# RMS of each bed (speech is normalised to 0.1 RMS and impacts peak around 0.2-0.8, so both stay on top)
BED_RMS: dict[str, float] = {
    "rain": 0.02,
    "wind": 0.025,
    "birds": 0.015,
    "crowd": 0.02,
    "room": 0.003,
    "silence": 0.0,
}
_T60 = np.log(1000.0)
_ENVELOPE_RATE = 200


def _shaped_noise(
    rng: np.random.Generator, n: int, sample_rate: int, gain: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Periodic noise of length n whose amplitude spectrum is gain(frequency Hz)."""
    spectrum = np.fft.rfft(rng.standard_normal(n)) * gain(np.fft.rfftfreq(n, 1.0 / sample_rate))
    out = np.fft.irfft(spectrum, n)
    return out / (np.std(out) + 1e-12)


def _slow_envelope(
    rng: np.random.Generator, n: int, sample_rate: int, centre_hz: float, width_hz: float
) -> np.ndarray:
    """Periodic, smooth, unit-variance modulation with content around `centre_hz` (made at 200 Hz, then
    interpolated: shaping it at the audio rate would cost an audio-length FFT for a few Hz of content)."""
    m = round(n / sample_rate * _ENVELOPE_RATE)
    slow = _shaped_noise(rng, m, _ENVELOPE_RATE, lambda f: np.exp(-(((f - centre_hz) / width_hz) ** 2)))
    return np.interp(np.arange(n) * (m / n), np.arange(m + 1), np.append(slow, slow[0]))


def _scatter(n: int, starts: np.ndarray, grains: list[np.ndarray]) -> np.ndarray:
    """Sum grains into a loop of length n at `starts`, wrapping around the end."""
    out = np.zeros(n)
    for s, g in zip(starts, grains, strict=True):
        idx = (s + np.arange(len(g))) % n
        np.add.at(out, idx, g)
    return out


def _rain(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    nyq = sr / 2
    hiss = _shaped_noise(rng, n, sr, lambda f: (f / (f + 400.0)) / (1.0 + (f / min(9000.0, nyq)) ** 2) ** 0.5)
    count = int(60 * n / sr)  # droplets per loop
    impulses = np.zeros(n)
    impulses[rng.integers(0, n, count)] = np.exp(rng.uniform(np.log(0.2), 0.0, count))
    t = np.arange(int(0.006 * sr)) / sr
    kernel = np.sin(2 * np.pi * min(3500.0, 0.4 * sr) * t) * np.exp(-_T60 * t / 0.006)
    drops = np.fft.irfft(np.fft.rfft(impulses) * np.fft.rfft(kernel, n), n)  # circular convolution
    drops /= np.std(drops) + 1e-12
    return hiss + 0.5 * drops


def _wind(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    rumble = _shaped_noise(rng, n, sr, lambda f: 1.0 / (1.0 + (f / 250.0) ** 2) * (f / (f + 20.0)))
    gusts = np.logaddexp(0.0, 1.5 * _slow_envelope(rng, n, sr, 0.0, 0.3))  # softplus: positive, peaky gusts
    return rumble * gusts


def _chirp(rng: np.random.Generator, sr: int) -> np.ndarray:
    """One tweet: an FM sweep between 2 and 6 kHz under a Hann window."""
    dur = float(rng.uniform(0.04, 0.15))
    t = np.arange(int(dur * sr)) / sr
    f_lo = float(rng.uniform(2200.0, 4000.0))
    sweep = float(rng.uniform(-1500.0, 2000.0))
    trill = float(rng.uniform(0.0, 500.0)) * np.sin(2 * np.pi * float(rng.uniform(20.0, 60.0)) * t)
    freq = np.clip(f_lo + sweep * t / dur + trill, 2000.0, min(6000.0, 0.45 * sr))
    return np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.hanning(len(t))


def _birds(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    starts, grains = [], []
    t = 0.0
    while t < n / sr:
        t += float(rng.exponential(0.9))  # a song every ~0.9 s, each 1-5 tweets
        for k in range(int(rng.integers(1, 6))):
            starts.append(int((t + 0.12 * k) * sr) % n)
            grains.append(_chirp(rng, sr) * float(rng.uniform(0.3, 1.0)))
    leaves = _shaped_noise(rng, n, sr, lambda f: 1.0 / (1.0 + (f / 1500.0) ** 2))  # a faint outdoor floor
    song = _scatter(n, np.array(starts), grains)
    return song / (np.std(song) + 1e-12) + 0.08 * leaves


def _crowd(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    def voice_band(f: np.ndarray) -> np.ndarray:
        return ((f > 200.0) & (f < 1500.0)) * (1.0 / (1.0 + (f / 700.0) ** 2))

    # Talkers share one band-limited carrier, each reading it from a far-apart circular offset: as good as
    # independent noise for the ear, at one FFT instead of one per talker.
    carrier = _shaped_noise(rng, n, sr, voice_band)
    babble = np.zeros(n)
    for _ in range(5):  # a few talkers near us, each with a ~4 Hz syllable rhythm
        syllables = _slow_envelope(rng, n, sr, 4.0, 1.5)
        babble += np.roll(carrier, int(rng.integers(n))) * np.maximum(syllables, 0.0)
    murmur = np.roll(carrier[::-1], int(rng.integers(n)))  # and many far away
    return babble / (np.std(babble) + 1e-12) + 0.4 * murmur


def _room(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    # brown-ish (1/f) noise, high-passed at 30 Hz and rolled off above 2 kHz
    return _shaped_noise(
        rng, n, sr, lambda f: (f / (f + 30.0)) / np.maximum(f, 30.0) / (1.0 + (f / 2000.0) ** 2)
    )


_BEDS: dict[str, Callable[[np.random.Generator, int, int], np.ndarray]] = {
    "rain": _rain,
    "wind": _wind,
    "birds": _birds,
    "crowd": _crowd,
    "room": _room,
}


@functools.lru_cache(maxsize=24)
def ambience_loop(kind: str, sample_rate: int) -> np.ndarray:
    """The cached seamless stereo loop [2, LOOP_S * rate] float32 of bed `kind`, at its BED_RMS."""
    if kind not in BED_RMS:
        raise ValueError(f"ambience {kind!r} is unknown; allowed: {sorted(BED_RMS)}")
    n = int(LOOP_S * sample_rate)
    if kind == "silence":
        return np.zeros((2, n), np.float32)
    rng = np.random.default_rng([zlib.crc32(kind.encode()), sample_rate])
    left, right, shared = (_BEDS[kind](rng, n, sample_rate) for _ in range(3))
    loop = np.stack([0.8 * left + 0.6 * shared, 0.8 * right + 0.6 * shared])  # partly correlated stereo
    loop *= BED_RMS[kind] / np.sqrt(np.mean(loop**2))
    loop = loop.astype(np.float32)
    loop.setflags(write=False)
    return loop


def ambience_bed(kind: str, n_samples: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Stereo float32 bed [2, n_samples] of ambience `kind`, its window into the loop drawn from `rng`."""
    if kind == "silence":
        return np.zeros((2, n_samples), np.float32)
    loop = ambience_loop(kind, sample_rate)
    period = loop.shape[1]
    offset = int(rng.integers(period))
    gain = np.float32(10.0 ** (rng.normal(0.0, 1.5) / 20.0))
    order = [1, 0] if rng.random() < 0.5 else [0, 1]
    if offset + n_samples <= period:
        window = loop[:, offset : offset + n_samples]
    else:
        window = loop[:, (offset + np.arange(n_samples)) % period]
    out = window[order]  # a fresh copy (fancy indexing), scaled in place
    out *= gain
    return out
