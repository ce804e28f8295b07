"""The static stage: back wall or sky with distant ground, the floor by material, and the side walls.

Every function paints into a planar image [3, h, w] (float32, 0..255) whose pixel centres sit at world
coordinates `grid.xs` (columns) and `grid.ys` (rows). The floor is seen slightly from above: rows
below the line where it meets the back wall (`HORIZON`) show its surface in a mild perspective.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phonofilm.world.render.noise import hash01, noise_layer, noise_table, value_noise
from phonofilm.world.render.raster import coverage, line_alpha, paint, planar
from phonofilm.world.render.styles import OUTLINE_RGB, StyleSpec, adjust, outline_px
from phonofilm.world.scene import Scene

F32 = np.float32
HORIZON = 0.6  # world y where the floor meets the back wall (objects rest at y = 0, in front of it)
PERSPECTIVE = 0.6  # metres of floor depth over which rows and joints spread to twice their size

WALL_COLORS = ((224, 214, 194), (202, 210, 216), (216, 200, 182), (198, 212, 196), (228, 222, 212))
CEL_WALL_COLORS = ((252, 222, 178), (176, 216, 246), (200, 236, 184), (246, 200, 214), (220, 206, 248))
FLOOR_COLORS = {
    "wood": (186, 138, 92),
    "concrete": (160, 158, 152),
    "tile": (226, 224, 216),
    "grass": (92, 146, 62),
}


@dataclass(frozen=True)
class Grid:
    """World coordinates of texture pixel centres: xs [w] per column, ys [h] per row; scale px/m."""

    xs: np.ndarray
    ys: np.ndarray
    scale: float
    seed: int
    picture_h: int  # outline widths are relative to the picture height

    @property
    def x(self) -> np.ndarray:
        """World x per column as a [1, w] float32 row."""
        return self.xs.astype(F32)[None, :]

    @property
    def y(self) -> np.ndarray:
        """World y per row as an [h, 1] float32 column."""
        return self.ys.astype(F32)[:, None]

    def window(self, x0: float, x1: float, y0: float, y1: float) -> tuple[int, int, Grid] | None:
        """(first row, first column, sub-grid) covering world x in [x0, x1], y in [y0, y1], or None."""
        cols = np.flatnonzero((self.xs >= x0) & (self.xs <= x1))
        rows = np.flatnonzero((self.ys >= y0) & (self.ys <= y1))
        if len(cols) == 0 or len(rows) == 0:
            return None
        r0, c0 = int(rows[0]), int(cols[0])
        sub = Grid(
            self.xs[c0 : cols[-1] + 1], self.ys[r0 : rows[-1] + 1], self.scale, self.seed, self.picture_h
        )
        return r0, c0, sub


def wall_color(scene: Scene, style: StyleSpec) -> np.ndarray:
    """The room's paint: muted for realistic looks, bright pastel for cel shading."""
    palette = CEL_WALL_COLORS if style.cel else WALL_COLORS
    return adjust(palette[scene.seed % len(palette)], style)


def back_wall(img: np.ndarray, grid: Grid, scene: Scene, style: StyleSpec) -> None:
    """Indoor back wall: painted plaster with a dado rail and a skirting board at the floor."""
    base = wall_color(scene, style)
    y = grid.y
    if style.cel:
        light = np.where(y > 1.1, F32(1.0), F32(0.9))
    else:
        height, width = max(scene.stage.height, 1.0), max(scene.stage.width, 1.0)
        pool = np.exp(-(((grid.x - 0.5 * width) / (0.55 * width)) ** 2) - ((y - 0.6 * height) / height) ** 2)
        light = (
            0.84 + 0.14 * pool + 0.06 * np.clip(y / height, 0.0, 1.0) - 0.12 * np.exp(-(y - HORIZON) / 0.35)
        )
        amount = 0.012 * style.texture
        light = light + value_noise(noise_table(grid.seed, 1), grid.xs, grid.ys, 1.3, 1.3) * F32(amount)
        light = light + noise_layer(grid.seed, 12, grid.xs, grid.ys, 11.0, 11.0, amount, grid.scale)
    img[:] = planar(base, 2) * light
    rail = line_alpha(y - 1.1, 0.03, grid.scale)
    paint(img, rail, base * 0.78)
    skirt = coverage((y - (HORIZON + 0.12)) * grid.scale)
    paint(img, skirt, adjust((236, 232, 224), style) * F32(0.93))


