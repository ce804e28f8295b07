"""Antialiased signed-distance drawing on float32 canvases, batched over frames.

Shapes are described by signed distance functions in metres (negative inside). `coverage` turns a
distance measured in pixels into a one-pixel antialiased alpha, so the same shape looks the same at
any resolution. Moving shapes are drawn inside a small pixel window (a `Patch`) that follows them; all
frames of a chunk are drawn by one set of numpy calls, so the python overhead is per clip, not per frame.

Canvases hold colours as float32 in 0..255 and carry a one-pixel border on every side: pixels of a
patch that fall outside the picture are redirected to that border and cropped away at the end.
Drawing code works on planar colour arrays [3, ...] (channel first): numpy is several times faster
when the channel is not the innermost axis of every broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

F32 = np.float32


# --- signed distances (metres; arrays broadcast) -------------------------------------------------------


def sd_circle(u: np.ndarray, v: np.ndarray, r: float) -> np.ndarray:
    """Distance to a circle of radius r centred at the origin."""
    return np.sqrt(u * u + v * v) - r


def sd_box(u: np.ndarray, v: np.ndarray, hx: float, hy: float, radius: float = 0.0) -> np.ndarray:
    """Distance to an axis-aligned box of half-sizes (hx, hy) with corners rounded by `radius`."""
    qx = np.abs(u) - (hx - radius)
    qy = np.abs(v) - (hy - radius)
    outside = np.sqrt(np.maximum(qx, 0.0) ** 2 + np.maximum(qy, 0.0) ** 2)
    return outside + np.minimum(np.maximum(qx, qy), 0.0) - radius


def sd_ellipse(u: np.ndarray, v: np.ndarray, a: float | np.ndarray, b: float | np.ndarray) -> np.ndarray:
    """Approximate distance to an ellipse with semi-axes (a, b); exact on the boundary, good near it."""
    k0 = np.sqrt((u / a) ** 2 + (v / b) ** 2)
    k1 = np.sqrt((u / (a * a)) ** 2 + (v / (b * b)) ** 2)
    return k0 * (k0 - 1.0) / np.maximum(k1, 1e-6)


def sd_segment(u: np.ndarray, v: np.ndarray, ax: float, ay: float, bx: float, by: float) -> np.ndarray:
    """Distance to the segment from (ax, ay) to (bx, by) (subtract a radius for a capsule)."""
    dx, dy = bx - ax, by - ay
    pu, pv = u - ax, v - ay
    h = np.clip((pu * dx + pv * dy) / max(dx * dx + dy * dy, 1e-12), 0.0, 1.0)
    return np.sqrt((pu - h * dx) ** 2 + (pv - h * dy) ** 2)


def coverage(d_px: np.ndarray) -> np.ndarray:
    """Alpha of a shape from its signed distance in pixels: a one-pixel wide antialiased edge."""
    return np.clip(0.5 - d_px, 0.0, 1.0)


def soft_coverage(d: np.ndarray, softness: float) -> np.ndarray:
    """Alpha that fades from 1 at distance -softness/2 to 0 at +softness/2 (smoothstep)."""
    t = np.clip(0.5 - d / softness, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def line_alpha(dist_m: np.ndarray, width_m: float, scale: float) -> np.ndarray:
    """Alpha of a line of `width_m` metres at distance `dist_m`; thinner than a pixel fades, not vanishes."""
    w_px = width_m * scale
    eff = max(w_px, 1.0)
    return coverage(np.abs(dist_m) * scale - 0.5 * eff) * min(w_px, 1.0)


def band_alpha(wave: np.ndarray, threshold: float, slope_px: float) -> np.ndarray:
    """Antialiased mask of `wave > threshold`, where the wave changes by `slope_px` per pixel."""
    return np.clip((wave - threshold) / max(slope_px, 1e-6) + 0.5, 0.0, 1.0)


def planar(rgb: np.ndarray | tuple[float, ...], ndim: int) -> np.ndarray:
    """A colour [3] as a planar array [3, 1, ...] that broadcasts against [3, *shape] with len(shape) = ndim."""
    c = np.asarray(rgb, dtype=F32)
    return c.reshape(3, *([1] * ndim)) if c.ndim == 1 else c


def paint(img: np.ndarray, alpha: np.ndarray, rgb: np.ndarray | tuple[float, ...]) -> None:
    """Blend a colour ([3] or planar [3, ...]) over the planar image `img` [3, ...] in place with `alpha` [...]."""
    img += (planar(rgb, img.ndim - 1) - img) * alpha


# --- canvases and moving patches -----------------------------------------------------------------------


@dataclass(frozen=True)
class Canvas:
    """A chunk of frames being drawn: float32 [n, h + 2, w + 2, 3] in 0..255 with a 1-pixel trash border."""

    data: np.ndarray

    @property
    def n(self) -> int:
        """Frames in the chunk."""
        return int(self.data.shape[0])

    @property
    def h(self) -> int:
        """Picture height in pixels (without the border)."""
        return int(self.data.shape[1]) - 2

    @property
    def w(self) -> int:
        """Picture width in pixels (without the border)."""
        return int(self.data.shape[2]) - 2

    @property
    def flat(self) -> np.ndarray:
        """A [n * (h+2) * (w+2), 3] view for flat pixel indexing."""
        return self.data.reshape(-1, 3)

    @property
    def picture(self) -> np.ndarray:
        """The visible [n, h, w, 3] region (a view)."""
        return self.data[:, 1:-1, 1:-1]

    def pixel_index(self, frames: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Flat indices of picture pixels (rows, cols may be outside; those land in the border)."""
        r = np.clip(rows, -1, self.h) + 1
        c = np.clip(cols, -1, self.w) + 1
        return (frames * (self.h + 2) + r) * (self.w + 2) + c


