"""Static props with a back and a front: the basketball hoop and the water tank.

The back parts (board, pole, far half of the rim, back glass) are painted into the backdrop. The front
parts (near half of the rim, the net, the water and the front glass) go into a premultiplied overlay
composited after the moving bodies, so a ball drops through the hoop and objects under water look blue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phonofilm.world.render.raster import coverage, line_alpha, paint, planar, sd_box, sd_ellipse, sd_segment
from phonofilm.world.render.styles import OUTLINE_RGB, StyleSpec, adjust, outline_px
from phonofilm.world.render.surfaces import Grid
from phonofilm.world.scene import Hoop, Scene, WaterTank

F32 = np.float32
RIM_RGB = (232, 84, 28)
NET_DEPTH = 0.42


@dataclass(frozen=True)
class Overlay:
    """A premultiplied RGBA layer drawn over the moving bodies, at (row, col) of its texture."""

    rgb: np.ndarray  # [3, h, w] colour × alpha (planar)
    alpha: np.ndarray  # [h, w]
    row: int = 0
    col: int = 0

    @classmethod
    def empty(cls, h: int, w: int, row: int = 0, col: int = 0) -> Overlay:
        """A transparent overlay of h × w pixels placed at (row, col)."""
        return cls(np.zeros((3, h, w), F32), np.zeros((h, w), F32), row, col)

    def add(self, alpha: np.ndarray, rgb: np.ndarray | tuple[float, ...]) -> None:
        """Put a layer of colour `rgb` with `alpha` [h, w] on top."""
        a = np.broadcast_to(alpha, self.alpha.shape).astype(F32)
        self.rgb[:] = self.rgb * (1.0 - a) + planar(rgb, 2) * a
        self.alpha[:] = self.alpha * (1.0 - a) + a


def _shape(img_or_layer, d: np.ndarray, rgb, grid: Grid, style: StyleSpec, alpha: float = 1.0) -> None:
    """Fill a shape given by its distance field, with the style's outline when it has one."""
    d_px = d * grid.scale
    ol = outline_px(style, grid.picture_h)
    layers = ([(coverage(d_px - ol) * alpha, OUTLINE_RGB)] if ol else []) + [(coverage(d_px) * alpha, rgb)]
    for a, c in layers:
        if isinstance(img_or_layer, Overlay):
            img_or_layer.add(a, c)
        else:
            paint(img_or_layer, a, c)


def _sub(
    grid: Grid, box: tuple[float, float, float, float], style: StyleSpec
) -> tuple[int, int, Grid] | None:
    """The part of the grid around a world box (x0, x1, y0, y1), with room for outlines and antialiasing."""
    m = (outline_px(style, grid.picture_h) + 2.0) / grid.scale
    return grid.window(box[0] - m, box[1] + m, box[2] - m, box[3] + m)


def _window(img: np.ndarray, grid: Grid, box: tuple[float, float, float, float], style: StyleSpec):
    """(image view, sub-grid) around a world box, or (None, None) when it is off the texture."""
    win = _sub(grid, box, style)
    if win is None:
        return None, None
    r0, c0, g = win
    return img[:, r0 : r0 + len(g.ys), c0 : c0 + len(g.xs)], g


def _front(grid: Grid, box: tuple[float, float, float, float], style: StyleSpec):
    """(empty overlay placed on the texture, sub-grid) around a world box, or (None, None)."""
    win = _sub(grid, box, style)
    if win is None:
        return None, None
    r0, c0, g = win
    return Overlay.empty(len(g.ys), len(g.xs), r0, c0), g


def _rim_geometry(hoop: Hoop) -> tuple[float, float, float, float]:
    """Rim ellipse centre x, y and semi-axes (the hoop seen from the side, slightly from above)."""
    a = 0.5 * hoop.rim_length
    return hoop.x - hoop.side * a, hoop.rim_height, a, min(0.06, 0.35 * a)


def hoop_back(img: np.ndarray, grid: Grid, scene: Scene, style: StyleSpec) -> None:
    """Pole, arm, backboard and the far half of the rim."""
    hoop = scene.stage.hoop
    if hoop is None:
        return
    xs = (hoop.x - hoop.side * hoop.rim_length, hoop.x + hoop.side * 0.6)
    img, grid = _window(img, grid, (min(xs), max(xs), -0.2, hoop.board_bottom + hoop.board_height), style)
    if img is None:
        return
    x, y, s = grid.x, grid.y, hoop.side
    steel = adjust((74, 78, 86), style)
    pole_x = hoop.x + s * 0.5
    arm_y = hoop.board_bottom + 0.55 * hoop.board_height
    pole = sd_segment(x, y, pole_x, -0.1, pole_x, arm_y) - 0.045
    arm = sd_segment(x, y, pole_x, arm_y, hoop.x + s * 0.06, arm_y) - 0.03
    _shape(img, np.minimum(pole, arm), steel, grid, style)
    cx = hoop.x + s * 0.07
    cy = hoop.board_bottom + 0.5 * hoop.board_height
    board = sd_box(x - cx, y - cy, 0.07, 0.5 * hoop.board_height, 0.015)
    _shape(img, board, adjust((244, 244, 240), style), grid, style)
    if not style.cel:
        shade = np.clip((x - hoop.x) * s / 0.14, 0.0, 1.0) * coverage(board * grid.scale)
        paint(img, shade * 0.35, adjust((150, 156, 166), style))
    mark = sd_box(x - cx, y - (hoop.rim_height + 0.16), 0.04, 0.15, 0.0)  # the shooter's square, edge-on
    paint(img, line_alpha(mark, 0.02, grid.scale), adjust(RIM_RGB, style))
    rx, ry, a, b = _rim_geometry(hoop)
    ring = np.abs(sd_ellipse(x - rx, y - ry, a, b)) - 0.016
    bracket = sd_box(x - (hoop.x - s * 0.05), y - ry, 0.05, 0.025)
    _shape(img, np.where(y > ry, ring, np.inf).astype(F32), adjust(RIM_RGB, style) * F32(0.8), grid, style)
    _shape(img, bracket, adjust(RIM_RGB, style), grid, style)


