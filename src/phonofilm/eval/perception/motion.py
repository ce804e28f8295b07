"""Reading physics off a track: contacts (abrupt velocity changes) timed to a fraction of a frame, and
free-flight parabolas.

Positions are picture pixels (y down) at frame indices; time is in frames until the caller divides by fps.
Between contacts a body in free flight follows p(t) = p0 + v t + ½ (0, a) t²; a contact shows up as
a jump in velocity far larger than gravity can make in one frame.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

MIN_JUMP = 1.2  # px/frame²: velocity changes below this are not resolvable contacts at our sizes
FIT_FRAMES = 5  # frames used on each side of a contact to time it
MIN_SPEED = 0.5  # px/frame: slower than this before a "contact", the body was resting


@dataclass(frozen=True)
class Contact:
    """A contact at `time` (frames, fractional) with the velocities (px/frame) just before and after."""

    time: float
    v_in: np.ndarray  # [2]
    v_out: np.ndarray  # [2]

    @property
    def energy_ratio(self) -> float:
        """Kinetic energy after / before (1 = perfectly elastic; the world never exceeds 1)."""
        e_in = float(self.v_in @ self.v_in)
        return float(self.v_out @ self.v_out) / e_in if e_in > 1e-9 else float("nan")

    @property
    def is_bounce(self) -> bool:
        """A floor bounce: falling before (y grows downwards), rising after."""
        return bool(self.v_in[1] > 0.3 and self.v_out[1] < -0.3)


@dataclass(frozen=True)
class Flight:
    """A free-flight stretch: frames [n], the fitted vertical acceleration (px/frame²) and fit RMS (px)."""

    frames: np.ndarray
    accel: float
    rms: float

    @property
    def span(self) -> float:
        return float(len(self.frames))


def runs(frames: np.ndarray) -> list[slice]:
    """Index ranges of consecutive frames (a gap ends a run)."""
    breaks = np.flatnonzero(np.diff(frames) != 1) + 1
    bounds = [0, *breaks.tolist(), len(frames)]
    return [slice(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _jump_frames(xy: np.ndarray, gravity: float) -> np.ndarray:
    """Indices k (1..n-2) where the acceleration departs from free flight by more than MIN_JUMP."""
    acc = np.diff(xy, n=2, axis=0)  # [n-2, 2]; acc[k-1] is the acceleration at frame k
    dev = np.hypot(acc[:, 0], acc[:, 1] - gravity)
    rest = np.hypot(acc[:, 0], acc[:, 1])  # supported (rolling, resting) bodies do not accelerate
    noise = 1.4826 * np.median(np.abs(dev - np.median(dev))) if len(dev) >= 5 else 0.0
    flagged = (np.minimum(dev, rest) > max(MIN_JUMP, 4.0 * noise)) | (dev > max(MIN_JUMP, 4.0 * noise) + abs(gravity))
    return np.flatnonzero(flagged) + 1


def _fit(t: np.ndarray, p: np.ndarray, gravity: float | None) -> tuple[np.ndarray, float]:
    """Least-squares p(t) = p0 + v t + ½ (0, a) t²; returns coefficients [3, 2] and RMS.

    gravity None: a is fitted (≥ 4 samples). Otherwise a is either gravity (flight) or 0 (a body resting,
    rolling or sliding on a support), whichever fits better.
    """
    if gravity is not None:
        flying, supported = _fit_fixed(t, p, gravity), _fit_fixed(t, p, 0.0)
        return flying if flying[1] <= supported[1] else supported
    if len(t) >= 4:
        design = np.stack([np.ones_like(t), t, 0.5 * t * t], axis=1)
        coef, *_ = np.linalg.lstsq(design, p, rcond=None)
        coef[2, 0] = 0.0 if len(t) < 5 else coef[2, 0]
        pred = coef[0] + np.outer(t, coef[1]) + np.outer(0.5 * t * t, coef[2])
        return coef, float(np.sqrt(np.mean((pred - p) ** 2)))
    return _fit_fixed(t, p, 0.0)


def _fit_fixed(t: np.ndarray, p: np.ndarray, g: float) -> tuple[np.ndarray, float]:
    """Least-squares p(t) = p0 + v t + ½ (0, g) t² with g given."""
    target = p - np.stack([np.zeros_like(t), 0.5 * g * t * t], axis=1)
    design = np.stack([np.ones_like(t), t], axis=1)
    lin, *_ = np.linalg.lstsq(design, target, rcond=None)
    coef = np.vstack([lin, [0.0, g]])
    pred = coef[0] + np.outer(t, coef[1]) + np.outer(0.5 * t * t, coef[2])
    return coef, float(np.sqrt(np.mean((pred - p) ** 2)))


def _time_contact(t: np.ndarray, xy: np.ndarray, split: int, gravity: float) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Contact between samples split-1 and split: fit both sides, find where the two curves meet.

    Returns (time, miss, v_in, v_out): miss is the closest distance (px) the curves come to plus the fit RMS,
    so the caller can pick the most plausible split.
    """
    pre = slice(max(0, split - FIT_FRAMES), split)
    post = slice(split, min(len(t), split + FIT_FRAMES))
    if pre.stop - pre.start < 2 or post.stop - post.start < 2:
        return float(t[split] - 0.5), np.inf, np.zeros(2), np.zeros(2)
    c_pre, r_pre = _fit(t[pre], xy[pre], gravity)
    c_post, r_post = _fit(t[post], xy[post], gravity)
    grid = np.linspace(t[split - 1] - 0.5, t[split] + 0.5, 201)
    at = lambda c, s: c[0] + np.outer(s, c[1]) + np.outer(0.5 * s * s, c[2])  # noqa: E731
    gap = np.hypot(*(at(c_pre, grid) - at(c_post, grid)).T)
    k = int(np.argmin(gap))
    tau = grid[k]
    v_in = c_pre[1] + tau * c_pre[2]
    v_out = c_post[1] + tau * c_post[2]
    return float(tau), float(gap[k] + r_pre + r_post), v_in, v_out


