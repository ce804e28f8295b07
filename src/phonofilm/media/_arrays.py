"""Validation of the arrays every writer accepts: frames uint8 [T, H, W, 3], audio float32 [C, S]."""

from __future__ import annotations

import numpy as np


def check_frames(frames: np.ndarray, *, even: bool = False) -> np.ndarray:
    """Return `frames` if it is uint8 [T, H, W, 3] with T >= 1 (and even H, W when asked), else raise."""
    if not isinstance(frames, np.ndarray):
        raise TypeError(f"frames must be a numpy array, got {type(frames).__name__}")
    if frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 [T, H, W, 3], got dtype {frames.dtype}")
    if frames.ndim != 4 or frames.shape[-1] != 3 or 0 in frames.shape:
        raise ValueError(f"frames must be uint8 [T, H, W, 3] with T, H, W >= 1, got shape {frames.shape}")
    height, width = frames.shape[1:3]
    if even and (height % 2 or width % 2):
        raise ValueError(
            f"H.264 yuv420p needs even width and height, got {width}x{height}; "
            "render or crop to an even size (e.g. 1280x720, 720x1280)"
        )
    return frames


def check_image(image: np.ndarray) -> np.ndarray:
    """Return `image` if it is uint8 [H, W, 3] with H, W >= 1, else raise."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError(
            f"image must be a uint8 numpy array [H, W, 3], got {getattr(image, 'dtype', image)!r}"
        )
    if image.ndim != 3 or image.shape[-1] != 3 or 0 in image.shape:
        raise ValueError(f"image must be uint8 [H, W, 3] with H, W >= 1, got shape {image.shape}")
    return image


def check_audio(audio: np.ndarray, sample_rate: int, *, max_channels: int = 2) -> np.ndarray:
    """Return `audio` as contiguous float32 [C, S] clipped to [-1, 1]; raise on a bad shape, rate or NaN.

    Samples slightly outside [-1, 1] (a vocoder overshooting) are clipped rather than refused, as any
    PCM writer would; NaN or infinity means a bug upstream and is refused.
    """
    if not isinstance(audio, np.ndarray) or audio.dtype.kind != "f":
        raise ValueError(f"audio must be a float numpy array [C, S], got {getattr(audio, 'dtype', audio)!r}")
    if audio.ndim != 2 or not 1 <= audio.shape[0] <= max_channels or audio.shape[1] == 0:
        raise ValueError(
            f"audio must be [C, S] with 1..{max_channels} channels and S >= 1, got shape {audio.shape}"
        )
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int | np.integer) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer (Hz), got {sample_rate!r}")
    if not np.isfinite(audio).all():
        raise ValueError("audio contains NaN or infinite samples")
    return np.ascontiguousarray(np.clip(audio, -1.0, 1.0), dtype=np.float32)
