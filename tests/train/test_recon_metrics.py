"""Reconstruction metrics: PSNR, log-mel distance and onset F1 behave as their definitions say."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from phonofilm.train.recon_metrics import detect_onsets, hearing, match_onsets, mel_distance, onset_f1, psnr

SR = 16000
ONSETS = (0.25, 0.6, 1.0, 1.45, 1.9, 2.3, 2.7)


def bursts(
    times: tuple[float, ...],
    seconds: float = 3.0,
    noise: float = 0.01,
    shift: float = 0.0,
    sr: int = SR,
    seed: int = 0,
) -> torch.Tensor:
    """Decaying tone bursts starting at `times` (+ shift) over a faint noise floor."""
    t = torch.arange(int(seconds * sr)) / sr
    wave = noise * torch.randn(t.shape, generator=torch.Generator().manual_seed(seed))
    for k, start in enumerate(times):
        envelope = torch.exp(-(t - start - shift) * 30) * (t >= start + shift)
        wave = wave + 0.5 * envelope * torch.sin(2 * math.pi * (300 + 150 * k) * t)
    return wave


def test_psnr_matches_its_definition() -> None:
    a = torch.rand(2, 3, 5, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert psnr(a, a) == math.inf
    assert psnr(a, a + 0.1) == pytest.approx(10 * math.log10(4 / 0.01))
    assert psnr(a, a + 0.2) < psnr(a, a + 0.1)
    with pytest.raises(ValueError, match="equal shapes"):
        psnr(a, a[:1])


def test_mel_distance_is_log_gain_for_a_loud_signal() -> None:
    wave = 0.3 * torch.randn(2, SR, generator=torch.Generator().manual_seed(0))
    assert mel_distance(wave, wave, SR) == 0.0
    # doubling the amplitude shifts every (unclamped) log-mel value by log 2
    assert mel_distance(wave, 2 * wave, SR) == pytest.approx(math.log(2), rel=1e-4)
    assert mel_distance(wave, 2 * wave, SR) == pytest.approx(mel_distance(2 * wave, wave, SR))
    assert mel_distance(wave, wave[..., :-300], SR) == 0.0  # compared over the common length


def test_detect_onsets_finds_bursts_and_ignores_steady_noise() -> None:
    found = detect_onsets(bursts(ONSETS), SR)
    assert len(found) == len(ONSETS)
    # the 64 ms window reports onsets slightly early, never late
    assert all(-0.03 <= float(f) - t <= 0.005 for f, t in zip(found, ONSETS, strict=True))
    noise = 0.2 * torch.randn(3 * SR, generator=torch.Generator().manual_seed(1))
    assert len(detect_onsets(noise, SR)) == 0
    assert len(detect_onsets(torch.zeros(SR), SR)) == 0


def test_onset_f1_scores() -> None:
    ref = bursts(ONSETS)
    assert onset_f1(ref, ref, SR) == 1.0
    assert onset_f1(ref, 0.1 * ref, SR) == 1.0  # gain does not matter
    assert onset_f1(ref, bursts(ONSETS, shift=0.01, seed=5), SR) == 1.0  # 10 ms is inside ±20 ms
    assert onset_f1(ref, bursts(ONSETS, shift=0.05, seed=5), SR) == 0.0  # 50 ms is not
    half = ONSETS[::2]
    assert onset_f1(ref, bursts(half), SR) == pytest.approx(2 * len(half) / (len(ONSETS) + len(half)))
    assert onset_f1(torch.zeros(SR), torch.zeros(SR), SR) == 1.0
    assert onset_f1(ref, torch.zeros_like(ref), SR) == 0.0
    stereo = torch.stack([ref, ref])
    assert onset_f1(stereo, ref, SR) == 1.0


def test_onsets_at_another_sample_rate() -> None:
    sr = 22050
    found = detect_onsets(bursts(ONSETS, sr=sr), sr)
    assert len(found) == len(ONSETS)
    assert onset_f1(bursts(ONSETS, sr=sr), bursts(ONSETS, sr=sr, seed=3), sr) == 1.0


def test_match_onsets_is_one_to_one() -> None:
    ref = torch.tensor([0.10, 0.20, 0.30], dtype=torch.float64)
    assert match_onsets(ref, torch.tensor([0.105, 0.11, 0.29], dtype=torch.float64), 0.02) == 2
    assert match_onsets(ref, torch.tensor([], dtype=torch.float64), 0.02) == 0


def _tone(f0: np.ndarray) -> np.ndarray:
    """Five harmonics following the pitch track `f0` (Hz per sample), stereo [2, S] at 16 kHz."""
    phase = 2 * np.pi * np.cumsum(f0) / SR
    wave = 0.2 * sum(np.sin(k * phase) / k for k in range(1, 6))
    return np.stack([wave, wave]).astype(np.float32)


def test_hearing_tells_a_voice_from_a_hum_and_from_noise() -> None:
    t = np.arange(2 * SR) / SR
    voice = _tone(140 + 40 * np.sin(2 * np.pi * 0.7 * t))  # intonation: the pitch keeps moving
    hum = _tone(np.full_like(t, 140.0))  # voiced, but one steady pitch
    noise = (0.1 * np.random.default_rng(0).standard_normal((2, 2 * SR))).astype(np.float32)
    from phonofilm.eval.metrics.identity import voice_profile

    reference = voice_profile(voice, SR)
    heard = {name: hearing(w, SR, reference) for name, w in (("voice", voice), ("hum", hum), ("noise", noise))}
    assert heard["voice"]["speech"] > 0.8 and heard["voice"]["voiced"] > 0.8
    assert heard["voice"]["voice_similarity"] > 0.95  # itself
    assert heard["hum"]["voiced"] > 0.8 and heard["hum"]["speech"] < 0.1
    assert heard["noise"]["voiced"] < 0.1 and heard["noise"]["speech"] == 0 and heard["noise"]["voice_similarity"] == 0
    assert math.isnan(hearing(voice, SR)["voice_similarity"])  # no reference, no similarity
