"""Fixed, deterministic, hand-designed clip features for the Fréchet distances (no learned weights).

Video (`video_features`, VIDEO_DIM numbers per clip). The clip is first brought to a common footing:
frames resampled to FEATURE_FPS (nearest frame) and FEATURE_SIZE (area average). Then, per frame,
  - colour: a joint RGB histogram, 4 levels per channel (64 bins, sums to 1);
  - structure: luma gradient magnitude mean and std, an 8-bin orientation histogram weighted by
    magnitude, and the variance of the Laplacian (sharpness);
and per pair / triple of consecutive frames,
  - motion: mean absolute luma difference, fraction of changed pixels, Lucas–Kanade optical flow on a
    4×4 grid of cells (magnitude mean / std / max and an 8-bin direction histogram weighted by magnitude),
    the mean absolute second temporal difference (jerk) and how far the centre of change jumps between
    consecutive frame pairs (both high for shuffled or flickering frames).
Each per-frame number is pooled over time by its mean and its standard deviation. So that no unit
dominates the Fréchet distance, shares (histogram bins) enter as their square root (the Hellinger
embedding) and magnitudes as log(1 + 100·x).

Audio (`audio_features`, AUDIO_DIM numbers per clip), from the mono mix resampled to 16 kHz:
  - 40-band log-mel spectrum (25 ms Hann, 10 ms hop): mean and std over time per band;
  - spectral contrast (peak minus valley, dB) in 6 octave bands, mean over time;
  - spectral flatness and RMS level (dB): mean and std; onset rate (log(1 + onsets per second)).
  Log-mel is in natural-log units, contrast and level in dB/10, so families have similar spreads.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
import torch.nn.functional as F
from scipy.ndimage import convolve, laplace
from scipy.signal import resample_poly

from phonofilm.eval.perception.audio import detect_onsets, mel_filterbank, stft_magnitude, to_mono
from phonofilm.eval.perception.colour import LUMA
from phonofilm.world.clip import Clip

FEATURE_FPS = 12.0
FEATURE_SIZE = (64, 64)  # (height, width)
AUDIO_RATE = 16000
N_MELS = 40
_SOBEL_X = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=np.float64) / 8.0
_GRID = 4


def resample_video(frames: np.ndarray, fps: float) -> np.ndarray:
    """uint8 [T, H, W, 3] at `fps` → float64 [T', 64, 64, 3] in 0..1 at FEATURE_FPS."""
    t_out = max(3, round(frames.shape[0] / fps * FEATURE_FPS))
    idx = np.minimum((np.arange(t_out) * fps / FEATURE_FPS).round().astype(int), frames.shape[0] - 1)
    x = torch.from_numpy(np.ascontiguousarray(frames[idx])).permute(0, 3, 1, 2).float() / 255.0  # t c h w
    x = F.interpolate(x, size=FEATURE_SIZE, mode="area")
    return x.permute(0, 2, 3, 1).double().numpy()


def _colour_histograms(video: np.ndarray) -> np.ndarray:
    """[T, H, W, 3] → [T, 64] joint RGB histograms (4 levels per channel)."""
    q = np.minimum((video * 4).astype(int), 3)
    code = q[..., 0] * 16 + q[..., 1] * 4 + q[..., 2]
    hist = np.stack([np.bincount(c.ravel(), minlength=64) for c in code]).astype(np.float64)
    return hist / hist.sum(axis=1, keepdims=True)


def _gradients(luma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sobel gradients (gx, gy) of luma [T, H, W], each [T, H, W]."""
    gx = np.stack([convolve(f, _SOBEL_X, mode="nearest") for f in luma])
    gy = np.stack([convolve(f, _SOBEL_X.T, mode="nearest") for f in luma])
    return gx, gy


def _structure(luma: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """[T, 11]: gradient magnitude mean, std, 8-bin orientation histogram, Laplacian variance."""
    mag = np.hypot(gx, gy)
    ang = np.mod(np.arctan2(gy, gx), np.pi)  # orientation, not direction: edges have no sign
    bins = np.minimum((ang / np.pi * 8).astype(int), 7)
    hist = np.stack([np.bincount(b.ravel(), weights=m.ravel(), minlength=8) for b, m in zip(bins, mag, strict=True)])
    hist = hist / np.maximum(hist.sum(axis=1, keepdims=True), 1e-9)
    lap = np.array([laplace(f).var() for f in luma])
    return np.column_stack([mag.mean(axis=(1, 2)), mag.std(axis=(1, 2)), hist, lap])


def _flow(luma: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Lucas–Kanade flow per grid cell between consecutive frames: [T-1, G*G, 2] in pixels/frame."""
    it = np.diff(luma, axis=0)  # [T-1, H, W]
    ix, iy = 0.5 * (gx[1:] + gx[:-1]) * 8, 0.5 * (gy[1:] + gy[:-1]) * 8  # undo the Sobel /8 → per pixel
    t, h, w = it.shape
    cells = lambda a: a.reshape(t, _GRID, h // _GRID, _GRID, w // _GRID).sum(axis=(2, 4)).reshape(t, -1)  # noqa: E731
    sxx, syy, sxy = cells(ix * ix), cells(iy * iy), cells(ix * iy)
    sxt, syt = cells(ix * it), cells(iy * it)
    det = sxx * syy - sxy * sxy
    ok = det > 1e-6
    safe = np.where(ok, det, 1.0)
    u = np.where(ok, (-syy * sxt + sxy * syt) / safe, 0.0)
    v = np.where(ok, (sxy * sxt - sxx * syt) / safe, 0.0)
    return np.clip(np.stack([u, v], axis=-1), -8.0, 8.0)  # flows beyond ±8 px are aperture artefacts


def _motion(luma: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """[T-1, 15]: diff mean, changed fraction, flow mag mean/std/max, 8 direction bins, jerk, change jump."""
    diff = np.abs(np.diff(luma, axis=0))
    flow = _flow(luma, gx, gy)
    mag = np.hypot(flow[..., 0], flow[..., 1])  # [T-1, G*G]
    bins = np.minimum((np.mod(np.arctan2(flow[..., 1], flow[..., 0]), 2 * np.pi) / (2 * np.pi) * 8).astype(int), 7)
    hist = np.stack([np.bincount(b, weights=m, minlength=8) for b, m in zip(bins, mag, strict=True)])
    hist = hist / np.maximum(mag.sum(axis=1, keepdims=True), 1e-9)
    jerk = np.abs(np.diff(luma, n=2, axis=0)).mean(axis=(1, 2))
    jerk = np.append(jerk, jerk[-1] if len(jerk) else 0.0)
    return np.column_stack([
        diff.mean(axis=(1, 2)), (diff > 8 / 255).mean(axis=(1, 2)),
        mag.mean(axis=1), mag.std(axis=1), mag.max(axis=1), hist, jerk, _change_jumps(diff),
    ])


def _change_jumps(diff: np.ndarray) -> np.ndarray:
    """[T-1]: how far the centre of change moves between consecutive frame pairs (fraction of the frame).

    Where things change moves smoothly in a coherent video; in shuffled or flickering frames it jumps."""
    _t, h, w = diff.shape
    weight = diff.sum(axis=(1, 2)) + 1e-9
    cy = (diff.sum(axis=2) * np.arange(h)).sum(axis=1) / weight / h
    cx = (diff.sum(axis=1) * np.arange(w)).sum(axis=1) / weight / w
    jump = np.hypot(np.diff(cx), np.diff(cy))
    return np.append(jump, jump[-1] if len(jump) else 0.0)


def video_features(clip: Clip) -> np.ndarray:
    """The clip's video feature vector [VIDEO_DIM] (see the module docstring)."""
    video = resample_video(clip.frames, clip.fps)
    luma = video @ LUMA  # [T, H, W]
    gx, gy = _gradients(luma)
    structure = _structure(luma, gx, gy)  # [T, 11]: 2 magnitudes, 8 shares, 1 magnitude
    motion = _motion(luma, gx, gy)  # [T-1, 15]: 2 magnitudes, 3 magnitudes, 8 shares, 2 magnitudes
    per_frame = np.column_stack([np.sqrt(_colour_histograms(video)), _mag(structure[:, :2]),
                                 np.sqrt(structure[:, 2:10]), _mag(structure[:, 10:])])  # fmt: skip
    per_pair = np.column_stack([_mag(motion[:, :5]), np.sqrt(motion[:, 5:13]), _mag(motion[:, 13:])])
    pool = lambda a: np.concatenate([a.mean(axis=0), a.std(axis=0)])  # noqa: E731
    return np.concatenate([pool(per_frame), pool(per_pair)])


VIDEO_DIM = 2 * (64 + 11) + 2 * 15


def _mag(x: np.ndarray) -> np.ndarray:
    """Magnitudes on a log scale (a 10× larger motion is a fixed step, not a 10× larger one)."""
    return np.log1p(100.0 * np.abs(x))


# --- audio --------------------------------------------------------------------------------------------


def mono_16k(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """The mono mix at AUDIO_RATE."""
    mono = to_mono(audio)
    if sample_rate == AUDIO_RATE:
        return mono
    from math import gcd

    g = gcd(int(sample_rate), AUDIO_RATE)
    return resample_poly(mono, AUDIO_RATE // g, int(sample_rate) // g)


def _spectral_contrast(power: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """Mean over time of peak-minus-valley (dB, 20 % quantiles) in 6 octave bands from 125 Hz: [6]."""
    edges = 125.0 * 2.0 ** np.arange(7)
    out = []
    for lo, hi in itertools.pairwise(edges):
        band = np.sort(power[:, (freqs >= lo) & (freqs < min(hi, AUDIO_RATE / 2))], axis=1)
        k = max(1, int(0.2 * band.shape[1]))
        peak = 10 * np.log10(band[:, -k:].mean(axis=1) + 1e-10)
        valley = 10 * np.log10(band[:, :k].mean(axis=1) + 1e-10)
        out.append((peak - valley).mean())
    return np.asarray(out)


def audio_features(clip: Clip) -> np.ndarray:
    """The clip's audio feature vector [AUDIO_DIM] (see the module docstring)."""
    mono = mono_16k(clip.audio, clip.sample_rate)
    mag, _ = stft_magnitude(mono, AUDIO_RATE, 0.025, 0.010)
    power = mag**2  # [F, bins]
    n_fft = 2 * (power.shape[1] - 1)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / AUDIO_RATE)
    logmel = np.log(power @ mel_filterbank(n_fft, AUDIO_RATE, N_MELS).T + 1e-8)  # [F, 40]
    flatness = np.exp(np.log(power + 1e-12).mean(axis=1)) / (power.mean(axis=1) + 1e-12)
    rms_db = 10 * np.log10(power.mean(axis=1) + 1e-10)
    onset_rate = len(detect_onsets(mono, AUDIO_RATE).times) / max(len(mono) / AUDIO_RATE, 1e-3)
    return np.concatenate([
        logmel.mean(axis=0), logmel.std(axis=0), _spectral_contrast(power, freqs) / 10.0,
        [np.sqrt(flatness.mean()), flatness.std(), rms_db.mean() / 10.0, rms_db.std() / 10.0, np.log1p(onset_rate)],
    ])


AUDIO_DIM = 2 * N_MELS + 6 + 5
