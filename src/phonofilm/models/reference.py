"""Cameo reference encoder: a short recording of a subject → appearance and voice tokens.

    recording (≈3 s, 128×72, 16 fps, 16 kHz) ─video VAE─▶ latents [Cv, F, h, w] ─patches─┐
                                             ─audio VAE─▶ latents [Ca, L] ─conv─────────┤
    the subject's name ─MiniLM, pooled─▶ [text_dim] ─────────────────────────────────────┤
                                                                                        ▼
          learned queries + name + slot ─cross-attention × layers─▶ appearance tokens [Rv] ┐
          learned queries + name + slot ─cross-attention × layers─▶ voice tokens [Rv]      ┴▶ [K·R, reference_dim]

The autoencoders are the generator's own (frozen), so the reference lives in the space the transformer
denoises. The name is part of every token: the caption says *who* ("… says Ari"), the tokens say what
Ari looks and sounds like, and a reference whose name the caption never mentions has nothing to bind
to (training shows the model such distractors). The slot embedding tells two cameos apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from phonofilm.config import TransformerConfig

# The recording canvas every cameo is conformed to before encoding (training renders it directly).
REFERENCE_WIDTH, REFERENCE_HEIGHT, REFERENCE_FRAMES = 128, 72, 49  # 3.06 s at 16 fps


@dataclass(frozen=True)
class CameoInput:
    """Up to `max_cameos` recordings per sample, as normalised VAE latents (the transformer encodes them).

    video [B, K, Cv, F, h, w], audio [B, K, Ca, L], names [B, K, text_dim] (pooled name embeddings),
    mask [B, K] bool: True where slot k of sample b holds a cameo.
    """

    video: Tensor
    audio: Tensor
    names: Tensor
    mask: Tensor


class _Resampler(nn.Module):
    """Perceiver-style pooling: `n` learned queries (+ a per-item bias) attend to a token sequence."""

    def __init__(self, width: int, heads: int, n: int, layers: int) -> None:
        super().__init__()
        self.queries = nn.Parameter(torch.randn(n, width) * 0.02)
        self.attn = nn.ModuleList(nn.MultiheadAttention(width, heads, batch_first=True) for _ in range(layers))
        self.norm_q = nn.ModuleList(nn.LayerNorm(width) for _ in range(layers))
        self.norm_kv = nn.ModuleList(nn.LayerNorm(width) for _ in range(layers))
        self.mlp = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))
            for _ in range(layers)
        )

    def forward(self, tokens: Tensor, bias: Tensor) -> Tensor:
        """tokens [M, N, W], bias [M, W] → [M, n, W]."""
        q = self.queries[None] + bias[:, None]
        for attn, nq, nkv, mlp in zip(self.attn, self.norm_q, self.norm_kv, self.mlp, strict=True):
            kv = nkv(tokens)
            q = q + attn(nq(q), kv, kv, need_weights=False)[0]
            q = q + mlp(q)
        return q


class ReferenceEncoder(nn.Module):
    """Latents of K recordings per sample → reference tokens [B, K·R, reference_dim] and their mask."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        if config.reference_width <= 0:
            raise ValueError("reference_width must be > 0 to build a reference encoder")
        w, heads = config.reference_width, max(1, config.reference_width // 64)
        self.config = config
        self.video_in = nn.Linear(config.video_channels * 4, w)  # 2×2 latent patches
        self.audio_in = nn.Sequential(
            nn.Conv1d(config.audio_channels, w, 5, padding=2), nn.GELU(), nn.Conv1d(w, w, 5, padding=2)
        )
        self.name_in = nn.Sequential(nn.Linear(config.text_dim, w), nn.GELU(), nn.Linear(w, w))
        self.slot = nn.Embedding(config.max_cameos, w)
        self.appearance = _Resampler(w, heads, config.reference_video_tokens, config.reference_layers)
        self.voice = _Resampler(w, heads, config.reference_voice_tokens, config.reference_layers)
        self.out = nn.Sequential(nn.LayerNorm(w), nn.Linear(w, config.reference_dim))
        nn.init.normal_(self.slot.weight, std=0.02)

    @property
    def tokens_per_cameo(self) -> int:
        return self.config.reference_video_tokens + self.config.reference_voice_tokens

    def forward(self, cameo: CameoInput) -> tuple[Tensor, Tensor]:
        """→ (tokens [B, K·R, reference_dim], mask [B, K·R])."""
        b, k = cameo.mask.shape
        if k > self.config.max_cameos:
            raise ValueError(f"{k} cameo slots given; this model takes at most {self.config.max_cameos}")
        v = cameo.video.flatten(0, 1)  # [M, Cv, F, h, w]
        v = F.pad(v, (0, v.shape[-1] % 2, 0, v.shape[-2] % 2, 0, 0), mode="replicate")  # 2×2 patches need even h, w
        m, c, f, h, w = v.shape
        patches = v.reshape(m, c, f, h // 2, 2, w // 2, 2).permute(0, 2, 3, 5, 1, 4, 6).reshape(m, -1, c * 4)
        dtype = self.video_in.weight.dtype
        video_tokens = self.video_in(patches.to(dtype))
        audio_tokens = self.audio_in(cameo.audio.flatten(0, 1).to(dtype)).transpose(1, 2)
        slots = torch.arange(k, device=cameo.mask.device).repeat(b)
        bias = self.name_in(cameo.names.flatten(0, 1).to(dtype)) + self.slot(slots)
        tokens = torch.cat([self.appearance(video_tokens, bias), self.voice(audio_tokens, bias)], dim=1)
        tokens = self.out(tokens).reshape(b, k * self.tokens_per_cameo, -1)
        mask = cameo.mask.bool().repeat_interleave(self.tokens_per_cameo, dim=1)
        return tokens, mask
