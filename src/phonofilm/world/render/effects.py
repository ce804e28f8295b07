"""Screen-space finishing: rain streaks, the cinematic vignette, and float → uint8 output."""

from __future__ import annotations

import numpy as np

from phonofilm.world.render.raster import Canvas

F32 = np.float32
RAIN_PER_169 = 70  # streaks in a 16:9 picture; scaled with the aspect ratio
RAIN_RGB = np.array([206, 212, 224], F32)


def rain(canvas: Canvas, times: np.ndarray, seed: int, alpha: float) -> None:
    """Falling slanted streaks, one pixel wide at any resolution (deterministic from the seed)."""
    h, w = canvas.h, canvas.w
    n = max(8, round(RAIN_PER_169 * (w / h) / (16 / 9)))
    rng = np.random.default_rng([seed & 0xFFFFFFFF, 21])
    x0 = rng.uniform(-0.2, 1.1, n) * w
    phase = rng.uniform(0.0, 1.4, n)
    speed = rng.uniform(1.6, 2.2, n)  # picture heights per second
    length = 0.08 * h
    k = max(2, int(np.ceil(length)))
    head = (np.mod(phase[None, :] + speed[None, :] * times[:, None], 1.4) - 0.2) * h  # [T, n] rows
    trail = head[..., None] - length * np.arange(k)[None, None, :] / k  # [T, n, k]
    cols = np.floor(x0[None, :, None] + 0.25 * trail).astype(np.int64)
    rows = np.floor(trail).astype(np.int64)
    frames = np.arange(len(times))[:, None, None]
    idx = canvas.pixel_index(frames, rows, cols).reshape(-1)
    flat = canvas.flat
    flat[idx] += (RAIN_RGB - flat[idx]) * F32(alpha)


def vignette_mask(height: int, width: int, strength: float) -> np.ndarray:
    """[h, w, 3] float32 factor: 1 in the centre, 1 - strength in the corners.

    Repeated over the channels: broadcasting along a trailing axis of 3 is several times slower.
    """
    y = (np.arange(height, dtype=F32) + 0.5) / height * 2 - 1
    x = (np.arange(width, dtype=F32) + 0.5) / width * 2 - 1
    r2 = 0.5 * (x[None, :] ** 2 + y[:, None] ** 2)
    return np.repeat((1.0 - strength * r2**1.5)[..., None], 3, axis=-1).astype(F32)


def to_uint8(picture: np.ndarray, out: np.ndarray) -> None:
    """Round float colours into `out` (uint8, same shape) in one pass.

    Every layer is a convex blend of colours already clipped to 0..255 (textures, shading), so no
    clipping is needed here; +0.5 then truncation rounds to nearest.
    """
    np.add(picture, 0.5, out=out, casting="unsafe")
