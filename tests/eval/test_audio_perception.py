"""Onset detection and speech envelope on synthetic sound with known truth."""

from __future__ import annotations

import numpy as np
import pytest

from phonofilm.eval.perception.audio import detect_onsets, speech_activity, speech_envelope

SR = 16000


def knocks(times: list[float], amps: list[float], noise: float, seconds: float = 4.0, seed: int = 0) -> np.ndarray:
    """Three decaying inharmonic partials (a struck object, like the world's modal sounds) over white noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, noise, int(seconds * SR))
    tt = np.arange(int(0.3 * SR)) / SR
    for i, (t, a) in enumerate(zip(times, amps, strict=True)):
        n = round(t * SR)
        f = 350 + 270 * i
        partials = sum(np.sin(2 * np.pi * f * r * tt) / r for r in (1.0, 2.76, 5.40))
        tone = a * partials * np.exp(-tt * 25)
        x[n : n + len(tone)] += tone[: len(x) - n]
    return x


@pytest.mark.parametrize("noise", [0.0, 0.002, 0.01])
def test_onsets_found_within_3ms(noise: float) -> None:
    times = [0.3123, 0.81, 1.5, 2.2, 2.27, 3.6]
    amps = [0.6, 0.08, 0.3, 0.25, 0.25, 0.1]
    found = detect_onsets(knocks(times, amps, noise), SR).times
    assert len(found) == len(times), f"expected {times}, found {found.round(4).tolist()}"
    np.testing.assert_allclose(found, times, atol=0.003)


def test_stereo_and_silence() -> None:
    stereo = np.stack([knocks([1.0], [0.5], 0.0), np.zeros(4 * SR)])
    found = detect_onsets(stereo, SR).times
    assert len(found) == 1 and abs(found[0] - 1.0) < 0.003
    assert len(detect_onsets(np.zeros(2 * SR), SR).times) == 0


def test_steady_noise_has_no_onsets() -> None:
    assert len(detect_onsets(knocks([], [], 0.05), SR).times) == 0


def test_speech_envelope_tracks_syllables() -> None:
    """A syllable-modulated buzz with intonation: the envelope follows the syllables, activity covers them."""
    t = np.arange(3 * SR) / SR
    syll = (0.3 + 0.7 * np.clip(np.sin(2 * np.pi * 4.0 * t), 0, None)) * ((t > 0.5) & (t < 2.0))
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)  # a falling-rising pitch contour
    buzz = np.sign(np.sin(2 * np.pi * np.cumsum(f0) / SR)) * 0.2
    times, env = speech_envelope(buzz * syll, SR)
    truth = np.interp(times, t, syll)
    assert np.corrcoef(env, truth)[0, 1] > 0.9
    _, active = speech_activity(buzz * syll, SR)
    inside = (times > 0.6) & (times < 1.9)
    outside = (times < 0.3) | (times > 2.3)
    assert active[inside].mean() > 0.95 and active[outside].mean() < 0.05


def test_steady_hum_and_noise_are_not_speech() -> None:
    t = np.arange(3 * SR) / SR
    hum = 0.2 * np.sign(np.sin(2 * np.pi * 110 * t))  # voiced but without intonation (room hum, ringing)
    _, active = speech_activity(hum, SR)
    assert active.mean() < 0.05
    _, active = speech_activity(knocks([], [], 0.05, 3.0), SR)
    assert active.mean() < 0.05
