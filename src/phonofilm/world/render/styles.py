"""The three looks (realistic, cinematic, anime) as frozen presets, and the colour maths they share.

A style never changes where anything is, only how it looks: shading model, outlines, palette, grade,
letterbox, vignette and background blur. Everything resolution dependent is given relative to the
picture height so a clip looks the same at 128×72 and at 1920×1080.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from phonofilm.world.scene import COLORS

F32 = np.float32
LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=F32)


@dataclass(frozen=True)
class StyleSpec:
    """How one style draws. Lengths named *_h are fractions of the picture height."""

    name: str
    cel: bool  # flat colour bands instead of smooth shading
    outline_h: float  # dark outline width around every shape (0 = none)
    saturation: float  # palette saturation multiplier
    brightness: float  # palette brightness multiplier
    texture: float  # amplitude of surface textures (noise, grain), 0 = flat
    soft_shadows: bool  # blurred contact shadows (else flat cel shadows)
    letterbox: float | None  # aspect of the picture inside the frame (bars above and below)
    vignette: float  # corner darkening, 0..1
    dof_h: float  # background blur sigma in a wide shot
    grade: bool  # teal/orange colour grade


STYLE_SPECS: dict[str, StyleSpec] = {
    "realistic": StyleSpec(
        "realistic", cel=False, outline_h=0.0, saturation=0.95, brightness=1.0, texture=1.0,
        soft_shadows=True, letterbox=None, vignette=0.0, dof_h=0.0, grade=False,
    ),
    "cinematic": StyleSpec(
        "cinematic", cel=False, outline_h=0.0, saturation=0.92, brightness=1.0, texture=0.8,
        soft_shadows=True, letterbox=2.39, vignette=0.42, dof_h=0.012, grade=True,
    ),
    "anime": StyleSpec(
        "anime", cel=True, outline_h=1 / 170, saturation=1.3, brightness=1.06, texture=0.0,
        soft_shadows=False, letterbox=None, vignette=0.0, dof_h=0.0, grade=False,
    ),
}  # fmt: skip

OUTLINE_RGB = (28.0, 20.0, 30.0)
MAX_DOF_H = 0.025  # cap on background blur (fraction of picture height) in close-ups


def outline_px(style: StyleSpec, picture_h: int) -> float:
    """Outline width in pixels: at least one pixel wherever the style has outlines."""
    return max(1.0, style.outline_h * picture_h) if style.outline_h > 0 else 0.0


def adjust(rgb: np.ndarray | tuple[float, ...], style: StyleSpec) -> np.ndarray:
    """A colour [3] under the style's palette (saturation and brightness), float32 0..255."""
    return _adjusted(tuple(float(v) for v in np.asarray(rgb).reshape(3)), style).copy()


@functools.lru_cache(maxsize=512)
def _adjusted(rgb: tuple[float, float, float], style: StyleSpec) -> np.ndarray:
    """Cached: the palette maths is tiny but called for every painted layer."""
    c = np.asarray(rgb, dtype=F32)
    lum = (c * LUMA).sum()
    c = lum + (c - lum) * F32(style.saturation)
    return np.clip(c * F32(style.brightness), 0.0, 255.0).astype(F32)


def named(color: str, style: StyleSpec) -> np.ndarray:
    """The style's version of a named scene colour, [3] float32 0..255."""
    return adjust(COLORS[color], style)


def mix(a: np.ndarray | tuple[float, ...], b: np.ndarray | tuple[float, ...], t: float) -> np.ndarray:
    """Linear mix of two colours."""
    a32, b32 = np.asarray(a, dtype=F32), np.asarray(b, dtype=F32)
    return a32 + (b32 - a32) * F32(t)


def cel_bands(light: np.ndarray) -> np.ndarray:
    """Quantise smooth light (about 0.4..1.3) into three flat tone bands (anime shading)."""
    return np.where(light > 0.93, F32(1.06), np.where(light > 0.62, F32(0.84), F32(0.66)))


def shade(base: np.ndarray, light: np.ndarray, spec: np.ndarray | None, style: StyleSpec) -> np.ndarray:
    """Planar colour [3, ...] from a base colour ([3] or planar), a light factor [...] and a highlight."""
    if style.cel:
        light = cel_bands(light)
        if spec is not None:
            spec = np.where(spec > 0.55, F32(0.85), F32(0.0))
    if base.ndim == 1:
        base = base.reshape(3, *([1] * light.ndim))
    rgb = np.minimum(base * light, 255.0)
    if spec is not None:
        rgb += (F32(255.0) - rgb) * np.clip(spec, 0.0, 1.0)
    return rgb


_TEAL = np.array([-9.0, 4.0, 13.0], dtype=F32)
_ORANGE = np.array([16.0, 5.0, -14.0], dtype=F32)


def grade(rgb: np.ndarray) -> np.ndarray:
    """Cinematic teal/orange split toning with a gentle contrast curve on a planar colour [3, ...]."""
    lum = (LUMA[0] * rgb[0] + LUMA[1] * rgb[1] + LUMA[2] * rgb[2]) * F32(1 / 255)
    t = np.clip(lum, 0.0, 1.0)
    shape = (3, *([1] * (rgb.ndim - 1)))
    out = rgb + (1.0 - t) ** 2 * _TEAL.reshape(shape) + t * t * _ORANGE.reshape(shape)
    return np.clip((out - 118.0) * F32(1.1) + 112.0, 0.0, 255.0)