def sky(img: np.ndarray, grid: Grid, scene: Scene, style: StyleSpec) -> None:
    """Outdoor sky (grey when raining), clouds, and distant hills and trees above the floor line."""
    rain = scene.ambience == "rain"
    zenith, horizon = ((112, 118, 128), (170, 174, 178)) if rain else ((78, 140, 212), (192, 218, 238))
    t = np.clip((grid.y - HORIZON) / (scene.stage.height + 1.0), 0.0, 1.0)
    if style.cel:
        t = np.where(t > 0.55, F32(1.0), np.where(t > 0.25, F32(0.55), F32(0.15)))
    low, high = adjust(horizon, style), adjust(zenith, style)
    img[:] = planar(low, 2) + planar(high - low, 2) * t
    _clouds(img, grid, scene, style, rain)
    x, y = grid.x, grid.y
    rng = np.random.default_rng([scene.seed & 0xFFFFFFFF, 7])
    p1, p2, p3 = rng.uniform(0, 2 * np.pi, 3)
    hills = HORIZON + 0.55 + 0.28 * np.sin(0.55 * x + p1) + 0.16 * np.sin(1.7 * x + p2)
    trees = HORIZON + 0.2 + 0.1 * np.abs(np.sin(4.0 * x + p3)) + 0.05 * np.abs(np.sin(9.3 * x + p1))
    hill_rgb = adjust((128, 156, 150) if not rain else (126, 134, 136), style)
    tree_rgb = adjust((72, 112, 72) if not rain else (80, 98, 86), style)
    ol = outline_px(style, grid.picture_h)
    for top, rgb in ((hills, hill_rgb), (trees, tree_rgb)):
        d = (y - top) * grid.scale
        if ol:
            paint(img, coverage(d - ol), OUTLINE_RGB)
        paint(img, coverage(d), rgb)


def _clouds(img: np.ndarray, grid: Grid, scene: Scene, style: StyleSpec, rain: bool) -> None:
    white = adjust((246, 248, 250) if not rain else (196, 198, 202), style)
    if style.cel:
        rng = np.random.default_rng([scene.seed & 0xFFFFFFFF, 8])
        for _ in range(3):
            cx, cy = rng.uniform(0, scene.stage.width), rng.uniform(2.6, 3.8)
            d = np.full(img.shape[1:], np.inf, dtype=F32)
            for dx, dy, r in ((-0.45, 0, 0.3), (0, 0.12, 0.42), (0.45, 0, 0.32), (0, -0.12, 0.3)):
                d = np.minimum(d, np.sqrt((grid.x - cx - dx) ** 2 + (grid.y - cy - dy) ** 2) - r)
            paint(img, coverage(d * grid.scale), white)
            paint(img, coverage(d * grid.scale) * (grid.y < cy - 0.1), white * F32(0.9))
        return
    n = value_noise(noise_table(grid.seed, 2), grid.xs, grid.ys, 0.45, 1.1)
    n = n + 0.5 * value_noise(noise_table(grid.seed, 3), grid.xs, grid.ys, 1.1, 2.4)
    alpha = np.clip((n - 0.25) * 1.6, 0.0, 0.85) * np.clip((grid.y - 1.6) / 1.0, 0.0, 1.0)
    paint(img, alpha, white)


