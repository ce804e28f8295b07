"""Reconstruction metrics for the autoencoders: PSNR, log-mel distance, onset F1, how speech is heard
(pure functions).

Waves are [S] or [C, S] float tensors in [-1, 1]; several channels are averaged to mono for onsets.
`hearing` takes numpy waves, like the eval perception it uses.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from phonofilm.models.mel import LogMel, MelConfig, mel_filterbank, stft_magnitude


def psnr(a: Tensor, b: Tensor, data_range: float = 2.0) -> float:
    """Peak signal-to-noise ratio in dB over all elements (data_range 2 for frames in [-1, 1])."""
    if a.shape != b.shape:
        raise ValueError(f"psnr needs equal shapes, got {tuple(a.shape)} and {tuple(b.shape)}")
    mse = torch.mean((a.double() - b.double()) ** 2).item()
    return math.inf if mse == 0 else 10.0 * math.log10(data_range**2 / mse)


def mel_config_for(sample_rate: int) -> MelConfig:
    """The project's mel frontend (128 frames/s, 64 bins up to 8 kHz) scaled to another sample rate."""
    if sample_rate == MelConfig.sample_rate:
        return MelConfig()
    hop = round(sample_rate / 128)
    n_fft = 1 << math.ceil(math.log2(8 * hop))  # ≈ 64 ms window, like 1024 at 16 kHz
    return MelConfig(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop, fmax=min(8000.0, sample_rate / 2))


def mel_distance(wave_a: Tensor, wave_b: Tensor, sr: int) -> float:
    """Mean absolute difference of log-mels (natural log) over the common length."""
    n = min(wave_a.shape[-1], wave_b.shape[-1])
    logmel = LogMel(mel_config_for(sr))
    return F.l1_loss(logmel(wave_a[..., :n].float()), logmel(wave_b[..., :n].float())).item()


def onset_strength(wave: Tensor, sr: int) -> tuple[Tensor, float]:
    """Spectral flux of a mono or multichannel wave -> (flux [frames], frames per second).

    Flux is the mean over the 64 mel bands of the positive frame-to-frame rise of log(1 + 100·mel / peak):
    relative to the clip's peak, so gain does not matter; bands rather than FFT bins, so steady noise
    (rain, hum) does not flicker into onsets.
    """
    cfg = mel_config_for(sr)
    mono = wave.float().reshape(-1, wave.shape[-1]).mean(dim=0, keepdim=True)
    # reflect padding: a sound already playing when the clip starts is not an onset
    pad = "reflect" if mono.shape[-1] > cfg.n_fft // 2 else "constant"
    mel = mel_filterbank(cfg) @ stft_magnitude(mono, cfg.n_fft, cfg.hop_length, pad_mode=pad)[0]  # [M, F]
    if mel.shape[-1] < 2:  # shorter than two frames: nothing can rise
        return mel.new_zeros(0), cfg.frames_per_second
    compressed = torch.log1p(100.0 * mel / mel.max().clamp(min=1e-8))
    rise = torch.diff(compressed, dim=1).clamp(min=0).mean(dim=0)  # [F - 1]: frame f minus frame f - 1
    # frame 0 has no predecessor: give it frame 1's flux so it neither fakes a peak nor a dip
    return torch.cat([rise[:1], rise]), cfg.frames_per_second


def detect_onsets(wave: Tensor, sr: int, delta: float = 0.05, min_gap_ms: float = 30.0) -> Tensor:
    """Onset times (s): flux peaks that are local maxima (±23 ms) and exceed a ±94 ms moving mean + delta.

    The 64 ms analysis window makes times early by about 10-20 ms; that cancels when two waves are
    compared (`onset_f1`) but must be allowed for against ground-truth event times.
    """
    flux, fps = onset_strength(wave, sr)
    if flux.numel() == 0:
        return torch.zeros(0, dtype=torch.float64)
    x = flux[None, None]
    local_max = F.max_pool1d(x, 7, stride=1, padding=3)[0, 0]
    moving_mean = F.avg_pool1d(F.pad(x, (12, 12), mode="replicate"), 25, stride=1)[0, 0]
    candidates = torch.nonzero((flux == local_max) & (flux >= moving_mean + delta)).flatten().tolist()
    min_gap = min_gap_ms / 1000.0 * fps
    kept: list[int] = []
    for frame in candidates:  # flat plateaus and close double peaks count once
        if not kept or frame - kept[-1] > min_gap:
            kept.append(frame)
    return torch.tensor(kept, dtype=torch.float64) / fps


def match_onsets(reference: Tensor, estimate: Tensor, tolerance: float) -> int:
    """Largest number of one-to-one pairs within `tolerance` seconds (both sorted ascending)."""
    i = j = matched = 0
    while i < len(reference) and j < len(estimate):
        gap = float(estimate[j] - reference[i])
        if abs(gap) <= tolerance:
            matched, i, j = matched + 1, i + 1, j + 1
        elif gap < 0:
            j += 1
        else:
            i += 1
    return matched


def onset_f1(wave_a: Tensor, wave_b: Tensor, sr: int, tolerance_ms: float = 20.0) -> float:
    """F1 of wave_b's onsets against wave_a's (the reference) within ±tolerance_ms; 1 if neither has any."""
    reference, estimate = detect_onsets(wave_a, sr), detect_onsets(wave_b, sr)
    if len(reference) == 0 and len(estimate) == 0:
        return 1.0
    matched = match_onsets(reference, estimate, tolerance_ms / 1000.0)
    return 2.0 * matched / (len(reference) + len(estimate))


def hearing(wave: np.ndarray, sr: int, reference: tuple[float, float] | None = None) -> dict[str, float]:
    """How the benchmark hears a wave [C, S] or [S]: the share of time heard as speech (voiced frames
    whose pitch moves: `eval.perception.audio.speech_activity`), the share of voiced frames (a clear pitch
    in 50–400 Hz) and, given the original's `eval.metrics.identity.voice_profile`, the cameo metric's
    voice similarity to it (0 when no speech is heard; NaN without a reference)."""
    from phonofilm.eval.metrics.identity import profile_similarity, voice_profile
    from phonofilm.eval.perception.audio import speech_activity, voice_pitch

    _, active = speech_activity(wave, sr)
    _, f0 = voice_pitch(wave, sr)
    similarity = profile_similarity(voice_profile(wave, sr), reference) if reference is not None else math.nan
    return {"speech": float(active.mean()), "voiced": float((f0 > 0).mean()), "voice_similarity": similarity}
