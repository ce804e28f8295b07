"""Contact shadows on the floor (y = 0): soft ellipses that shrink and fade as a body rises.

Moving objects get theirs drawn per frame in one batch; characters barely leave the floor, so theirs
are painted once into the backdrop texture of each shot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phonofilm.world.render.camera import View
from phonofilm.world.render.raster import Canvas, blend, paint, patch_around, sd_ellipse, soft_coverage
from phonofilm.world.render.styles import StyleSpec
from phonofilm.world.render.surfaces import Grid

F32 = np.float32
CHARACTER_STRENGTH = 0.8  # characters' shadows are a little lighter (soft bodies, broad contact)


@dataclass(frozen=True)
class ShadowShape:
    """Ellipse semi-axes a, b, edge softness and opacity (metres / 0..1), one value per shadow."""

    a: np.ndarray
    b: np.ndarray
    soft: np.ndarray
    opacity: np.ndarray


def shadow_shape(lift: np.ndarray, half_w: np.ndarray, strength: np.ndarray, style: StyleSpec) -> ShadowShape:
    """Shadow of a body `lift` metres above the floor with half-width `half_w`."""
    rise = np.clip(lift / 1.5, 0.0, 1.0)
    a = 1.1 * half_w * (1.0 - 0.45 * rise)
    b = 0.28 * a
    if style.soft_shadows:
        return ShadowShape(a, b, 1.8 * b + b * rise, strength * 0.5 * np.exp(-lift / 1.2))
    return ShadowShape(a, b, np.zeros_like(b), strength * 0.3 * np.exp(-lift / 1.6))


def _tint(style: StyleSpec) -> np.ndarray:
    return np.array([18, 18, 30] if style.soft_shadows else [40, 36, 80], F32)


def _alpha(d: np.ndarray, shape: ShadowShape, pick, scale: float, style: StyleSpec) -> np.ndarray:
    """Shadow alpha from the ellipse distance `d` (metres); `pick` selects the per-shadow values."""
    if style.soft_shadows:
        alpha = soft_coverage(d, shape.soft[pick].astype(F32) + F32(1.0 / scale))
    else:
        alpha = np.clip(0.5 - d * F32(scale), 0.0, 1.0)
    return alpha * shape.opacity[pick].astype(F32)


def draw_shadows(canvas: Canvas, view: View, x: np.ndarray, lift: np.ndarray, half_w: np.ndarray,
                 style: StyleSpec) -> None:  # fmt: skip
    """Shadows of several moving bodies, inputs [B, n] (body, chunk frame), drawn in one batch.

    Where two shadows overlap they merge instead of darkening twice.
    """
    bodies, n = x.shape
    x, lift, half_w = (np.asarray(v, np.float64).reshape(-1) for v in (x, lift, half_w))
    lift, half_w = np.round(lift * 256.0) / 256.0, np.round(half_w * 512.0) / 512.0
    shape = shadow_shape(lift, half_w, np.ones_like(lift), style)
    cx = view.flip * (x - np.tile(view.x_origin, bodies)) * view.scale
    cy = np.tile(view.y_origin, bodies) * view.scale
    rx = float(np.max(shape.a + 0.5 * shape.soft)) * view.scale + 1.0
    ry = float(np.max(shape.b + 0.5 * shape.soft)) * view.scale + 1.0
    state = np.stack([lift, half_w], axis=-1)
    patch = patch_around(canvas, cx, cy, rx, ry, state=state, frame_of=np.tile(np.arange(n), bodies))
    if patch.empty:
        return
    k = patch.rep
    pick = (k, None, None)
    u, v = patch.local(view.scale, view.flip)
    d = sd_ellipse(u, v, shape.a[pick].astype(F32), shape.b[pick].astype(F32))
    blend(canvas, patch, _tint(style), _alpha(d, shape, pick, view.scale, style))


def paint_shadows(img: np.ndarray, grid: Grid, x: np.ndarray, half_w: np.ndarray, style: StyleSpec,
                  strength: float = CHARACTER_STRENGTH) -> None:  # fmt: skip
    """Shadows of bodies standing on the floor at x [B], painted into a planar texture [3, h, w]."""
    shape = shadow_shape(np.zeros_like(x), half_w, np.full_like(x, strength), style)
    for i in range(len(x)):
        reach = float(shape.a[i] + shape.soft[i]) + 2.0 / grid.scale
        win = grid.window(x[i] - reach, x[i] + reach, -reach, reach)
        if win is None:
            continue
        r0, c0, g = win
        d = sd_ellipse(g.x - F32(x[i]), g.y, float(shape.a[i]), float(shape.b[i]))
        sub = img[:, r0 : r0 + len(g.ys), c0 : c0 + len(g.xs)]
        paint(sub, _alpha(d, shape, i, grid.scale, style), _tint(style))
