"""Finding the world's characters in a shot: standing palette-coloured bodies with faces.

Characters hold still, so they live in a shot's background (its temporal median). In that image every
pixel is named by colour; pixels that carry a world colour and stand out from their row (walls, floors
and skies change little along a row) are grouped into regions, and a region counts as a character when
it has a body's proportions and a face: bright eye whites or dark features inside its upper part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from phonofilm.eval.perception.colour import NAMES, name_pixels

MAX_WIDTH = 192  # the background is named at most this wide (characters are large; detail is not needed)


@dataclass(frozen=True)
class CharacterView:
    """A character seen in one shot: its box (picture pixels), body colour and colour make-up."""

    shot: int
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive ends)
    colour: str
    palette: np.ndarray  # [len(NAMES)] fraction of the body's pixels named by each colour
    aspect: float  # height / width of the body

    @property
    def centre(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box
        return 0.5 * (x0 + x1), 0.5 * (y0 + y1)


def _downsample(img: np.ndarray) -> tuple[np.ndarray, int]:
    """Block-average the image so it is at most MAX_WIDTH wide; returns (image, factor)."""
    f = max(1, int(np.ceil(img.shape[1] / MAX_WIDTH)))
    if f == 1:
        return img.astype(np.float64), 1
    h, w = img.shape[0] // f * f, img.shape[1] // f * f
    return img[:h, :w].reshape(h // f, f, w // f, f, 3).mean(axis=(1, 3)), f


def salient_colours(background: np.ndarray, min_area: float = 4e-4, max_distance: float = 14.0) -> set[str]:
    """Colours of the compact world-coloured regions standing out of a background image [h, w, 3]:
    resting objects, characters and props (what a shot shows besides walls, floor and sky)."""
    img, _ = _downsample(background)
    h, w = img.shape[:2]
    idx, labels = _salient(img, max_distance)
    out = set()
    for k, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        region = labels[sl] == k
        rh, rw = region.shape
        if region.sum() >= min_area * h * w and rw <= 0.4 * w and rh <= 0.8 * h:
            out.add(NAMES[int(np.bincount(idx[sl][region], minlength=len(NAMES)).argmax())])
    return out


def _salient(img: np.ndarray, max_distance: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel colour index [h, w] and labelled salient regions [h, w] of a (downsampled) image."""
    h, w = img.shape[:2]
    idx, dist = name_pixels(img.reshape(-1, 3))
    idx, dist = idx.reshape(h, w), dist.reshape(h, w)
    # the local backdrop: the median along the row over ±30 % of the width (walls, floors, skies, hills
    # and hedges vary slowly along a row; a character is at most a fifth of the width)
    span = max(3, int(0.6 * w) | 1)
    row_ref = ndimage.median_filter(img, size=(1, span, 1), mode="reflect")
    salient = (dist < max_distance) & (np.abs(img - row_ref).max(axis=-1) > 28)
    salient = ndimage.binary_fill_holes(ndimage.binary_closing(salient, np.ones((3, 3))))
    labels, _ = ndimage.label(salient)
    return idx, labels


def find_characters(background: np.ndarray, shot: int = 0, max_distance: float = 14.0) -> list[CharacterView]:
    """Characters standing in a shot's background image [h, w, 3]."""
    img, f = _downsample(background)
    h, w = img.shape[:2]
    idx, labels = _salient(img, max_distance)
    out = []
    for k, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        region = labels[sl] == k
        view = _as_character(img[sl], idx[sl], region, sl, (h, w), shot, f)
        if view is not None:
            out.append(view)
    return out


def _as_character(pixels: np.ndarray, names: np.ndarray, region: np.ndarray, sl: tuple[slice, slice],
                  size: tuple[int, int], shot: int, f: int) -> CharacterView | None:  # fmt: skip
    """A CharacterView when the region has a body's size, proportions and a face, else None."""
    h, w = size
    rh, rw = region.shape
    if not (0.12 * h <= rh <= 0.95 * h and 0.03 * w <= rw <= 0.4 * w and 0.7 <= rh / rw <= 3.6):
        return None
    if sl[1].start == 0 or sl[1].stop >= w or region.mean() < 0.5:
        return None
    if not _has_face(pixels, region):
        return None
    counts = np.bincount(names[region], minlength=len(NAMES)).astype(np.float64)
    palette = counts / counts.sum()
    x0, y0 = sl[1].start * f, sl[0].start * f
    return CharacterView(shot, (x0, y0, sl[1].stop * f, sl[0].stop * f), NAMES[int(np.argmax(palette))],
                         palette, rh / rw)  # fmt: skip


def _has_face(pixels: np.ndarray, region: np.ndarray) -> bool:
    """Eyes and mouth: pixels both clearly brighter and clearly darker than the body in its upper 70 %."""
    rh = region.shape[0]
    upper = region.copy()
    upper[int(0.7 * rh) :] = False
    px = pixels[upper]
    if len(px) < 6:
        return False
    luma = px @ np.array([0.299, 0.587, 0.114])
    body = np.median(luma)
    bright = luma > body + max(12.0, 0.1 * body)
    dark = luma < body - max(12.0, 0.2 * body)
    return bool(bright.any() and dark.any())