def find_contacts(frames: np.ndarray, xy: np.ndarray, gravity: float) -> list[Contact]:
    """Contacts along one track (frames [n] ascending, xy [n, 2] px); gravity in px/frame² (y down)."""
    out: list[Contact] = []
    for run in runs(frames):
        t = frames[run].astype(np.float64)
        p = xy[run]
        if len(t) < 5:
            continue
        jumps = _jump_frames(p, gravity)
        for group in _groups(jumps):
            # the contact lies between two samples around the flagged frames: try each split, keep the best
            splits = range(max(1, group[0]), min(len(t) - 1, group[-1] + 1) + 1)
            best = min((_time_contact(t, p, s, gravity) for s in splits), key=lambda r: r[1], default=None)
            # a body at rest that starts to move was released or struck: the sound (if any) belongs to
            # the contact seen on the striking body's track
            if best is not None and np.isfinite(best[1]) and np.hypot(*best[2]) >= MIN_SPEED:
                out.append(Contact(best[0], best[2], best[3]))
    return out


def _groups(idx: np.ndarray) -> list[list[int]]:
    """Consecutive indices grouped: [3, 4, 9] → [[3, 4], [9]]."""
    groups: list[list[int]] = []
    for i in idx.tolist():
        if groups and i - groups[-1][-1] <= 1:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def free_flights(frames: np.ndarray, xy: np.ndarray, contacts: list[Contact], min_frames: int = 5,
                 min_drop: float = 3.0) -> list[Flight]:  # fmt: skip
    """Stretches between contacts (a frame of margin each side) with ≥ min_frames samples and vertical
    travel ≥ min_drop px, each fitted with a free parabola."""
    cuts = np.array([c.time for c in contacts])
    out = []
    for run in runs(frames):
        t, p = frames[run].astype(np.float64), xy[run]
        seg_id = np.searchsorted(np.sort(cuts), t)
        near = np.array([np.min(np.abs(cuts - x)) < 1.0 if len(cuts) else False for x in t])
        # a body held still (before its release) or resting is not flying: leave out slow samples
        speed = np.hypot(*np.gradient(p, t, axis=0).T) if len(t) > 1 else np.zeros(len(t))
        moving = speed >= 0.3
        for s in np.unique(seg_id):
            keep = (seg_id == s) & ~near & moving
            if keep.sum() < min_frames or np.ptp(p[keep, 1]) < min_drop:
                continue
            coef, rms = _fit(t[keep] - t[keep][0], p[keep], None)
            out.append(Flight(t[keep].astype(int), float(coef[2, 1]), rms))
    return out