SUBPIXEL = 8  # shapes are placed on a 1/8-pixel grid, so frames that look alike are drawn once


@dataclass(frozen=True)
class Patch:
    """A pixel window per frame around a moving shape, for the frames where it is on screen.

    Frames whose sub-pixel placement and drawing state agree look identical, so each distinct look is
    drawn once: `rep` [k] names one chunk frame per look (use it to pick per-frame parameters) and
    `inverse` [m] maps every drawn frame to its look (None when all k = m looks differ).
    frames: [m] chunk-frame (or batch row) indices drawn; index: [m, ph, pw] flat canvas pixels; dx, dy: pixel-centre
    offsets from the shape centre per look, x right [k, 1, pw] and y down [k, ph, 1].
    """

    frames: np.ndarray
    index: np.ndarray
    rep: np.ndarray
    inverse: np.ndarray | None
    dx: np.ndarray
    dy: np.ndarray

    @property
    def empty(self) -> bool:
        """True when the shape is off screen in every frame."""
        return len(self.frames) == 0

    def local(self, scale: float, flip: float) -> tuple[np.ndarray, np.ndarray]:
        """World-oriented offsets in metres (u right in the world, v up): ([k,1,pw], [k,ph,1])."""
        return self.dx * F32(flip / scale), self.dy * F32(-1.0 / scale)

    def expand(self, per_look: np.ndarray, axis: int = 0) -> np.ndarray:
        """Per-look values (k along `axis`) → per drawn frame (m along `axis`)."""
        if self.inverse is None:
            return per_look
        return per_look[self.inverse] if axis == 0 else np.take(per_look, self.inverse, axis=axis)


_MIX = np.array([1.0, 0.7548776662466927, 0.5698402909980532, 0.4301597090019468, 0.3247179572447460])


