"""Lip sync: does mouth openness (seen) rise and fall with the speech envelope (heard)?

The mouth signal is `perception.mouth` summed over the characters in still shots; the envelope is the
speech-band amplitude (`perception.audio.speech_envelope`). Both are compared on the video frame times,
the envelope shifted by a lag on a 10 ms grid.
- `lip_sync_correlation`: Pearson r at lag 0. Ideal: as high as world clips reach (≈ 0.8 at ≥ 256×144);
  fails below 0.3.
- `lip_sync_lag_ms`: the lag (−300..300 ms) with the highest r; positive = sound late. Ideal 0; fails
  beyond ±80 ms.
Faces must be about 20 px tall for mouths to be readable: score dialogue at 256×144 or larger.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phonofilm.eval.analysis import ClipAnalysis, analysis_of
from phonofilm.eval.target import Target
from phonofilm.world.clip import Clip

MAX_LAG = 0.3
LAG_STEP = 0.01


@dataclass(frozen=True)
class LipSync:
    """Correlation of mouth openness with the speech envelope at each lag (seconds, + = sound late)."""

    lags: np.ndarray
    corr: np.ndarray

    @property
    def at_zero(self) -> float:
        return float(self.corr[np.argmin(np.abs(self.lags))]) if len(self.corr) else float("nan")

    @property
    def best_lag(self) -> float:
        if len(self.corr) == 0 or not np.isfinite(self.corr).any():
            return float("nan")
        return float(self.lags[int(np.nanargmax(self.corr))])


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 1e-12 else float("nan")


def analyse_lipsync(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> LipSync:
    """Correlation of the mouths with the speech envelope over lags −300..300 ms."""
    a = analysis_of(clip, analysis)
    mouth = a.mouth
    times, env, _ = a.speech
    frame_t = np.arange(len(mouth)) / clip.fps
    ok = np.isfinite(mouth)
    if ok.sum() < 8 or np.ptp(mouth[ok]) <= 0 or len(env) == 0:
        return LipSync(np.zeros(0), np.zeros(0))
    lags = np.arange(-MAX_LAG, MAX_LAG + LAG_STEP / 2, LAG_STEP)
    corr = np.array([_pearson(mouth[ok], np.interp(frame_t[ok] + lag, times, env)) for lag in lags])
    return LipSync(lags, corr)


def lip_sync_correlation(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Pearson r of mouth openness and speech envelope at lag 0. Ideal ≈ 0.8 (world); fails below 0.3."""
    return analyse_lipsync(clip, target, analysis).at_zero


def lip_sync_lag_ms(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Lag (ms) of best mouth/speech correlation; + = sound late. Ideal 0; fails beyond ±80 ms."""
    return analyse_lipsync(clip, target, analysis).best_lag * 1000.0
