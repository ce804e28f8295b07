"""Audio–video sync: visual contact events (seen in the frames) against audio onsets (heard).

Visual events are the moments tracked objects change velocity abruptly (bounces, knocks, splashes),
timed to a fraction of a frame (`phonofilm.eval.perception.video.contact_events`); audio onsets come
from spectral flux (`phonofilm.eval.perception.audio.detect_onsets`). Events are paired one-to-one,
nearest first, within MATCH_WINDOW.

Metrics (all from pixels and sound alone):
- `av_offset_ms`: mean |audio − picture| over matched pairs. Ideal 0; fails above 60 ms.
- `av_recall`: fraction of visual events with an onset within one video frame. Ideal 1; fails below 0.6.
- `av_precision`: fraction of clear impact onsets (outside speech, ≥ 40 % as strong as the loudest) with a
  visual event within one frame. Ideal 1; fails below 0.3 (gentle taps below the picture's resolution
  and off-screen contacts legitimately cost some precision).
- `av_best_lag_ms`: the global shift of the sound that best lines onsets up with visual events;
  positive = sound late. Ideal 0; fails beyond ±60 ms.
- `av_recall_over_chance`, `av_precision_over_chance`: recall and precision less what they would be with
  the sound unrelated to the picture — their mean with the onsets shifted in time, circularly, by lags
  spread evenly over [MATCH_WINDOW, duration − MATCH_WINDOW]. A clip with many contacts and onsets
  matches some by coincidence (4 s, 9 onsets: a contact has one within a frame about a quarter of the
  time), and recall and precision alone cannot tell that from sync. Ideal 1; fail below 0.15.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phonofilm.eval.analysis import ClipAnalysis, analysis_of
from phonofilm.eval.target import Target
from phonofilm.world.clip import Clip

MATCH_WINDOW = 0.25  # seconds: farther apart than this, an onset and a contact are unrelated
MAX_LAG = 0.5  # seconds searched by the global lag
LAG_STEP = 0.005
CHANCE_SHIFTS = 64  # lags the chance level averages over


@dataclass(frozen=True)
class SyncResult:
    """Everything the sync metrics derive from one clip (kept together so reports can plot it)."""

    visual: np.ndarray  # [V] contact times seen in the picture, seconds
    onsets: np.ndarray  # [A] impact-like onset times heard, seconds
    offsets: np.ndarray  # [M] audio − picture for matched pairs, seconds
    clear_matched: int  # clear onsets (≥ 40 % of the loudest) with a contact within one frame
    clear: int  # clear onsets
    tolerance: float  # one video frame, seconds
    best_lag: float  # seconds, positive = sound late
    chance_recall: float = float("nan")  # recall and precision with the sound shifted away (mean over lags)
    chance_precision: float = float("nan")

    @property
    def recall(self) -> float:
        if len(self.visual) == 0:
            return float("nan")
        return float((np.abs(self.offsets) <= self.tolerance).sum() / len(self.visual))

    @property
    def precision(self) -> float:
        return self.clear_matched / self.clear if self.clear else float("nan")

    @property
    def recall_over_chance(self) -> float:
        return self.recall - self.chance_recall

    @property
    def precision_over_chance(self) -> float:
        return self.precision - self.chance_precision

    @property
    def mean_offset_ms(self) -> float:
        return float(np.abs(self.offsets).mean() * 1000) if len(self.offsets) else float("nan")


def match_events(visual: np.ndarray, audio: np.ndarray, window: float = MATCH_WINDOW) -> np.ndarray:
    """Pair visual and audio times one-to-one, closest pairs first; returns offsets audio − visual [M]."""
    if len(visual) == 0 or len(audio) == 0:
        return np.zeros(0)
    diff = np.asarray(audio)[None, :] - np.asarray(visual)[:, None]  # [V, A]
    order = np.argsort(np.abs(diff), axis=None)
    used_v, used_a, out = set(), set(), []
    for flat in order:
        i, j = divmod(int(flat), diff.shape[1])
        if abs(diff[i, j]) > window:
            break
        if i in used_v or j in used_a:
            continue
        used_v.add(i)
        used_a.add(j)
        out.append(diff[i, j])
    return np.asarray(out)


def matched_within(visual: np.ndarray, audio: np.ndarray, tolerance: float) -> int:
    """How many one-to-one contact/onset pairs lie within `tolerance` of each other."""
    return int((np.abs(match_events(visual, audio)) <= tolerance).sum())


def chance_matches(visual: np.ndarray, audio: np.ndarray, duration: float, tolerance: float,
                   shifts: int = CHANCE_SHIFTS) -> float:
    """Mean `matched_within` with the onsets shifted circularly by `shifts` lags spread evenly over
    [MATCH_WINDOW, duration − MATCH_WINDOW]: the matching the same events get by coincidence."""
    visual, audio = np.asarray(visual, float), np.asarray(audio, float)
    if len(visual) == 0 or len(audio) == 0 or duration <= 2 * MATCH_WINDOW:
        return 0.0
    lags = np.linspace(MATCH_WINDOW, duration - MATCH_WINDOW, shifts)
    return float(np.mean([matched_within(visual, (audio + lag) % duration, tolerance) for lag in lags]))


def best_lag(visual: np.ndarray, audio: np.ndarray, max_lag: float = MAX_LAG, half_width: float = 0.02) -> float:
    """The sound delay (s) under which the most visual contacts have an onset within ±half_width,
    refined to the median offset of those pairs; ties go to the smallest shift. NaN without contacts."""
    visual, audio = np.asarray(visual, float), np.sort(np.asarray(audio, float))
    if len(visual) == 0 or len(audio) == 0:
        return float("nan")
    lags = np.arange(-max_lag, max_lag + LAG_STEP / 2, LAG_STEP)
    diff = audio[None, None, :] - visual[None, :, None] - lags[:, None, None]  # [L, V, A]
    near = np.abs(diff).min(axis=2)  # [L, V]: each contact counts once, however many onsets crowd it
    counts = (near <= half_width).sum(axis=1)
    if counts.max() == 0:
        return float("nan")
    top = np.flatnonzero(counts == counts.max())
    lag = lags[top[np.argmin(np.abs(lags[top]))]]
    offsets = (audio[None, :] - visual[:, None]).ravel()
    return float(np.median(offsets[np.abs(offsets - lag) <= half_width]))


def analyse_sync(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> SyncResult:
    """Visual contacts, impact-like audio onsets, their matching and the global lag for one clip."""
    a = analysis_of(clip, analysis)
    visual, tolerance, duration = a.contact_times, 1.0 / clip.fps, len(clip.frames) / clip.fps
    clear = a.clear_impact_onsets
    return SyncResult(
        visual=visual,
        onsets=a.impact_onsets,
        offsets=match_events(visual, a.impact_onsets),
        clear_matched=matched_within(visual, clear, tolerance),
        clear=len(clear),
        tolerance=tolerance,
        best_lag=best_lag(visual, a.impact_onsets),
        chance_recall=chance_matches(visual, a.impact_onsets, duration, tolerance) / len(visual)
        if len(visual) else float("nan"),
        chance_precision=chance_matches(visual, clear, duration, tolerance) / len(clear) if len(clear) else float("nan"),
    )


def av_offset_ms(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Mean |audio − picture| (ms) over matched contact/onset pairs. Ideal 0; fails above 60 ms."""
    return analyse_sync(clip, target, analysis).mean_offset_ms


def av_recall(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Fraction of visual contacts heard within one frame. Ideal 1; fails below 0.6."""
    return analyse_sync(clip, target, analysis).recall


def av_precision(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Fraction of clear impact onsets seen within one frame. Ideal 1; fails below 0.3."""
    return analyse_sync(clip, target, analysis).precision


def av_recall_over_chance(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """av_recall less its level with the sound shifted away from the picture. Ideal 1; fails below 0.15."""
    return analyse_sync(clip, target, analysis).recall_over_chance


def av_precision_over_chance(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None
                             ) -> float:
    """av_precision less its level with the sound shifted away from the picture. Ideal 1; fails below 0.15."""
    return analyse_sync(clip, target, analysis).precision_over_chance


def av_best_lag_ms(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Global sound delay (ms) best aligning onsets with contacts; + = sound late. Ideal 0; fails beyond ±60."""
    return analyse_sync(clip, target, analysis).best_lag * 1000.0