def _floor_coords(grid: Grid, centre: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(along, depth, stretch): perspective floor coordinates and the screen metres per floor metre."""
    z = np.maximum(HORIZON - grid.y, 0.0)
    stretch = 1.0 + z / PERSPECTIVE
    depth = PERSPECTIVE * np.log(stretch)
    along = (grid.x - centre) / stretch + centre
    return along, depth, stretch


def floor(img: np.ndarray, grid: Grid, scene: Scene, style: StyleSpec) -> None:
    """The floor surface by material, below the horizon line, with a contact-darkened back edge."""
    kind = scene.stage.floor
    along, depth, stretch = _floor_coords(grid, 0.5 * scene.stage.width)
    base = adjust(FLOOR_COLORS[kind], style)
    rgb = np.broadcast_to(planar(base, 2), (3, *np.broadcast_shapes(along.shape, depth.shape))).copy()
    {"wood": _wood, "concrete": _concrete, "tile": _tile, "grass": _grass}[kind](
        rgb, along, depth, stretch, grid, style
    )
    if not style.cel:
        rgb *= 1.0 - 0.16 * np.exp(-depth / 0.12) + 0.05 * np.clip(depth / 0.8, 0, 1)
    img += (rgb - img) * coverage((grid.y - HORIZON) * grid.scale)
    ol = outline_px(style, grid.picture_h)
    if ol:
        paint(img, line_alpha(grid.y - HORIZON, ol / grid.scale, grid.scale), OUTLINE_RGB)


def _seams(coord: np.ndarray, period: float, width: float, stretch: np.ndarray, scale: float) -> np.ndarray:
    """Alpha of thin lines at multiples of `period` along a floor coordinate."""
    dist = (np.abs(np.mod(coord + 0.5 * period, period) - 0.5 * period) * stretch).astype(F32)
    return line_alpha(dist, width, scale)


def _wood(rgb, along, depth, stretch, grid: Grid, style: StyleSpec) -> None:
    row = np.floor(depth / 0.11)
    offset = hash01(row, 0, grid.seed) * 1.3
    plank = np.floor((along + offset) / 1.3)
    tone = hash01(row, plank, grid.seed)
    rgb *= (0.9 + 0.16 * tone) if not style.cel else np.where(tone > 0.5, F32(1.0), F32(0.93))
    if style.texture:
        rgb *= 1.0 + noise_layer(grid.seed, 4, grid.xs, grid.ys, 1.5, 22.0, 0.07 * style.texture, grid.scale)
    dark = (0.55 if not style.cel else 0.45) * rgb
    paint(rgb, _seams(depth, 0.11, 0.008, stretch, grid.scale), dark)
    joints = line_alpha(((np.mod(along + offset, 1.3)) * stretch).astype(F32), 0.008, grid.scale)
    paint(rgb, joints, dark)


def _concrete(rgb, along, depth, stretch, grid: Grid, style: StyleSpec) -> None:
    if style.texture:
        a = value_noise(noise_table(grid.seed, 5), grid.xs, grid.ys, 1.3, 3.0) * F32(0.06 * style.texture)
        rgb *= (
            1.0 + a + noise_layer(grid.seed, 6, grid.xs, grid.ys, 6.0, 14.0, 0.04 * style.texture, grid.scale)
        )
    paint(rgb, _seams(along, 2.0, 0.012, stretch, grid.scale), rgb * 0.7)
    paint(rgb, _seams(depth, 0.45, 0.012, stretch, grid.scale), rgb * 0.7)


def _tile(rgb, along, depth, stretch, grid: Grid, style: StyleSpec) -> None:
    checker = (np.floor(along / 0.45) + np.floor(depth / 0.16)) % 2
    rgb *= np.where(checker > 0, F32(0.9), F32(1.0))
    if style.texture:
        sheen = value_noise(noise_table(grid.seed, 9), grid.xs, grid.ys, 0.8, 2.0)
        rgb *= 1.0 + sheen * F32(0.03 * style.texture)
    grout = adjust((150, 150, 146), style)
    paint(rgb, _seams(along, 0.45, 0.016, stretch, grid.scale), grout)
    paint(rgb, _seams(depth, 0.16, 0.016, stretch, grid.scale), grout)


def _grass(rgb, along, depth, stretch, grid: Grid, style: StyleSpec) -> None:
    stripes = np.floor(along / 1.0) % 2
    rgb *= np.where(stripes > 0, F32(1.06), F32(0.95))
    if style.texture:
        patch = value_noise(noise_table(grid.seed, 10), grid.xs, grid.ys, 1.2, 3.0) * F32(
            0.08 * style.texture
        )
        rgb *= (
            1.0
            + patch
            + noise_layer(grid.seed, 11, grid.xs, grid.ys, 40.0, 18.0, 0.1 * style.texture, grid.scale)
        )


def side_walls(img: np.ndarray, grid: Grid, scene: Scene, style: StyleSpec) -> None:
    """Walls at both stage ends (when the stage has them), seen end-on as pillars beyond x = 0 and x = width."""
    if not scene.stage.walls:
        return
    indoor = scene.stage.setting == "indoor"
    base = (wall_color(scene, style) if indoor else adjust((150, 140, 128), style)) * F32(0.78)
    ol = outline_px(style, grid.picture_h)
    reach = (ol + 2.0) / grid.scale + 0.03
    width = scene.stage.width
    far = 1e6
    for edge, sign, (x0, x1) in ((0.0, 1.0, (-far, reach)), (width, -1.0, (width - reach, far))):
        win = grid.window(x0, x1, -far, far)
        if win is None:
            continue
        r0, c0, g = win
        sub = img[:, r0 : r0 + len(g.ys), c0 : c0 + len(g.xs)]
        d = np.broadcast_to((g.x - edge) * sign, sub.shape[1:])  # negative inside the wall
        d_px = d * g.scale
        shade = 1.0 - (0.18 * np.clip(-d / 0.5, 0.0, 1.0) if not style.cel else 0.0)
        if ol:
            paint(sub, coverage(d_px - ol), OUTLINE_RGB)
        paint(sub, coverage(d_px), planar(base, 2) * shade)
        paint(sub, line_alpha(d + 0.02, 0.02, g.scale) * 0.6, base * F32(1.25))
