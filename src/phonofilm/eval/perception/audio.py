"""Audio perception: onsets (spectral flux, adaptive threshold, ms refinement) and the speech envelope.

Everything here reads a waveform (float [C, S] or [S]) and its sample rate, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import ndimage
from scipy.ndimage import maximum_filter1d, median_filter, uniform_filter1d


@dataclass(frozen=True)
class OnsetConfig:
    """Onset detector settings. Times in seconds; `delta` is in units of the flux's robust spread."""

    win: float = 0.032  # STFT window: long enough to resolve the spectrum of a knock
    hop: float = 0.005
    median_span: float = 0.25  # each band's background is its median over this span
    bands: int = 32
    margin_db: float = 3.0  # band fluctuations within this of the background are ignored
    delta: float = 6.0  # how far above the flux's local median (in MADs) a peak must rise
    floor: float = 0.15  # absolute minimum flux (0.15: bands rise 1.5 dB above background on average)
    min_gap: float = 0.04  # two onsets closer than this are one
    refine_back: float = 0.015  # a flux peak comes up to ~win/2 before its onset and a little after it


@dataclass(frozen=True)
class Onsets:
    """Detected onsets: times [N] in seconds (ascending) and their flux strength [N]."""

    times: np.ndarray
    strength: np.ndarray


def to_mono(audio: np.ndarray) -> np.ndarray:
    """[C, S] or [S] float → [S] float64 (mean of channels)."""
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim == 2:
        return audio.mean(axis=0)
    if audio.ndim != 1:
        raise ValueError(f"audio must be [channels, samples] or [samples], got shape {audio.shape}")
    return audio


