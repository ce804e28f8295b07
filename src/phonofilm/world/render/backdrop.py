"""Static textures of one camera segment: the background behind the bodies and the overlay in front.

Rendered once per segment (usually once per shot) and then sliced per frame, so the per-frame cost of
the stage is a copy. Cinematic style grades the textures here and blurs the background (shallow depth
of field: sharp around the floor line where the action is, softer above and in front).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from phonofilm.world.render.camera import Layout, Segment, wide_size
from phonofilm.world.render.props import Overlay, hoop_back, hoop_front, tank_back, tank_front
from phonofilm.world.render.shadows import paint_shadows
from phonofilm.world.render.styles import MAX_DOF_H, StyleSpec, grade
from phonofilm.world.render.surfaces import Grid, back_wall, floor, side_walls, sky
from phonofilm.world.render.tracks import BODY_HALF_WIDTH
from phonofilm.world.scene import Scene

F32 = np.float32
FOCUS_Y = 0.1  # world height that stays sharp under depth of field
FOCUS_RANGE = 0.9  # metres from FOCUS_Y over which the blur fades in


@dataclass(frozen=True)
class Front:
    """A front overlay ready to composite at (row, col): premultiplied rgb [h, w, 3] and keep = 1 - alpha.

    keep is repeated over the channels, [h, w, 3]: a trailing broadcast of 3 is slow in numpy.
    """

    rgb: np.ndarray
    keep: np.ndarray
    row: int
    col: int


@dataclass(frozen=True)
class Backdrop:
    """bg [tex_h, tex_w, 3]; front overlays placed on the texture (they may stick out of it)."""

    bg: np.ndarray
    front: tuple[Front, ...]


def _grid(seg: Segment, scene: Scene, layout: Layout, pad: int) -> Grid:
    cols = np.arange(-pad, seg.tex_w + pad) + 0.5
    rows = np.arange(-pad, seg.tex_h + pad) + 0.5
    xs = seg.tex_x + seg.flip * cols / seg.scale
    ys = seg.tex_y - rows / seg.scale
    return Grid(xs, ys, seg.scale, scene.seed, layout.picture_h)


def _blur_sigma(scene: Scene, style: StyleSpec, seg: Segment, layout: Layout) -> float:
    """Background blur in pixels: stronger in close-ups, relative to the picture height."""
    if style.dof_h <= 0:
        return 0.0
    _, wide_h = wide_size(scene, layout.aspect)
    zoom = seg.scale * wide_h / layout.picture_h
    return float(min(style.dof_h * zoom, MAX_DOF_H) * layout.picture_h)


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian-like blur of a planar [3, h, w]; three box passes per axis keep big radii cheap."""
    if sigma < 2.0:
        return ndimage.gaussian_filter(img, (0, sigma, sigma), mode="nearest", truncate=3.0)
    size = max(3, round(np.sqrt(4 * sigma * sigma + 1)) | 1)
    out = img
    for axis in (1, 2):
        for _ in range(3):
            out = ndimage.uniform_filter1d(out, size, axis=axis, mode="nearest")
    return out


def _far(scene: Scene, style: StyleSpec, grid: Grid, sigma: float) -> np.ndarray:
    """Wall or sky and the floor, [3, h, w]; out of focus (by distance from the floor line) when sigma > 0."""
    bg = np.empty((3, len(grid.ys), len(grid.xs)), F32)  # planar while drawing
    (back_wall if scene.stage.setting == "indoor" else sky)(bg, grid, scene, style)
    floor(bg, grid, scene, style)
    if sigma > 0:
        blurred = _blur(bg, sigma)
        focus = np.clip(np.abs(grid.ys.astype(F32) - FOCUS_Y) / FOCUS_RANGE, 0.0, 1.0)[:, None]
        bg += (blurred - bg) * focus
    return bg


def render_backdrop(scene: Scene, style: StyleSpec, seg: Segment, layout: Layout) -> Backdrop:
    """Background and front overlay textures for one segment, graded and blurred as the style asks.

    Only the far surfaces are blurred: props and walls stand in the plane of the action and stay sharp.
    """
    sigma = _blur_sigma(scene, style, seg, layout)
    pad = int(np.ceil(3 * sigma))
    grid = _grid(seg, scene, layout, pad)
    bg = _far(scene, style, grid, sigma)
    tank_back(bg, grid, scene, style)
    hoop_back(bg, grid, scene, style)
    side_walls(bg, grid, scene, style)
    if scene.characters:  # they stand still: their contact shadows are part of the stage
        xs = np.array([c.x for c in scene.characters])
        half = np.array([BODY_HALF_WIDTH[c.body] * c.height for c in scene.characters])
        paint_shadows(bg, grid, xs, half, style)
    front = tuple(
        p for p in (tank_front(grid, scene, style), hoop_front(grid, scene, style)) if p is not None
    )
    bg = bg[:, pad : pad + seg.tex_h, pad : pad + seg.tex_w]
    np.clip(bg, 0.0, 255.0, out=bg)
    if style.grade:
        bg = grade(bg)
        front = tuple(_graded(p) for p in front)
    bg = np.ascontiguousarray(bg.transpose(1, 2, 0), dtype=F32)  # [3, h, w] -> [h, w, 3]
    layers = (
        Front(np.ascontiguousarray(p.rgb.transpose(1, 2, 0)), np.repeat((1.0 - p.alpha)[..., None], 3, axis=-1),
              p.row - pad, p.col - pad)
        for p in front
    )  # fmt: skip
    return Backdrop(bg, tuple(layers))


def _graded(layer: Overlay) -> Overlay:
    """Grade the straight (unpremultiplied) colour of an overlay."""
    straight = layer.rgb / np.maximum(layer.alpha, 1e-4)
    return Overlay(grade(straight) * layer.alpha, layer.alpha, layer.row, layer.col)
