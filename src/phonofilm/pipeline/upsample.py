"""Delivery resize: model-canvas frames → the requested size, bicubic or through the learned upsampler.

`Pipeline._deliver` calls `upsample_to`; its second return value goes into the result metadata
(`upsampler`), so a clip says how its pixels were made.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from phonofilm.models.upsampler import Upsampler, check_size

BICUBIC = "bicubic resize"
BICUBIC_CHUNK = 16  # frames per bicubic pass (bounded memory at 1080p), as Pipeline._deliver always did
OUTPUT_FLOATS = 48_000_000  # float32 values of learned output per chunk (≈ 190 MB): 16 frames at 720p


def upsampler_name(upsampler: Upsampler | None) -> str:
    """The metadata label of a delivery path."""
    return BICUBIC if upsampler is None else upsampler.label


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    """[N, 3, H, W] in [-1, 1] → uint8 [N, H, W, 3]; works in place on `x` (a fresh output: half the time)."""
    x = x.clamp_(-1, 1).add_(1).mul_(127.5).round_()
    return x.to(torch.uint8).permute(0, 2, 3, 1).contiguous().cpu().numpy()


def upsample_to(frames: torch.Tensor, width: int, height: int,
                upsampler: Upsampler | None = None) -> tuple[np.ndarray, str]:
    """Model frames [3, T, h, w] in [-1, 1] → (uint8 [T, height, width, 3], name of the path taken).

    Without an upsampler: bicubic, 16 frames at a time (today's delivery). With one: the learned path on
    the upsampler's device, in chunks sized to bound memory, under inference mode.
    """
    if frames.ndim != 4 or frames.shape[0] != 3:
        raise ValueError(f"upsample_to expects frames [3, T, h, w], got shape {tuple(frames.shape)}")
    check_size(width, height)
    frames = frames.clamp(-1, 1)
    out: list[np.ndarray] = []
    if upsampler is None:
        for chunk in frames.split(BICUBIC_CHUNK, dim=1):
            big = F.interpolate(chunk.transpose(0, 1).float(), size=(height, width), mode="bicubic",
                                align_corners=False)
            out.append(_to_uint8(big))
    else:
        device = next(upsampler.parameters()).device
        per_chunk = max(1, OUTPUT_FLOATS // (3 * width * height))
        with torch.inference_mode():
            for chunk in frames.split(per_chunk, dim=1):
                x = chunk.transpose(0, 1).to(device=device, dtype=torch.float32)  # [n, 3, h, w]
                out.append(_to_uint8(upsampler(x, (height, width))))
    video = np.concatenate(out) if out else np.zeros((0, height, width, 3), np.uint8)
    return video, upsampler_name(upsampler)
