"""Building blocks of the joint audio-video transformer: embedders, adaLN-Zero and the MM-DiT block.

One `JointBlock` holds a `StreamLayers` (its own modulation, QKV, text cross-attention and MLP
weights) per stream and runs *one* attention over all streams' tokens concatenated. That single op is
each stream's self-attention and the bidirectional cross-modal attention at once (MM-DiT / SD3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from phonofilm.models.rope import apply_rope

MODULATION_CHUNKS = 9  # (shift, scale, gate) for self-attention, text cross-attention and MLP


def modulate(x: Tensor, shift: Tensor, scale: Tensor) -> Tensor:
    """adaLN: x * (1 + scale) + shift."""
    return x * (1 + scale) + shift


def sinusoidal_embedding(t: Tensor, dim: int, max_period: float = 10_000.0) -> Tensor:
    """Sinusoidal features [B, dim] of scalars t [B] (t in [0, 1] is scaled by 1000 first)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    angles = (t.float() * 1000.0)[:, None] * freqs[None]
    return torch.cat([angles.cos(), angles.sin()], dim=-1)


class QKNorm(nn.Module):
    """RMS norm over each head's channels with a learned gain (keeps attention logits bounded).

    Written as sqrt(D)·x/‖x‖: equal to RMSNorm and far faster on CPU than torch's rms_norm.
    """

    def __init__(self, head_dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(head_dim))
        self.eps = eps
        self.scale = math.sqrt(head_dim)

    def forward(self, x: Tensor) -> Tensor:
        """x [..., head_dim] → same shape, unit RMS times the gain."""
        return F.normalize(x, dim=-1, eps=self.eps) * (self.weight * self.scale)