def hoop_front(grid: Grid, scene: Scene, style: StyleSpec) -> Overlay | None:
    """The near half of the rim and the net hanging from it (drawn over the ball)."""
    hoop = scene.stage.hoop
    if hoop is None:
        return None
    rx, ry, a, b = _rim_geometry(hoop)
    layer, grid = _front(grid, (rx - a, rx + a, ry - NET_DEPTH, ry + b), style)
    if layer is None:
        return None
    u, v = grid.x - rx, grid.y - ry
    depth = np.clip(-v / NET_DEPTH, 0.0, 1.0)
    half = a * (1.0 - 0.38 * depth)
    inside = sd_box(u / (half / a), v + 0.5 * NET_DEPTH, a, 0.5 * NET_DEPTH)
    cell = 0.075
    diag1 = np.abs(np.mod(u / (half / a) + 0.8 * v, cell) - 0.5 * cell)
    diag2 = np.abs(np.mod(u / (half / a) - 0.8 * v, cell) - 0.5 * cell)
    strands = np.maximum(line_alpha(diag1, 0.012, grid.scale), line_alpha(diag2, 0.012, grid.scale))
    net = strands * coverage(inside * grid.scale) * np.where(v < 0, F32(0.9), F32(0.0))
    layer.add(net, adjust((240, 240, 236), style))
    ring = np.abs(sd_ellipse(u, v, a, b)) - 0.016
    _shape(layer, np.where(v <= 0, ring, np.inf).astype(F32), adjust(RIM_RGB, style), grid, style)
    return layer


def _water_rgb(style: StyleSpec) -> np.ndarray:
    return adjust((46, 128, 206), style)


def tank_back(img: np.ndarray, grid: Grid, scene: Scene, style: StyleSpec) -> None:
    """What is seen through the tank: the back glass and the water in front of the back wall."""
    tank = scene.stage.tank
    if tank is None:
        return
    img, grid = _window(img, grid, (tank.x_min, tank.x_max, 0.0, tank.height), style)
    if img is None:
        return
    x, y = grid.x, grid.y
    box = _interior(tank, x, y, tank.height)
    paint(img, coverage(box * grid.scale) * 0.18, (196, 228, 238))
    water = _interior(tank, x, y, tank.water_level)
    paint(img, coverage(water * grid.scale) * 0.3, _water_rgb(style))


def _interior(tank: WaterTank, x: np.ndarray, y: np.ndarray, top: float) -> np.ndarray:
    cx, hx = 0.5 * (tank.x_min + tank.x_max), 0.5 * (tank.x_max - tank.x_min)
    return sd_box(x - cx, y - 0.5 * top, hx, 0.5 * max(top, 1e-3))


def tank_front(grid: Grid, scene: Scene, style: StyleSpec) -> Overlay | None:
    """Water (tints whatever is under it), the surface line, and the glass walls and floor."""
    tank = scene.stage.tank
    if tank is None:
        return None
    layer, grid = _front(grid, (tank.x_min - 0.05, tank.x_max + 0.05, -0.05, tank.height), style)
    if layer is None:
        return None
    x, y = grid.x, grid.y
    water = coverage(_interior(tank, x, y, tank.water_level) * grid.scale)
    layer.add(water * (0.42 if style.cel else 0.34), _water_rgb(style))
    surface = line_alpha(y - tank.water_level, 0.02, grid.scale) * coverage(
        (np.abs(x - 0.5 * (tank.x_min + tank.x_max)) - 0.5 * (tank.x_max - tank.x_min)) * grid.scale
    )
    layer.add(surface * 0.85, adjust((214, 240, 255), style))
    glass = adjust((206, 236, 246), style)
    pane = coverage(_interior(tank, x, y, tank.height) * grid.scale)
    layer.add(pane * 0.07, glass)
    if not style.cel:
        streak = line_alpha(x - tank.x_min - 0.25 * (tank.x_max - tank.x_min) - 0.3 * y, 0.08, grid.scale)
        layer.add(streak * pane * 0.16, (255, 255, 255))
    t = 0.04
    left = sd_box(x - (tank.x_min - 0.5 * t), y - 0.5 * tank.height, 0.5 * t, 0.5 * tank.height)
    right = sd_box(x - (tank.x_max + 0.5 * t), y - 0.5 * tank.height, 0.5 * t, 0.5 * tank.height)
    bottom = sd_box(
        x - 0.5 * (tank.x_min + tank.x_max), y + 0.5 * t, 0.5 * (tank.x_max - tank.x_min) + t, 0.5 * t
    )
    _shape(layer, np.minimum(np.minimum(left, right), bottom), glass, grid, style, alpha=0.7)
    return layer
