"""Naming colours the way the world's captions do, robustly to style, shading, material and grading.

The world paints with twelve named colours (`phonofilm.world.scene.COLORS`); each style adjusts
saturation and brightness, cinematic adds a teal/orange grade, materials tint (metal greyer, glass
lighter) and lighting scales everything between about 0.5× and 1.4×. A pixel colour is named by its
nearest candidate among all those variants in CIE Lab. Using the world's public palette conventions is
what a detector trained on world renders would learn; no clip's ground truth is involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from phonofilm.world.render.styles import STYLE_SPECS, adjust, grade
from phonofilm.world.scene import COLORS

NAMES: tuple[str, ...] = tuple(COLORS)
LUMA = np.array([0.299, 0.587, 0.114])  # Rec. 601 luma weights of sRGB 0..255
SHADES = np.linspace(0.5, 1.4, 10)
# (towards colour, amount): plain, metal (greyer), glass (lighter)
MATERIAL_TINTS = ((None, 0.0), ((150.0, 152.0, 158.0), 0.28), ((255.0, 255.0, 255.0), 0.3))


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB 0..255 [..., 3] → CIE Lab (D65) [..., 3]."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


@cache
def _candidates() -> tuple[np.ndarray, np.ndarray]:
    """Lab of every (colour, style, material, shade) variant [K, 3] and its colour index [K]."""
    labs, idx = [], []
    for k, name in enumerate(NAMES):
        for spec in STYLE_SPECS.values():
            base = adjust(COLORS[name], spec).astype(np.float64)
            for towards, amount in MATERIAL_TINTS:
                tinted = base if towards is None else base + (np.asarray(towards) - base) * amount
                rgb = np.clip(tinted[None, :] * SHADES[:, None], 0, 255)
                if spec.grade:
                    rgb = grade(rgb.T.astype(np.float32)).T.astype(np.float64)  # grade takes planar [3, ...]
                labs.append(srgb_to_lab(rgb))
                idx += [k] * len(SHADES)
    return np.concatenate(labs), np.asarray(idx)


@dataclass(frozen=True)
class ColourMatch:
    """The nearest named colour and how far (ΔE in Lab) the observed colour is from it."""

    name: str
    distance: float


def name_colour(rgb: np.ndarray) -> ColourMatch:
    """Name one colour (sRGB 0..255 [3])."""
    labs, idx = _candidates()
    d = np.linalg.norm(labs - srgb_to_lab(rgb)[None, :], axis=1)
    k = int(np.argmin(d))
    return ColourMatch(NAMES[idx[k]], float(d[k]))


def colour_distances(rgb: np.ndarray) -> np.ndarray:
    """ΔE from each colour [..., 3] to the nearest variant of every named colour: [..., len(NAMES)]."""
    labs, _ = _candidates()  # grouped by colour: len(NAMES) blocks of equal size
    lab = srgb_to_lab(rgb).astype(np.float32)
    flat = lab.reshape(-1, 3)
    # |a-b|² = |a|² + |b|² - 2ab: one matrix product instead of an [N, K, 3] difference tensor
    d2 = (flat**2).sum(1, keepdims=True) + (labs.astype(np.float32) ** 2).sum(1)[None, :] - 2 * flat @ labs.T.astype(np.float32)
    d = np.sqrt(np.maximum(d2, 0.0)).reshape(len(flat), len(NAMES), -1).min(axis=-1)
    return d.reshape(*lab.shape[:-1], len(NAMES)).astype(np.float64)


GLASS_ALPHAS = (0.75, 0.6)  # glass lets this much of its own colour through (the rest is background)
GLASS_PENALTY = 2.0  # ΔE added to unmixed (glass) readings so opaque readings win ties
OUTLINE_LUMA = 50.0
MAX_VOTERS = 96


def name_pixels(pixels: np.ndarray, background: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Nearest colour index [N] and its ΔE [N] for pixels [N, 3]; with the background behind them [N, 3],
    translucent (glass) readings are also tried by unmixing the background out."""
    pixels = np.asarray(pixels, dtype=np.float64).reshape(-1, 3)
    dist = colour_distances(pixels)  # [N, C]
    if background is not None:
        bg = np.asarray(background, dtype=np.float64).reshape(-1, 3)
        for a in GLASS_ALPHAS:
            unmixed = np.clip((pixels - (1 - a) * bg) / a, 0, 255)
            dist = np.minimum(dist, colour_distances(unmixed) + GLASS_PENALTY)
    idx = np.argmin(dist, axis=1)
    return idx, dist[np.arange(len(idx)), idx]


def vote_colour(pixels: np.ndarray, weights: np.ndarray, background: np.ndarray | None = None) -> ColourMatch:
    """A region's colour: the weighted majority of its pixels' names, dark outline pixels left out
    (anime outlines) unless the region is mostly dark; distance is the median ΔE of the winners."""
    pixels = np.asarray(pixels, dtype=np.float64).reshape(-1, 3)
    weights = np.asarray(weights, dtype=np.float64).reshape(-1)
    if background is not None:
        background = np.asarray(background, np.float64).reshape(-1, 3)
    if len(pixels) > MAX_VOTERS:  # an evenly spread sample names a region as well as all its pixels
        pick = np.linspace(0, len(pixels) - 1, MAX_VOTERS).astype(int)
        pixels, weights = pixels[pick], weights[pick]
        background = None if background is None else background[pick]
    dark = pixels @ LUMA < OUTLINE_LUMA
    keep = ~dark if (~dark).sum() >= 0.4 * len(pixels) else np.ones(len(pixels), bool)
    bg = None if background is None else background[keep]
    idx, dist = name_pixels(pixels[keep], bg)
    score = np.bincount(idx, weights=weights[keep] + 1e-9, minlength=len(NAMES))
    best = int(np.argmax(score))
    return ColourMatch(NAMES[best], float(np.median(dist[idx == best])))
