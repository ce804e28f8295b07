"""Rotary position embedding over (time in seconds, y, x), shared by the video and audio streams.

Each head's channels form rotary pairs. The first half of the pairs rotate with time, the rest are
split between the y and x axes. Both streams measure time in seconds, so a video token and an audio
token at the same instant get exactly the same time rotation and attention between them depends only
on their time difference. Audio tokens sit at y = x = 0: the identity rotation on the spatial pairs.
"""

from __future__ import annotations

import torch
from torch import Tensor


def rope_split(head_dim: int) -> tuple[int, int, int]:
    """Rotary pairs given to (time, y, x) for a head of `head_dim` channels."""
    if head_dim % 8:
        raise ValueError(f"RoPE needs head_dim to be a multiple of 8, got {head_dim}")
    pairs = head_dim // 2
    time_pairs = pairs // 2
    y_pairs = (pairs - time_pairs) // 2
    return time_pairs, y_pairs, pairs - time_pairs - y_pairs


def _frequencies(pairs: int, theta: float) -> Tensor:
    """Geometric frequencies 1 ... theta^-(pairs-1)/pairs (radians per position)."""
    return theta ** (-torch.arange(pairs, dtype=torch.float64) / pairs)


def rope_angles(
    positions: Tensor, head_dim: int, theta: float = 10_000.0, time_scale: float = 32.0
) -> Tensor:
    """Rotation angles [..., N, head_dim/2] for positions [..., N, 3] = (seconds, y, x).

    `time_scale` is how many rotation positions one second spans; y and x are in token units.
    """
    if positions.shape[-1] != 3:
        raise ValueError(f"positions must end in (seconds, y, x), got shape {tuple(positions.shape)}")
    time_pairs, y_pairs, x_pairs = rope_split(head_dim)
    pos = positions.to(torch.float64)  # float64 so long clips (large seconds * scale) keep precise phases
    parts = (
        (pos[..., 0:1] * time_scale) * _frequencies(time_pairs, theta).to(pos.device),
        pos[..., 1:2] * _frequencies(y_pairs, theta).to(pos.device),
        pos[..., 2:3] * _frequencies(x_pairs, theta).to(pos.device),
    )
    return torch.cat(parts, dim=-1)


def rope_cos_sin(
    positions: Tensor,
    head_dim: int,
    theta: float = 10_000.0,
    time_scale: float = 32.0,
    dtype: torch.dtype = torch.float32,
) -> tuple[Tensor, Tensor]:
    """cos and sin tables [B, 1, N, head_dim] (pair-duplicated) ready for `apply_rope`.

    positions: [B, N, 3] or [N, 3] (a batch axis of 1 is added).
    """
    if positions.dim() == 2:
        positions = positions.unsqueeze(0)
    angles = rope_angles(positions, head_dim, theta, time_scale)  # [B, N, D/2]
    angles = torch.cat([angles, angles], dim=-1).unsqueeze(1)  # [B, 1, N, D]: halves rotate together
    return angles.cos().to(dtype), angles.sin().to(dtype)


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate x [B, H, N, D] by the tables from `rope_cos_sin` (pair k = channels k and k + D/2)."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin
