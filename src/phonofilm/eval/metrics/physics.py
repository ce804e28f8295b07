"""Physics read off the picture: gravity of free flight, energy across bounces, interpenetration, permanence.

Tracks come from `perception.video` (objects moving in still shots); distances are converted to metres
with the world's wide-shot framing (`perception.video.world_scale`), so physics prompts ask for one wide
shot. Metrics:
- `gravity_error`: |g_fit − 9.81| / 9.81, g_fit the mode of 7-frame parabola fits along free flight.
  Ideal 0; fails above 0.25.
- `energy_gain_rate`: fraction of floor bounces whose kinetic energy after exceeds 1.15× the energy
  before (measurement slack). Ideal 0 (restitution ≤ 1); fails above 0.25.
- `interpenetration_rate`: fraction of frames where two tracked objects' centres are closer than
  0.8 × the sum of their radii (objects may touch, not overlap). Ideal 0; fails above 0.05.
- `permanence_violations`: unexplained appearances or disappearances per tracked object (a track that
  starts or ends mid-shot, away from the picture edge, with no resting object there in the shot's
  background and no continuation nearby). Ideal 0; fails above 0.5.
"""

from __future__ import annotations

import numpy as np

from phonofilm.eval.analysis import ClipAnalysis, analysis_of
from phonofilm.eval.perception.motion import free_flights
from phonofilm.eval.perception.video import Track
from phonofilm.eval.target import Target
from phonofilm.world.clip import Clip

WORLD_GRAVITY = 9.81
ENERGY_SLACK = 1.15
OVERLAP = 0.8
WINDOW = 7  # frames per parabola fit: long enough to average noise, short enough to fit between contacts


