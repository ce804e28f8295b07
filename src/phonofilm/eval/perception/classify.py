"""Whole-clip classifiers from pixels or sound: visual style and ambience.

Style: letterbox bars mean cinematic; otherwise the share of gentle colour steps between neighbouring
pixels (after a 3×3 median, which removes sensor-like noise) separates anime's flat cel fills (almost
none) from realistic shading and textures (a third or more).

Ambience: from the long-term spectrum of the quietest 30 % of frames (events and speech are louder, so
this is the background bed): silence is digital silence, rain is bright flat noise, birds are bright
tonal chirps, wind is low rumble flat up to 250 Hz, room tone low noise falling like 1/f, crowd murmur
sits in the speech band.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from phonofilm.eval.perception.audio import stft_magnitude, to_mono
from phonofilm.eval.perception.video import picture_rows

GENTLE_ANIME = 0.15  # below this share of gentle steps a picture is cel-shaded
ROOM_TILT = 1.4  # power 50–100 Hz over 150–250 Hz above which a low bed is room tone, not wind


def gentle_step_share(frames: np.ndarray) -> float:
    """Share of horizontal neighbour steps of 1..6 levels (smooth shading) in the picture."""
    top, bottom = picture_rows(frames)
    sample = frames[:: max(1, len(frames) // 8), top:bottom].astype(np.float64)
    smooth = ndimage.median_filter(sample, size=(1, 3, 3, 1))
    step = np.abs(np.diff(smooth, axis=2)).max(axis=-1)
    return float(((step >= 1.0) & (step < 6.0)).mean())


def classify_style(frames: np.ndarray) -> str:
    """'cinematic' (letterboxed), 'anime' (flat cel fills) or 'realistic'."""
    top, bottom = picture_rows(frames)
    if top > 0 and bottom < frames.shape[1]:
        return "cinematic"
    return "anime" if gentle_step_share(frames) < GENTLE_ANIME else "realistic"


def ambience_features(audio: np.ndarray, sr: int) -> dict[str, float]:
    """Bed level (10th percentile frame, dB), and of the quietest 30 % of frames: centroid (Hz), flatness,
    low (<300 Hz) and high (>2 kHz) power shares; modulation (dB std of all frames); the high share of
    the loudest 30 % of frames (chirps); low tilt: power at 50–100 Hz over power at 150–250 Hz."""
    mono = to_mono(audio)
    mag, _ = stft_magnitude(mono, sr, 0.032, 0.010)
    power = mag**2
    freqs = np.fft.rfftfreq(2 * (mag.shape[1] - 1), 1.0 / sr)
    frame_db = 10 * np.log10(power.sum(axis=1) + 1e-12)
    quiet = frame_db <= np.percentile(frame_db, 30)
    bed = power[quiet].mean(axis=0) + 1e-20
    total = bed.sum()
    loud = power[frame_db >= np.percentile(frame_db, 70)].mean(axis=0) + 1e-20
    return {
        "level": float(np.percentile(frame_db, 10)),
        "centroid": float((bed * freqs).sum() / total),
        "flatness": float(np.exp(np.log(bed).mean()) / bed.mean()),
        "low": float(bed[freqs < 300].sum() / total),
        "high": float(bed[freqs > 2000].sum() / total),
        "modulation": float(np.std(frame_db)),
        "loud_high": float(loud[freqs > 2000].sum() / loud.sum()),
        "low_tilt": float(bed[(freqs >= 50) & (freqs < 100)].sum() / bed[(freqs >= 150) & (freqs < 250)].sum()),
    }


def classify_ambience(audio: np.ndarray, sr: int) -> str:
    """One of rain, wind, birds, crowd, room, silence (by spectral shape, not loudness: the mix level of
    a bed varies with what else is in the scene)."""
    f = ambience_features(audio, sr)
    if f["level"] < -70:
        return "silence"
    if f["high"] > 0.5:
        return "rain" if f["flatness"] > 0.2 else "birds"
    if f["low"] > 0.6:
        # room tone falls like 1/f (≈ 2–4× more power at 50–100 Hz than at 150–250 Hz); wind is flat to 250 Hz
        return "room" if f["low_tilt"] > ROOM_TILT else "wind"
    chirps = f["modulation"] > 8 and f["loud_high"] > 0.5
    return "birds" if chirps or f["centroid"] > 800 else "crowd"
