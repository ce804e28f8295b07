"""Rigid objects (ball, cube, brick) drawn with their materials (shadows live in shadows.py).

Each object is drawn for a whole chunk of frames at once inside a patch that follows it. Lighting is
fixed in the world (from the upper left, towards the viewer), so a mirrored shot is a true mirror.
The named colour stays dominant under every material: materials add texture, tint and highlights.
"""

from __future__ import annotations

import zlib

import numpy as np

from phonofilm.world.render.camera import View
from phonofilm.world.render.raster import (
    Canvas,
    band_alpha,
    blend_premultiplied,
    fill_with_outline,
    patch_around,
    planar,
    rotate,
    sd_box,
    sd_circle,
)
from phonofilm.world.render.styles import OUTLINE_RGB, StyleSpec, grade, mix, named, outline_px, shade
from phonofilm.world.render.tracks import object_half_sizes
from phonofilm.world.scene import SceneObject

F32 = np.float32
LIGHT = np.array([-0.45, 0.62, 0.64], dtype=F32) / np.float32(np.linalg.norm([-0.45, 0.62, 0.64]))
HALF = LIGHT + np.array([0, 0, 1], F32)
HALF = HALF / np.linalg.norm(HALF)
SHININESS = {"metal": 36.0, "glass": 60.0, "rubber": 8.0, "wood": 14.0}
SPECULAR = {"metal": 0.95, "glass": 0.9, "rubber": 0.1, "wood": 0.18}


def base_color(obj: SceneObject, style: StyleSpec) -> np.ndarray:
    """The object's colour under its material: metal greyer, glass lighter, others as named."""
    c = named(obj.color, style)
    if obj.material == "metal":
        return mix(c, (150, 152, 158), 0.28)
    if obj.material == "glass":
        return mix(c, (255, 255, 255), 0.3)
    return c


def _ball(
    u: np.ndarray, v: np.ndarray, lu: np.ndarray, obj: SceneObject, scale: float
) -> tuple[np.ndarray, ...]:
    """Sphere shading plus a band that turns with the ball (the rotation cue)."""
    r = obj.size
    d = sd_circle(u, v, r)
    nx, ny = u / r, v / r
    nz = np.sqrt(np.clip(1.0 - nx * nx - ny * ny, 0.0, 1.0))
    ndl = np.maximum(nx * LIGHT[0] + ny * LIGHT[1] + nz * LIGHT[2], 0.0)
    spec = np.maximum(nx * HALF[0] + ny * HALF[1] + nz * HALF[2], 0.0) ** SHININESS[obj.material]
    light = 0.55 + 0.58 * ndl  # a generous ambient keeps the named colour readable on the dark side
    if obj.material == "metal":
        light = light * 0.8 + 0.22 * np.clip(ny, -1.0, 1.0) + 0.1
    band = band_alpha(-np.abs(lu), -0.14 * r, 1.0 / scale) * (1.0 - (1.0 - nz) ** 4)
    return d, light, spec * SPECULAR[obj.material], band, nz


def _block(u: np.ndarray, v: np.ndarray, lu: np.ndarray, lv: np.ndarray, angle: np.ndarray,
           obj: SceneObject) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Box shading: a lit face with bevelled edges that catch or lose the light as it turns."""
    hx, hy = object_half_sizes(obj)
    bevel = 0.18 * min(hx, hy)
    d = sd_box(lu, lv, hx, hy, 0.06 * min(hx, hy))
    side_x = np.abs(lu) / hx > np.abs(lv) / hy
    nlx = np.where(side_x, np.sign(lu), 0.0).astype(F32)
    nly = np.where(side_x, 0.0, np.sign(lv)).astype(F32)
    c = np.cos(angle).astype(F32)[:, None, None]
    s = np.sin(angle).astype(F32)[:, None, None]
    nwx, nwy = nlx * c - nly * s, nlx * s + nly * c
    edge = np.clip(1.0 + d / bevel, 0.0, 1.0)
    facing = nwx * LIGHT[0] + nwy * LIGHT[1]
    light = 0.8 + 0.18 * (u * LIGHT[0] + v * LIGHT[1]) / max(hx, hy) + edge * 0.42 * facing
    spec = edge * np.maximum(facing, 0.0) ** 2 * SPECULAR[obj.material]
    if obj.material == "metal":
        streak = np.exp(-(((u + v) / max(hx, hy) + 0.3) ** 2) * 6.0)
        spec = spec + 0.35 * streak
    return d, light, spec, edge


def _grain(lu: np.ndarray, lv: np.ndarray, size: float, scale: float, seed: float) -> np.ndarray:
    """Wavy wood-grain lines along the body's long axis (a light multiplier offset), faded below ~2 px."""
    freq = 2 * np.pi * 3.5 / size  # about seven lines across a side
    keep = float(np.clip((scale * 2 * np.pi / freq - 2.0) / 3.0, 0.0, 1.0))
    if keep == 0.0:
        return np.zeros((), F32)
    wave = np.sin(lv * F32(freq) + 1.6 * np.sin(lu * F32(2.2 / size) + seed))
    return (np.abs(wave) - 0.64) * F32(0.22 * keep)


def draw_object(canvas: Canvas, view: View, pos: np.ndarray, angle: np.ndarray, obj: SceneObject,
                style: StyleSpec) -> None:  # fmt: skip
    """Draw one object over a chunk: pos [n, 2], angle [n] in world units."""
    cx, cy = view.to_pixels(pos[:, 0], pos[:, 1])
    hx, hy = object_half_sizes(obj)
    ol = outline_px(style, view.picture_h)
    radius = (obj.size if obj.shape == "ball" else float(np.hypot(hx, hy))) * view.scale + ol + 1.0
    angle = np.round(angle * 512.0) / 512.0  # finer than a pixel turns; lets resting objects be drawn once
    patch = patch_around(canvas, cx, cy, radius, state=angle[:, None])
    if patch.empty:
        return
    angle = angle[patch.rep]
    u, v = patch.local(view.scale, view.flip)
    lu, lv = rotate(u, v, angle)
    base = base_color(obj, style)
    opacity: np.ndarray | float = 1.0
    if obj.shape == "ball":
        d, light, spec, band, rim = _ball(u, v, lu, obj, view.scale)
        dark = mix(base, (255, 255, 255), 0.45) if obj.color == "black" else base * F32(0.62)
        color = planar(base, 3) + planar(dark - base, 3) * band  # [3, k, p, p]
        edge = 1.0 - rim
    else:
        d, light, spec, edge = _block(u, v, lu, lv, angle, obj)
        color = base
    if obj.material == "wood" and style.texture:
        light = light * (1.0 + _grain(lu, lv, obj.size, view.scale, float(zlib.crc32(obj.id.encode()) % 7)))
    if obj.material == "glass":
        opacity = 0.55 + 0.4 * np.clip(edge, 0.0, 1.0)
    rgb = shade(color, light, spec, style)
    if style.grade:
        rgb = grade(rgb)
    premult, alpha = fill_with_outline(d * F32(view.scale), rgb, ol, OUTLINE_RGB, opacity)
    blend_premultiplied(canvas, patch, premult, alpha)