class ScalarEmbedder(nn.Module):
    """Scalar (noise level t, or shortcut step size d) → a `dim` vector via sinusoids and an MLP."""

    def __init__(self, dim: int, frequency_dim: int, zero_init: bool = False) -> None:
        super().__init__()
        self.frequency_dim = frequency_dim
        self.mlp = nn.Sequential(nn.Linear(frequency_dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        if zero_init:  # an untrained embedder then adds exactly nothing
            nn.init.zeros_(self.mlp[2].weight)
            nn.init.zeros_(self.mlp[2].bias)

    def forward(self, t: Tensor) -> Tensor:
        """t [B] → [B, dim]."""
        return self.mlp(sinusoidal_embedding(t, self.frequency_dim).to(self.mlp[0].weight.dtype))


@dataclass(frozen=True)
class StreamCond:
    """Per-token conditioning of one stream: noisy tokens use `noisy`, clean ones `clean` (both [B, D]).

    clean_mask [B, N] marks tokens that are given, not denoised (first-frame latents, reference
    tokens); None means every token is noisy.
    """

    noisy: Tensor
    clean: Tensor
    clean_mask: Tensor | None

    def project(self, layer: nn.Module) -> Tensor:
        """layer applied to the conditioning, per token: [B, D] → [B, N, K] (or [B, 1, K] if all noisy)."""
        noisy = layer(self.noisy)[:, None]
        if self.clean_mask is None:
            return noisy
        return torch.where(self.clean_mask[..., None], layer(self.clean)[:, None], noisy)


class StreamLayers(nn.Module):
    """One stream's weights inside a joint block."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        head_dim = dim // heads
        self.modulation = nn.Sequential(nn.SiLU(), nn.Linear(dim, MODULATION_CHUNKS * dim))
        nn.init.zeros_(self.modulation[1].weight)  # adaLN-Zero: every residual branch starts closed
        nn.init.zeros_(self.modulation[1].bias)
        self.norm_attn = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.q_norm = QKNorm(head_dim)
        self.k_norm = QKNorm(head_dim)
        self.attn_out = nn.Linear(dim, dim)
        self.norm_cross = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.cross_q = nn.Linear(dim, dim)
        self.cross_kv = nn.Linear(dim, 2 * dim)
        self.cross_q_norm = QKNorm(head_dim)
        self.cross_k_norm = QKNorm(head_dim)
        self.cross_out = nn.Linear(dim, dim)
        self.norm_mlp = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, dim))

    def modulation_params(self, cond: StreamCond) -> list[Tensor]:
        """Nine [B, N or 1, D] tensors: shift/scale/gate for attention, cross-attention, MLP."""
        return list(cond.project(self.modulation).chunk(MODULATION_CHUNKS, dim=-1))


class JointBlock(nn.Module):
    """adaLN-Zero MM-DiT block: joint attention over all streams, text cross-attention, MLP."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, streams: tuple[str, ...]) -> None:
        super().__init__()
        self.heads = heads
        self.streams = nn.ModuleDict({name: StreamLayers(dim, heads, mlp_ratio) for name in streams})

    def forward(
        self,
        x: dict[str, Tensor],
        cond: dict[str, StreamCond],
        rope: tuple[Tensor, Tensor],
        key_mask: Tensor | None,
        context: Tensor,
        context_mask: Tensor,
    ) -> dict[str, Tensor]:
        """x: stream name → tokens [B, N_s, D] (dict order = order in the joint sequence).

        rope: cos/sin [B, 1, sum N_s, head_dim]; key_mask [B, sum N_s] (True = attend) or None;
        context [B, Nc, D] text + dialogue tokens with context_mask [B, Nc].
        """
        mods = {name: self.streams[name].modulation_params(cond[name]) for name in x}
        x = self._joint_attention(x, mods, rope, key_mask)
        attend = context_mask[:, None, None, :]  # [B, 1, 1, Nc]
        out = {}
        for name, h in x.items():
            layers, m = self.streams[name], mods[name]
            q = self._heads(layers.cross_q(modulate(layers.norm_cross(h), m[3], m[4])), layers.cross_q_norm)
            k, v = layers.cross_kv(context).chunk(2, dim=-1)
            o = F.scaled_dot_product_attention(q, self._heads(k, layers.cross_k_norm), self._heads(v), attend)
            h = h + m[5] * layers.cross_out(rearrange(o, "b h n d -> b n (h d)"))
            h = h + m[8] * layers.mlp(modulate(layers.norm_mlp(h), m[6], m[7]))
            out[name] = h
        return out

    def _heads(self, t: Tensor, norm: nn.Module | None = None) -> Tensor:
        """[B, N, H*D] → [B, H, N, D], RMS-normalised per head when `norm` is given."""
        t = rearrange(t, "b n (h d) -> b h n d", h=self.heads)
        return norm(t) if norm is not None else t

    def _joint_attention(
        self,
        x: dict[str, Tensor],
        mods: dict[str, list[Tensor]],
        rope: tuple[Tensor, Tensor],
        key_mask: Tensor | None,
    ) -> dict[str, Tensor]:
        qs, ks, vs = [], [], []
        for name, h in x.items():
            layers, m = self.streams[name], mods[name]
            q, k, v = layers.qkv(modulate(layers.norm_attn(h), m[0], m[1])).chunk(3, dim=-1)
            qs.append(self._heads(q, layers.q_norm))
            ks.append(self._heads(k, layers.k_norm))
            vs.append(self._heads(v))
        cos, sin = rope
        q = apply_rope(torch.cat(qs, dim=2), cos, sin)  # [B, H, sum N_s, D]
        k = apply_rope(torch.cat(ks, dim=2), cos, sin)
        mask = None if key_mask is None else key_mask[:, None, None, :]
        o = F.scaled_dot_product_attention(q, k, torch.cat(vs, dim=2), attn_mask=mask)
        o = rearrange(o, "b h n d -> b n (h d)")
        out, start = {}, 0
        for name, h in x.items():
            n = h.shape[1]
            out[name] = h + mods[name][2] * self.streams[name].attn_out(o[:, start : start + n])
            start += n
        return out


class FinalLayer(nn.Module):
    """adaLN-modulated LayerNorm + zero-initialised projection to latent patch values."""

    def __init__(self, dim: int, out_channels: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.modulation = nn.Sequential(nn.SiLU(), nn.Linear(dim, 2 * dim))
        self.linear = nn.Linear(dim, out_channels)
        for layer in (self.modulation[1], self.linear):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: Tensor, cond: StreamCond) -> Tensor:
        """x [B, N, D] → [B, N, out_channels]."""
        shift, scale = cond.project(self.modulation).chunk(2, dim=-1)
        return self.linear(modulate(self.norm(x), shift, scale))
