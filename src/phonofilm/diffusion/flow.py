"""Rectified flow: noising, timesteps and their shift, condition dropout and the loss. Pure functions.

Convention (SD3 / flux): x_t = (1 − t)·x0 + t·ε with t ∈ [0, 1], t = 1 pure noise; the network
predicts the velocity v = dx_t/dt = ε − x0, and sampling integrates it from t = 1 down to t = 0.
Latents are [B, C, T, ...] with time on axis 2 (video [B, C, F, h, w], audio [B, C, L]); per-time masks
are [B, T].
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import Tensor


def _per_sample(t: Tensor, like: Tensor) -> Tensor:
    """t [B] → [B, 1, ..., 1] broadcastable against `like`."""
    return t.to(like.dtype).view(-1, *([1] * (like.dim() - 1)))


def _per_time(mask: Tensor, like: Tensor) -> Tensor:
    """mask [B, T] → [B, 1, T, 1, ...] broadcastable against a latent [B, C, T, ...]."""
    return mask.view(mask.shape[0], 1, mask.shape[1], *([1] * (like.dim() - 3)))


def noise_latents(x0: Tensor, noise: Tensor, t: Tensor, cond_mask: Tensor | None = None) -> Tensor:
    """x_t = (1 − t)·x0 + t·ε for t [B]; positions in cond_mask [B, T] stay clean (x0)."""
    tt = _per_sample(t, x0)
    xt = (1 - tt) * x0 + tt * noise
    if cond_mask is None:
        return xt
    return torch.where(_per_time(cond_mask.bool(), x0), x0, xt)


def velocity_target(x0: Tensor, noise: Tensor) -> Tensor:
    """The flow-matching target v = ε − x0."""
    return noise - x0


def timestep_shift(
    num_tokens: int,
    base_tokens: int = 256,
    max_tokens: int = 4096,
    base_mu: float = 0.5,
    max_mu: float = 1.15,
) -> float:
    """Schedule shift for a sequence of `num_tokens` (video + audio): exp(mu), mu linear in tokens.

    More tokens carry more redundant signal, so more of the schedule is spent at high noise (flux's
    line through (256, 0.5) and (4096, 1.15), extrapolated beyond).
    """
    mu = base_mu + (num_tokens - base_tokens) * (max_mu - base_mu) / (max_tokens - base_tokens)
    return math.exp(mu)


def shift_timesteps(t: Tensor, shift: float) -> Tensor:
    """Warp t ∈ [0, 1] towards 1 (noise) by `shift` ≥ 1: shift·t / (1 + (shift − 1)·t); ends stay fixed."""
    return shift * t / (1 + (shift - 1) * t)


def sample_timesteps(
    batch: int, generator: torch.Generator, num_tokens: int | None = None, mean: float = 0.0, std: float = 1.0
) -> Tensor:
    """Training noise levels [B]: logit-normal(mean, std), shifted for `num_tokens` when given."""
    z = torch.randn(batch, generator=generator, device=generator.device) * std + mean
    t = torch.sigmoid(z)
    return t if num_tokens is None else shift_timesteps(t, timestep_shift(num_tokens))


def get_schedule(steps: int, num_tokens: int | None = None, shift: bool = True) -> Tensor:
    """Sampling noise levels [steps + 1] from 1 down to 0, shifted for `num_tokens` when asked."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    t = torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float64)
    if shift and num_tokens is not None:
        t = shift_timesteps(t, timestep_shift(num_tokens))
    return t.float()


def condition_dropout(
    batch: int, generator: torch.Generator, p_all: float = 0.1, p_text: float = 0.05, p_dialogue: float = 0.05
) -> tuple[Tensor, Tensor]:
    """(keep_text [B], keep_dialogue [B]) bools for classifier-free guidance training.

    With p_all both are dropped (the unconditional case guidance subtracts); otherwise the caption and
    the dialogue are dropped independently, so either can also be guided on its own.
    """
    u = torch.rand(batch, 3, generator=generator, device=generator.device)
    drop_all = u[:, 0] < p_all
    keep_text = ~drop_all & (u[:, 1] >= p_text)
    keep_dialogue = ~drop_all & (u[:, 2] >= p_dialogue)
    return keep_text, keep_dialogue


def masked_mse(pred: Tensor, target: Tensor, loss_mask: Tensor | None = None,
               weights: Tensor | None = None) -> Tensor:
    """Mean squared error over positions where loss_mask [B, T] is True (all when None), each position
    weighted by `weights` (broadcast to the latents, e.g. [B, 1, T, ...] from `change_weights`)."""
    sq = (pred.float() - target.float()) ** 2
    if loss_mask is None and weights is None:
        return sq.mean()
    w = (weights.float() if weights is not None else 1.0) * (
        _per_time(loss_mask.to(sq.dtype), sq) if loss_mask is not None else 1.0)
    w = w.expand_as(sq)
    return (sq * w).sum() / w.sum().clamp(min=1.0)


def change_weights(z: Tensor, strength: float) -> Tensor:
    """Per-position flow-loss weights [B, 1, T, ...] that emphasise where clean latents [B, C, T, ...]
    change in time — a moving object in video, an onset in sound — which a plain MSE, dominated by still
    backgrounds and steady beds, underweights: 1 + strength · |Δz| / mean |Δz| (Δ between neighbouring
    latent frames, averaged over channels and onto both frames), then scaled to mean 1 per sample so only
    the emphasis moves, not the loss's size."""
    if z.shape[2] < 2 or strength <= 0:
        return torch.ones_like(z[:, :1])
    d = (z[:, :, 1:] - z[:, :, :-1]).abs().mean(1, keepdim=True).float()
    change = (torch.cat([d[:, :, :1], d], 2) + torch.cat([d, d[:, :, -1:]], 2)) / 2
    dims = tuple(range(1, change.dim()))
    w = 1 + strength * change / change.mean(dims, keepdim=True).clamp(min=1e-8)
    return w / w.mean(dims, keepdim=True)


def flow_loss(
    pred: Mapping[str, Tensor],
    target: Mapping[str, Tensor],
    cond_masks: Mapping[str, Tensor | None] | None = None,
    weights: Mapping[str, float] | None = None,
    position_weights: Mapping[str, Tensor] | None = None,
) -> tuple[Tensor, dict[str, Tensor]]:
    """Weighted sum over modalities of masked MSE; clean conditioning positions are excluded.

    pred / target: modality ('video', 'audio') → velocity; cond_masks: modality → [B, T] (True = clean);
    position_weights: modality → per-position weights (`change_weights`). Returns (total, per-modality losses).
    """
    cond_masks = cond_masks or {}
    weights = weights or {}
    position_weights = position_weights or {}
    parts: dict[str, Tensor] = {}
    for name, p in pred.items():
        cond = cond_masks.get(name)
        parts[name] = masked_mse(p, target[name], None if cond is None else ~cond.bool(), position_weights.get(name))
    if not parts:
        raise ValueError("flow_loss needs at least one modality in pred")
    total = torch.stack([weights.get(name, 1.0) * loss for name, loss in parts.items()]).sum()
    return total, parts
