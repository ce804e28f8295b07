"""Dialogue: every scene line spoken by libespeak-ng in its character's voice, with phonemes and a mouth track.

The mouth track (what the picture animates and what lip-sync metrics compare against) comes from two
sources multiplied together: a target openness per phoneme class (open vowels wide, bilabials shut),
smoothed with separate attack/release times, and the speech's own loudness envelope. So the mouth is shut
on /m b p/ and in pauses, and it opens with the sound.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly

from phonofilm.world.scene import Line, Scene, Voice
from phonofilm.world.sound.espeak import engine
from phonofilm.world.state import Utterance

MOUTH_RATE = 100.0  # Hz, the Utterance.mouth sampling rate
SPEECH_RMS = 0.1  # every line is normalised to this RMS over its voiced part (about -20 dBFS)
_STRESS_MARKS = "',%="
_ATTACK_S = 0.03  # mouth opening time constant
_RELEASE_S = 0.05  # mouth closing time constant
_ANTICIPATION_S = 0.03  # lips move slightly ahead of the sound; also cancels the smoothing lag
_ENVELOPE_WINDOW_S = 0.02

# Target openness per phoneme class (espeak-ng mnemonics, stress marks removed).
OPENNESS_OPEN_VOWEL = 1.0
OPENNESS_MID_VOWEL = 0.75
OPENNESS_CLOSE_VOWEL = 0.5
OPENNESS_LABIODENTAL = 0.15
OPENNESS_ROUNDED = 0.2
OPENNESS_CONSONANT = 0.25
_BILABIALS = frozenset({"m", "b", "p"})


def strip_stress(symbol: str) -> str:
    """An espeak phoneme mnemonic without its stress marks ("'oU" -> "oU")."""
    return symbol.lstrip(_STRESS_MARKS)


def is_pause(symbol: str) -> bool:
    """espeak writes pauses as "_", "_:", "_!" ..."""
    return strip_stress(symbol).startswith("_")


def phoneme_openness(symbol: str) -> float:
    """How open the mouth is for one espeak phoneme: open vowels 1, close vowels 0.5, m/b/p and pauses 0."""
    s = strip_stress(symbol)
    if not s or s.startswith("_"):
        return 0.0
    if s in _BILABIALS:
        return 0.0
    head = s[0]
    if head in "aA0OV&":
        return OPENNESS_OPEN_VOWEL
    if head in "Ee3@o":
        return OPENNESS_MID_VOWEL
    if head in "iIuUy":
        return OPENNESS_CLOSE_VOWEL
    if head in "fv":
        return OPENNESS_LABIODENTAL
    if head == "w":
        return OPENNESS_ROUNDED
    return OPENNESS_CONSONANT


def _resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    if rate_in == rate_out:
        return x.astype(np.float32)
    ratio = Fraction(rate_out, rate_in)
    return resample_poly(x, ratio.numerator, ratio.denominator).astype(np.float32)


def _timed_phonemes(
    events: tuple[tuple[int, str], ...], duration: float
) -> tuple[tuple[float, float, str], ...]:
    """(start, end, symbol) in seconds from the audio start; a phoneme ends where the next event begins."""
    starts = [ms / 1000.0 for ms, _ in events]
    out = []
    for i, (start, (_, symbol)) in enumerate(zip(starts, events, strict=True)):
        end = starts[i + 1] if i + 1 < len(starts) else duration
        out.append((min(start, duration), min(max(end, start), duration), symbol))
    return tuple(out)


def speech_envelope(
    audio: np.ndarray, sample_rate: int, n_frames: int, rate: float = MOUTH_RATE
) -> np.ndarray:
    """RMS loudness of `audio` in 20 ms windows centred on frames at `rate` Hz, scaled to [0, 1]."""
    half = int(_ENVELOPE_WINDOW_S * sample_rate / 2)
    power = np.concatenate([[0.0], np.cumsum(audio.astype(np.float64) ** 2)])
    centres = np.round(np.arange(n_frames) / rate * sample_rate).astype(np.int64)
    lo = np.clip(centres - half, 0, len(audio))
    hi = np.clip(centres + half, 0, len(audio))
    rms = np.sqrt((power[hi] - power[lo]) / np.maximum(hi - lo, 1))
    ref = np.percentile(rms, 95) if rms.size else 0.0
    return np.clip(rms / ref, 0.0, 1.0) if ref > 0 else np.zeros(n_frames)


def _smooth(target: np.ndarray, rate: float) -> np.ndarray:
    """Asymmetric one-pole follower: opens with the attack time constant, closes with the release one."""
    up = 1.0 - np.exp(-1.0 / (rate * _ATTACK_S))
    down = 1.0 - np.exp(-1.0 / (rate * _RELEASE_S))
    out = np.empty_like(target)
    level = 0.0
    for i, t in enumerate(target):
        level += (t - level) * (up if t > level else down)
        out[i] = level
    return out


def mouth_track(
    phonemes: tuple[tuple[float, float, str], ...],
    audio: np.ndarray,
    sample_rate: int,
    rate: float = MOUTH_RATE,
) -> np.ndarray:
    """Mouth openness in [0, 1] at `rate` Hz from the audio start: phoneme targets x the speech envelope."""
    duration = len(audio) / sample_rate
    n = int(np.ceil(duration * rate)) + 1
    times = np.arange(n) / rate + _ANTICIPATION_S
    target = np.zeros(n)
    for start, end, symbol in phonemes:
        target[(times >= start) & (times < end)] = phoneme_openness(symbol)
    shaped = _smooth(target, rate) * (0.3 + 0.7 * np.sqrt(speech_envelope(audio, sample_rate, n, rate)))
    shaped[0] = shaped[-1] = 0.0  # closed before the first and after the last sample
    return np.clip(shaped, 0.0, 1.0).astype(np.float32)


@functools.lru_cache(maxsize=128)  # ~200 kB per line at 16 kHz; synthesis is cheap anyway
def _spoken(
    text: str, voice: Voice, sample_rate: int
) -> tuple[np.ndarray, tuple[tuple[float, float, str], ...], np.ndarray]:
    """(audio, phonemes relative to the audio start, mouth) for one line; cached, arrays read-only."""
    out = engine().synth(text, voice)
    audio = _resample(out.samples.astype(np.float32) / 32768.0, out.sample_rate, sample_rate)
    voiced = np.abs(audio) > 1e-3
    rms = float(np.sqrt(np.mean(audio[voiced] ** 2))) if voiced.any() else 0.0
    if rms > 0:
        audio *= SPEECH_RMS / rms
    duration = len(audio) / sample_rate
    timed = _timed_phonemes(out.phonemes, duration)
    mouth = mouth_track(timed, audio, sample_rate)
    phonemes = tuple((s, e, strip_stress(sym)) for s, e, sym in timed if not is_pause(sym))
    audio.setflags(write=False)
    mouth.setflags(write=False)
    return audio, phonemes, mouth


def synthesize_line(line: Line, voice: Voice, sample_rate: int = 16000) -> Utterance:
    """One line of dialogue, spoken in `voice` and placed at `line.start` on the clip's time line."""
    if not line.text.strip():
        raise ValueError(f"dialogue line of {line.character!r} at {line.start}s has empty text")
    audio, phonemes, mouth = _spoken(line.text, voice, sample_rate)
    return Utterance(
        character=line.character,
        text=line.text,
        start=line.start,
        end=line.start + len(audio) / sample_rate,
        phonemes=tuple((line.start + s, line.start + e, sym) for s, e, sym in phonemes),
        mouth=mouth,
        audio=audio,
        sample_rate=sample_rate,
        mouth_rate=MOUTH_RATE,
    )


def synthesize_dialogue(scene: Scene, sample_rate: int = 16000) -> tuple[Utterance, ...]:
    """Every `scene.dialogue` line synthesized in its character's voice, in scene order."""
    voices = {c.id: c.voice for c in scene.characters}
    out = []
    for i, line in enumerate(scene.dialogue):
        if line.character not in voices:
            raise ValueError(
                f"scene.dialogue[{i}] is spoken by {line.character!r}, which is not a character id; "
                f"characters are {sorted(voices)}"
            )
        out.append(synthesize_line(line, voices[line.character], sample_rate))
    return tuple(out)