def stft_magnitude(mono: np.ndarray, sr: int, win: float, hop: float) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude spectrogram [frames, bins] (Hann window) and each frame's centre time [frames]."""
    n = max(16, round(win * sr))
    h = max(1, round(hop * sr))
    mode = "reflect" if len(mono) > n else "constant"  # reflect: no fake onset at t = 0
    padded = np.pad(mono, (n // 2, n // 2 + h), mode=mode)
    frames = sliding_window_view(padded, n)[::h]  # [F, n]; frame k is centred on sample k * h
    mag = np.abs(np.fft.rfft(frames * np.hanning(n), axis=-1)) / (n / 4)  # full-scale sine → ~1
    times = np.arange(len(mag)) * h / sr
    return mag, times


def mel_filterbank(n_fft: int, sr: int, n_mels: int, fmin: float = 30.0) -> np.ndarray:
    """Triangular mel filters [n_mels, n_fft // 2 + 1] (HTK mel scale), unit height."""
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)  # noqa: E731
    hz = lambda m: 700.0 * (10 ** (m / 2595.0) - 1.0)  # noqa: E731
    edges = hz(np.linspace(mel(fmin), mel(sr / 2), n_mels + 2))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (freqs - lo) / np.maximum(mid - lo, 1e-9)
    down = (hi - freqs) / np.maximum(hi - mid, 1e-9)
    return np.clip(np.minimum(up, down), 0.0, 1.0)


def spectral_flux(mono: np.ndarray, sr: int, cfg: OnsetConfig = OnsetConfig()) -> tuple[np.ndarray, np.ndarray]:
    """Onset strength (times [F], flux [F]): the rise of each mel band above its own running median.

    Subtracting each band's background (its median over `median_span`) before taking the rise makes a
    knock stand out of steady rain, wind or murmur as clearly as out of silence; units are 10 dB of
    rise averaged over the bands.
    """
    mag, times = stft_magnitude(mono, sr, cfg.win, cfg.hop)
    fb = mel_filterbank(2 * (mag.shape[1] - 1), sr, cfg.bands)
    level = 10.0 * np.log10(mag**2 @ fb.T + 1e-10)  # [F, bands] dB
    span = max(3, round(cfg.median_span / cfg.hop) | 1)
    excess = np.maximum(level - median_filter(level, size=(span, 1), mode="reflect") - cfg.margin_db, 0.0)
    rise = np.maximum(np.diff(excess, axis=0, prepend=excess[:1]), 0.0)
    return times, rise.mean(axis=1) / 10.0


def detect_onsets(audio: np.ndarray, sr: int, cfg: OnsetConfig = OnsetConfig()) -> Onsets:
    """Onsets by spectral flux peaks above median + delta·MAD, refined to the steepest energy rise."""
    mono = to_mono(audio)
    times, flux = spectral_flux(mono, sr, cfg)
    if len(flux) < 3:
        return Onsets(np.zeros(0), np.zeros(0))
    span = max(3, round(cfg.median_span / cfg.hop) | 1)
    local = median_filter(flux, size=span, mode="reflect")
    mad = median_filter(np.abs(flux - local), size=span, mode="reflect")
    # a local spread can collapse (digital silence, a held tone): never trust it below half the global one
    spread = np.maximum(mad, 0.5 * np.median(np.abs(flux - np.median(flux))) + 1e-6)
    threshold = np.maximum(local + cfg.delta * spread, cfg.floor)
    gap = max(1, round(cfg.min_gap / cfg.hop))
    is_peak = (flux >= maximum_filter1d(flux, size=gap | 1, mode="nearest")) & (flux > threshold)
    # frames that see padding cannot tell an onset from the clip's edge
    is_peak &= (times >= cfg.win / 2) & (times <= len(mono) / sr - cfg.win / 2)
    idx = np.flatnonzero(is_peak)
    idx = _drop_close(idx, flux, gap)
    refined = np.array([_refine(mono, sr, times[i], cfg) for i in idx])
    return Onsets(refined.reshape(-1), flux[idx])


def _drop_close(idx: np.ndarray, flux: np.ndarray, gap: int) -> np.ndarray:
    """Keep the stronger of any two peaks closer than `gap` frames (plateaus give twin maxima)."""
    kept: list[int] = []
    for i in idx:
        if kept and i - kept[-1] < gap:
            if flux[i] > flux[kept[-1]]:
                kept[-1] = int(i)
            continue
        kept.append(int(i))
    return np.asarray(kept, dtype=np.int64)


def _refine(mono: np.ndarray, sr: int, t_peak: float, cfg: OnsetConfig) -> float:
    """The time of the steepest rise of 1 ms log energy in the span a flux peak at `t_peak` can see."""
    h = max(1, sr // 1000)
    lo = max(0, int((t_peak - cfg.refine_back) * sr))
    hi = min(len(mono), int((t_peak + cfg.win / 2 + 0.005) * sr))
    seg = mono[lo:hi]
    n = len(seg) // h
    if n < 4:
        return t_peak
    energy = np.log(np.mean(seg[: n * h].reshape(n, h) ** 2, axis=1) + 1e-10)
    energy = uniform_filter1d(energy, 3, mode="nearest")  # 3 ms smoothing against sample noise
    rise = np.diff(energy)
    k = int(np.argmax(rise))
    return (lo + (k + 1) * h) / sr


# --- speech -----------------------------------------------------------------------------------------


def band_envelope(
    audio: np.ndarray, sr: int, rate: float = 100.0, band: tuple[float, float] = (250.0, 4000.0),
    win: float = 0.04,
) -> tuple[np.ndarray, np.ndarray]:
    """RMS amplitude in a frequency band sampled at `rate` Hz: (times [F], envelope [F])."""
    mono = to_mono(audio)
    mag, times = stft_magnitude(mono, sr, win, 1.0 / rate)
    freqs = np.fft.rfftfreq(max(16, round(win * sr)), 1.0 / sr)
    sel = (freqs >= band[0]) & (freqs <= min(band[1], sr / 2))
    env = np.sqrt((mag[:, sel] ** 2).sum(axis=1) / max(1, sel.sum()))
    return times, env


def speech_envelope(audio: np.ndarray, sr: int, rate: float = 100.0) -> tuple[np.ndarray, np.ndarray]:
    """Speech-band (250–4000 Hz) amplitude at `rate` Hz, 0 at the noise floor and 1 at the loud end.

    Normalising by robust percentiles makes the envelope comparable between quiet and loud voices;
    the noise floor (10th percentile) is subtracted so steady ambience does not look like speech.
    """
    times, env = band_envelope(audio, sr, rate)
    if len(env) == 0:
        return times, env
    lo, hi = np.percentile(env, 10), np.percentile(env, 99)
    if hi - lo < 1e-6:
        return times, np.zeros_like(env)
    return times, np.clip((env - lo) / (hi - lo), 0.0, 1.0)


def voice_pitch(audio: np.ndarray, sr: int, rate: float = 100.0) -> tuple[np.ndarray, np.ndarray]:
    """`pitch_track` as the benchmark hears a voice: a clear pitch (voicing 0.5) in 50–400 Hz. Speech
    activity, voice profiles and the vocoder's pitch targets all read this one."""
    return pitch_track(audio, sr, rate, fmin=50.0, fmax=400.0, voicing=0.5)


def speech_activity(audio: np.ndarray, sr: int, rate: float = 100.0, min_run: float = 0.1) -> tuple[
    np.ndarray, np.ndarray
]:
    """Speech activity (bool [F] at `rate` Hz): voiced stretches (clear pitch in 50–400 Hz) lasting at
    least `min_run` s whose pitch moves (intonation), with pauses under 200 ms filled. Noise, rain and
    wind are unvoiced; hums and ringing metal hold a steady pitch, so they do not pass."""
    times, f0 = voice_pitch(audio, sr, rate)
    voiced = f0 > 0
    labels, _n = ndimage.label(voiced)
    keep = np.zeros_like(voiced)
    for k, sl in enumerate(ndimage.find_objects(labels), start=1):
        run = np.log(f0[sl][labels[sl] == k])
        # intonation: the pitch spreads (interquartile range, robust to octave slips) and keeps gliding
        # (median frame-to-frame change); a ringing object holds one partial, then jumps to another
        if len(run) < min_run * rate:
            continue
        glide = float(np.median(np.abs(np.diff(run))))
        if np.subtract(*np.percentile(run, [75, 25])) > 0.02 and glide > 0.0015:
            keep[sl] |= labels[sl] == k
    gap = max(1, int(0.2 * rate))
    closed = ndimage.binary_closing(np.pad(keep, gap), np.ones(gap))[gap:-gap]
    # the envelope grid and the pitch grid differ by half a window: report on the envelope's grid
    env_times, _ = speech_envelope(audio, sr, rate)
    active = np.interp(env_times, times, closed.astype(float), left=0.0, right=0.0) > 0.5 if len(times) else np.zeros(len(env_times), bool)
    return env_times, active


def pitch_track(
    audio: np.ndarray, sr: int, rate: float = 100.0, fmin: float = 50.0, fmax: float = 500.0,
    voicing: float = 0.6,
) -> tuple[np.ndarray, np.ndarray]:
    """F0 in Hz per frame at `rate` Hz by normalised autocorrelation (3 periods of fmin); 0 where unvoiced.

    Returns (times [F], f0 [F]). A frame is voiced when its autocorrelation peak within [fmin, fmax]
    reaches `voicing` of the zero-lag energy and the frame is not silent.
    """
    mono = to_mono(audio)
    n = int(3.0 / fmin * sr)
    h = max(1, round(sr / rate))
    if len(mono) < n:
        return np.zeros(0), np.zeros(0)
    frames = sliding_window_view(mono, n)[::h]  # [F, n]
    frames = frames - frames.mean(axis=1, keepdims=True)
    window = np.hanning(n)
    spec = np.fft.rfft(frames * window, n=2 * n, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :n]  # [F, lags]
    # divide out the window's own autocorrelation (Boersma 1993) so long periods are not penalised
    w_ac = np.fft.irfft(np.abs(np.fft.rfft(window, n=2 * n)) ** 2)[:n]
    ac = ac / np.maximum(w_ac / w_ac[0], 1e-3)
    lo, hi = int(sr / fmax), min(n - 2, int(sr / fmin))
    seg = ac[:, lo:hi]
    best = seg.max(axis=1, keepdims=True)
    # the shortest lag that is a local maximum near the best one: multiples of the period score as high
    local_max = np.zeros_like(seg, dtype=bool)
    local_max[:, 1:-1] = (seg[:, 1:-1] >= seg[:, :-2]) & (seg[:, 1:-1] >= seg[:, 2:])
    good = local_max & (seg >= 0.9 * best)
    peak = lo + np.where(good.any(axis=1), np.argmax(good, axis=1), np.argmax(seg, axis=1))
    strength = ac[np.arange(len(ac)), peak] / np.maximum(ac[:, 0], 1e-12)
    # parabolic interpolation of the peak lag for sub-sample pitch accuracy
    a, b, c = (ac[np.arange(len(ac)), np.clip(peak + d, 0, n - 1)] for d in (-1, 0, 1))
    shift = np.where(np.abs(a - 2 * b + c) > 1e-12, 0.5 * (a - c) / (a - 2 * b + c + 1e-30), 0.0)
    f0 = sr / (peak + np.clip(shift, -0.5, 0.5))
    loud = ac[:, 0] > 1e-3 * np.max(ac[:, 0], initial=0.0) + 1e-9
    voiced = (strength >= voicing) & loud
    times = (np.arange(len(frames)) * h + n / 2) / sr
    return times, np.where(voiced, f0, 0.0)
