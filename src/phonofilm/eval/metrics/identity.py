"""Identity (cameo): does the subject look and sound like the reference recording?

- `appearance_similarity`: best match between a character in the clip and one in the reference clip:
  histogram intersection of their colour make-up (body and pattern colours) times the agreement of
  their body proportions. Ideal 1; fails below 0.6.
- `voice_similarity`: pitch (median F0 of voiced speech, compared in semitones, scale 1.5) and timbre
  (spectral centroid of voiced speech after subtracting the ambience, in octaves, scale 1.0) of the
  clip's speech against the reference's: sqrt(pitch_sim · timbre_sim), each exp(−(d/scale)²).
  Ideal 1; fails below 0.5. Pitch statistics cannot tell apart two voices of equal pitch and brightness;
  rain or crowd under the voice move the pitch estimate by up to ~2 semitones (record cameos clean).
"""

from __future__ import annotations

import numpy as np

from phonofilm.eval.analysis import ClipAnalysis, analysis_of
from phonofilm.eval.features import mono_16k
from phonofilm.eval.perception.audio import speech_activity, stft_magnitude, voice_pitch
from phonofilm.eval.perception.characters import CharacterView
from phonofilm.eval.target import Target
from phonofilm.world.clip import Clip

PITCH_SCALE = 1.5  # semitones: one voice's lines differ by < 1 semitone in median pitch (clean audio)
TIMBRE_SCALE = 1.0  # octaves of spectral centroid (content moves it by up to ~0.5)


def _reference(target: Target | None) -> Clip:
    if target is None or target.reference is None:
        raise ValueError("identity metrics need target.reference (the cameo's reference clip)")
    return target.reference


def character_similarity(a: CharacterView, b: CharacterView) -> float:
    """Colour make-up intersection × proportion agreement, in [0, 1]."""
    colours = float(np.minimum(a.palette, b.palette).sum())
    shape = min(a.aspect, b.aspect) / max(a.aspect, b.aspect)
    return colours * float(np.sqrt(shape))


def appearance_similarity(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Best look match of a character in the clip to one in the reference. Ideal 1; fails below 0.6."""
    ref = ClipAnalysis(_reference(target)).characters
    gen = analysis_of(clip, analysis).characters
    if not ref or not gen:
        return float("nan") if not ref else 0.0
    return max(character_similarity(g, r) for g in gen for r in ref)


def voice_profile(audio: np.ndarray, sample_rate: int) -> tuple[float, float] | None:
    """(median F0 in semitones re 100 Hz, spectral centroid of voiced speech in octaves re 1 kHz), or
    None when nobody speaks. Ambience under the voice is subtracted from the spectrum first."""
    mono = mono_16k(audio, sample_rate)
    times, active = speech_activity(mono, 16000)
    pt, f0 = voice_pitch(mono, 16000)
    voiced = (f0 > 0) & (np.interp(pt, times, active.astype(float)) > 0.5) if len(times) else f0 > 0
    if voiced.sum() < 10:
        return None
    semis = float(np.median(12.0 * np.log2(f0[voiced] / 100.0)))
    mag, st = stft_magnitude(mono, 16000, 0.025, 0.010)
    power = mag**2  # [F, bins]
    freqs = np.fft.rfftfreq(2 * (mag.shape[1] - 1), 1.0 / 16000)
    speech = np.interp(st, pt, voiced.astype(float)) > 0.5
    quiet = np.interp(st, times, active.astype(float)) < 0.5 if len(times) else ~speech
    voice = power[speech].mean(axis=0)
    if quiet.sum() >= 10:  # spectral subtraction: rain, wind or murmur under the voice is not its timbre
        voice = np.maximum(voice - power[quiet].mean(axis=0), 0.0)
    band = (freqs >= 80) & (freqs <= 6000)
    centroid = float((freqs[band] * voice[band]).sum() / max(voice[band].sum(), 1e-12))
    return semis, float(np.log2(max(centroid, 1.0) / 1000.0))


def voice_similarity(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Pitch and timbre similarity of the clip's speech to the reference's. Ideal 1; fails below 0.5."""
    ref = _reference(target)
    a = voice_profile(clip.audio, clip.sample_rate)
    b = voice_profile(ref.audio, ref.sample_rate)
    if b is None:
        return float("nan")
    return profile_similarity(a, b)


def profile_similarity(a: tuple[float, float] | None, b: tuple[float, float]) -> float:
    """Similarity in [0, 1] of voice profile `a` (None: nobody speaks → 0) to reference profile `b`."""
    if a is None:
        return 0.0
    pitch = np.exp(-(((a[0] - b[0]) / PITCH_SCALE) ** 2))
    timbre = np.exp(-(((a[1] - b[1]) / TIMBRE_SCALE) ** 2))
    return float(np.sqrt(pitch * timbre))
