"""Deterministic, world-anchored value noise and integer hashes for procedural surface textures.

Noise is a function of world coordinates (metres), never of pixels, so a texture looks the same at
every resolution; detail finer than about two pixels fades out instead of aliasing.
"""

from __future__ import annotations

import numpy as np

F32 = np.float32
TABLE = 64


def noise_table(seed: int, salt: int) -> np.ndarray:
    """A [64, 64] float32 lattice of values in [-1, 1] for one texture of one scene."""
    rng = np.random.default_rng([seed & 0xFFFFFFFF, salt])
    return rng.uniform(-1.0, 1.0, (TABLE, TABLE)).astype(F32)


def _axis(coord: np.ndarray, freq: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    g = coord * freq
    i = np.floor(g)
    f = (g - i).astype(F32)
    f = f * f * (3.0 - 2.0 * f)
    i0 = np.mod(i.astype(np.int64), TABLE)
    return i0, np.mod(i0 + 1, TABLE), f


def value_noise(table: np.ndarray, xs: np.ndarray, ys: np.ndarray, fx: float, fy: float) -> np.ndarray:
    """Smooth noise [h, w] in [-1, 1] at world columns xs [w] and rows ys [h] (frequencies per metre)."""
    x0, x1, tx = _axis(xs, fx)
    y0, y1, ty = _axis(ys, fy)
    top = table[y0[:, None], x0[None, :]] * (1 - tx) + table[y0[:, None], x1[None, :]] * tx
    bot = table[y1[:, None], x0[None, :]] * (1 - tx) + table[y1[:, None], x1[None, :]] * tx
    return top * (1 - ty[:, None]) + bot * ty[:, None]


def value_noise_2d(table: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Smooth noise at arbitrary (non-separable) lattice coordinates u, v of equal shape."""
    iu, iv = np.floor(u), np.floor(v)
    fu, fv = (u - iu).astype(F32), (v - iv).astype(F32)
    fu, fv = fu * fu * (3.0 - 2.0 * fu), fv * fv * (3.0 - 2.0 * fv)
    a, b = np.mod(iu.astype(np.int64), TABLE), np.mod(iv.astype(np.int64), TABLE)
    a1, b1 = np.mod(a + 1, TABLE), np.mod(b + 1, TABLE)
    top = table[b, a] * (1 - fu) + table[b, a1] * fu
    bot = table[b1, a] * (1 - fu) + table[b1, a1] * fu
    return top * (1 - fv) + bot * fv


def detail(wavelength_m: float, scale: float) -> float:
    """How much of a texture with this wavelength to keep at `scale` px/m (0 below ~2 pixels)."""
    return float(np.clip((wavelength_m * scale - 2.0) / 3.0, 0.0, 1.0))


def noise_layer(seed: int, salt: int, xs: np.ndarray, ys: np.ndarray, fx: float, fy: float, amount: float,
                scale: float) -> np.ndarray | float:  # fmt: skip
    """`amount` × smooth noise, faded by how many pixels its finest wavelength spans (0.0 when invisible)."""
    keep = amount * detail(1.0 / max(fx, fy), scale)
    if keep == 0.0:
        return 0.0  # finer than the pixels: not worth computing
    return value_noise(noise_table(seed, salt), xs, ys, fx, fy) * F32(keep)


def hash01(a: np.ndarray, b: np.ndarray | int, seed: int) -> np.ndarray:
    """A stable pseudo-random value in [0, 1) per integer cell (a, b) (float32)."""
    h = (
        (np.asarray(a, np.int64) * 73856093)
        ^ (np.asarray(b, np.int64) * 19349663)
        ^ ((seed * 83492791) & 0x7FFFFFFF)
    )
    h = (h ^ (h >> 13)) * 1274126177
    return ((h ^ (h >> 16)) & 0xFFFF).astype(F32) / F32(65536.0)