def fitted_gravity(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Gravity (m/s²) of free flight: the most common acceleration of short parabola fits along every
    free-flight stretch (NaN when nothing flies). The mode, not the mean: stretches where a body rolls
    on a rim or sinks in water are supported, and they spread out instead of agreeing."""
    a = analysis_of(clip, analysis)
    contacts: dict[int, list] = {}
    for tr, c in a.contacts:
        contacts.setdefault(id(tr), []).append(c)
    g_px = a.video.gravity_px
    fits = []
    for tr in a.video.tracks:
        for fl in free_flights(tr.frames, tr.xy, contacts.get(id(tr), [])):
            fits += window_accelerations(tr, fl.frames)
    fits = [f for f in fits if f > 0.15 * g_px]  # nearly unaccelerated: supported, not flying
    if not fits:
        return float("nan")
    return float(_mode(np.array(fits), 0.08 * g_px) * a.fps**2 / a.video.scale)


def window_accelerations(tr: Track, frames: np.ndarray, size: int = WINDOW) -> list[float]:
    """Vertical acceleration (px/frame²) of parabolas fitted to every `size`-frame window of a stretch."""
    sel = np.isin(tr.frames, frames)
    t, y = tr.frames[sel].astype(np.float64), tr.xy[sel, 1]
    out = []
    for k in range(0, max(0, len(t) - size) + 1):
        tt, yy = t[k : k + size] - t[k], y[k : k + size]
        if len(tt) == size and tt[-1] == size - 1:
            out.append(2.0 * float(np.polyfit(tt, yy, 2)[0]))
    return out


def _mode(values: np.ndarray, width: float) -> float:
    """The densest value (Gaussian kernel of `width`), refined to the mean of its neighbourhood."""
    grid = np.linspace(values.min(), values.max(), 400)
    density = np.exp(-0.5 * ((grid[:, None] - values[None, :]) / width) ** 2).sum(axis=1)
    peak = grid[int(np.argmax(density))]
    return float(values[np.abs(values - peak) <= width].mean())


def gravity_error(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Relative error of the fitted gravity against the world's 9.81 m/s². Ideal 0; fails above 0.25."""
    return abs(fitted_gravity(clip, target, analysis) - WORLD_GRAVITY) / WORLD_GRAVITY


def energy_ratios(clip: Clip, analysis: ClipAnalysis | None = None) -> np.ndarray:
    """Kinetic energy after / before for every floor bounce seen."""
    a = analysis_of(clip, analysis)
    return np.array([c.energy_ratio for _, c in a.contacts if c.is_bounce and np.isfinite(c.energy_ratio)])


def energy_gain_rate(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Fraction of bounces that gain energy (ratio > 1.15). Ideal 0; fails above 0.25; NaN without bounces."""
    ratios = energy_ratios(clip, analysis)
    return float((ratios > ENERGY_SLACK).mean()) if len(ratios) else float("nan")


def interpenetration_rate(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Fraction of frames with two objects overlapping. Ideal 0; fails above 0.05."""
    a = analysis_of(clip, analysis)
    tracks = a.video.tracks
    n = len(clip.frames)
    if len(tracks) < 2:
        return 0.0
    bad = np.zeros(n, bool)
    for i, ta in enumerate(tracks):
        for tb in tracks[i + 1 :]:
            if ta.shot != tb.shot:
                continue
            common, ia, ib = np.intersect1d(ta.frames, tb.frames, return_indices=True)
            if len(common) == 0:
                continue
            dist = np.hypot(*(ta.xy[ia] - tb.xy[ib]).T)
            reach = OVERLAP * (_radius(ta) + _radius(tb))
            bad[common[dist < reach]] = True
    return float(bad.mean())


def _radius(tr: Track) -> float:
    return float(np.sqrt(np.median(tr.area) / np.pi))


def permanence_violations(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Unexplained appearances + disappearances per tracked object. Ideal 0; fails above 0.5."""
    a = analysis_of(clip, analysis)
    tracks = a.video.tracks
    if not tracks:
        return 0.0
    ranges = a.video.picture.shot_ranges()
    h, w = a.video.picture.height, a.video.width
    violations = 0
    for tr in tracks:
        start, stop = ranges[tr.shot]
        bg = a.video.backgrounds[tr.shot]
        if tr.frames[0] > start + 1 and not _explained(tr, 0, tracks, bg, (h, w)):
            violations += 1
        if tr.frames[-1] < stop - 2 and not _explained(tr, -1, tracks, bg, (h, w)):
            violations += 1
    return violations / len(tracks)


def _explained(tr: Track, end: int, tracks: tuple[Track, ...], bg: np.ndarray, size: tuple[int, int]) -> bool:
    """A track end (0 = start, -1 = finish) is explained by the picture edge, by another track taking
    over nearby within a few frames (a broken track), or by a resting object in the background there."""
    x, y = tr.xy[end]
    r = _radius(tr) + 2.0
    h, w = size
    if x < r or y < r or x > w - r or y > h - r:
        return True
    t = int(tr.frames[end])
    step = -1 if end == 0 else 1
    v = _end_velocity(tr, end)
    for other in tracks:
        if other is tr or other.shot != tr.shot:
            continue
        k = -1 if end == 0 else 0  # a start is explained by a track that just ended there, and vice versa
        dt = (int(other.frames[k]) - t) * step
        # a broken track: the object is picked up again where its motion would have carried it
        if 0 < dt <= 8 and np.hypot(*(other.xy[k] - (tr.xy[end] + v * dt * step))) <= 4 * r + 0.5 * np.hypot(*v) * dt:
            return True
    return _rests_in_background(bg, x, y, r)


def _end_velocity(tr: Track, end: int) -> np.ndarray:
    """Velocity (px/frame) at the start (end=0) or finish (end=-1) of a track."""
    if tr.length < 2:
        return np.zeros(2)
    a, b = (0, 1) if end == 0 else (-2, -1)
    return (tr.xy[b] - tr.xy[a]) / max(1, int(tr.frames[b] - tr.frames[a]))


def _rests_in_background(bg: np.ndarray, x: float, y: float, r: float) -> bool:
    """Whether the background shows something distinct (a resting object) at (x, y)."""
    h, w = bg.shape[:2]
    x0, x1 = int(max(0, x - r)), int(min(w, x + r + 1))
    y0, y1 = int(max(0, y - r)), int(min(h, y + r + 1))
    X0, X1 = int(max(0, x - 2.5 * r)), int(min(w, x + 2.5 * r + 1))
    Y0, Y1 = int(max(0, y - 2.5 * r)), int(min(h, y + 2.5 * r + 1))
    inner = bg[y0:y1, x0:x1].reshape(-1, 3)
    outer = bg[Y0:Y1, X0:X1].reshape(-1, 3)
    if len(inner) == 0:
        return False
    return bool(np.abs(np.median(inner, axis=0) - np.median(outer, axis=0)).max() > 25.0)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, 0.5 * cum[-1])])