def _distinct_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(first index of each distinct row, row → distinct index), or (all rows, None) if all differ.

    Rows are hashed to one number for a fast 1-D unique; a collision is detected and then nothing is
    merged, so the result is always exact.
    """
    n = len(keys)
    h = keys @ _MIX[: keys.shape[1]]
    _, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    if len(first) == n or not np.array_equal(keys[first][inverse], keys):
        return np.arange(n), None
    return first, inverse.reshape(-1)


def patch_around(
    canvas: Canvas, cx: np.ndarray, cy: np.ndarray, rx: float, ry: float | None = None,
    state: np.ndarray | None = None, frame_of: np.ndarray | None = None, subpixel: int = SUBPIXEL,
) -> Patch:  # fmt: skip
    """A patch of ±rx, ±ry pixels (ry defaults to rx) around picture points (cx[n], cy[n]).

    `state` [n, s] holds the (already quantised) per-frame drawing parameters; frames that agree on it
    and on the sub-pixel position share one drawn look. Several shapes can share one patch batch:
    then row i of cx, cy, state belongs to chunk frame `frame_of[i]` (and overlaps keep only one).
    Centres are placed on a 1/`subpixel` pixel grid.
    """
    ry = rx if ry is None else ry
    pw, ph = int(np.ceil(2.0 * rx)) + 2, int(np.ceil(2.0 * ry)) + 2
    cx, cy = np.round(cx * subpixel) / subpixel, np.round(cy * subpixel) / subpixel
    x0 = np.floor(cx - 0.5 * pw + 0.5).astype(np.int64)
    y0 = np.floor(cy - 0.5 * ph + 0.5).astype(np.int64)
    visible = (x0 + pw > 0) & (x0 < canvas.w) & (y0 + ph > 0) & (y0 < canvas.h)
    frames = np.flatnonzero(visible)
    if len(frames) == 0:
        nothing = np.zeros((0, 1, 1), F32)
        return Patch(frames, np.zeros((0, ph, pw), np.int64), frames, None, nothing, nothing)
    x0, y0 = x0[frames], y0[frames]
    rows = y0[:, None, None] + np.arange(ph)[None, :, None]  # [m, ph, 1]
    cols = x0[:, None, None] + np.arange(pw)[None, None, :]  # [m, 1, pw]
    on = frames if frame_of is None else frame_of[frames]
    index = canvas.pixel_index(on[:, None, None], rows, cols)  # [m, ph, pw]
    fx, fy = cx[frames] - x0, cy[frames] - y0  # shape centre inside the window
    keys = np.stack([fx, fy], axis=-1) if state is None else np.column_stack([fx, fy, state[frames]])
    first, inv = _distinct_rows(keys)
    dx = (np.arange(pw)[None, None, :] + 0.5 - fx[first, None, None]).astype(F32)
    dy = (np.arange(ph)[None, :, None] + 0.5 - fy[first, None, None]).astype(F32)
    return Patch(frames, index, frames[first], inv, dx, dy)


def _gather(canvas: Canvas, patch: Patch) -> tuple[np.ndarray, np.ndarray]:
    """(planar pixels [3, m, ph, pw], their flat scalar indices) of the patch on the canvas."""
    idx = patch.index[None] * 3 + np.arange(3)[:, None, None, None]
    return canvas.data.reshape(-1)[idx], idx


def blend(canvas: Canvas, patch: Patch, rgb: np.ndarray, alpha: np.ndarray) -> None:
    """Composite a colour ([3] or per look [3,k,ph,pw]) with `alpha` [k,ph,pw] at the patch."""
    dst, idx = _gather(canvas, patch)  # [3, m, ph, pw]
    rgb = planar(rgb, 3)
    if rgb.shape[1] > 1:
        rgb = patch.expand(rgb, axis=1)
    dst += (rgb - dst) * patch.expand(alpha)
    canvas.data.reshape(-1)[idx] = dst


def blend_premultiplied(canvas: Canvas, patch: Patch, rgb_a: np.ndarray, alpha: np.ndarray) -> None:
    """Composite a premultiplied planar colour `rgb_a` [3,k,ph,pw] with `alpha` [k,ph,pw] at the patch."""
    dst, idx = _gather(canvas, patch)  # [3, m, ph, pw]
    dst *= 1.0 - patch.expand(alpha)
    dst += patch.expand(rgb_a, axis=1)
    canvas.data.reshape(-1)[idx] = dst


def fill_with_outline(
    d_px: np.ndarray,
    rgb: np.ndarray,
    outline: float,
    outline_rgb: tuple[float, float, float],
    opacity: np.ndarray | float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Premultiplied planar (colour [3,...], alpha [...]) of a shape: `rgb` at `opacity` in an opaque outline."""
    fill = coverage(d_px)
    if not isinstance(opacity, float) or opacity != 1.0:
        fill = fill * opacity
    if outline <= 0:
        return rgb * fill, fill
    ring = np.clip(coverage(d_px - outline) - coverage(d_px), 0.0, 1.0)
    return rgb * fill + ring * planar(outline_rgb, ring.ndim), ring + fill


def rotate(u: np.ndarray, v: np.ndarray, angle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in a body frame rotated by `angle` [k] (counter-clockwise, radians)."""
    c = np.cos(angle).astype(F32)[:, None, None]
    s = np.sin(angle).astype(F32)[:, None, None]
    return u * c + v * s, v * c - u * s
