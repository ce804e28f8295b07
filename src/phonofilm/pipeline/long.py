"""Long videos as overlapping windows ("chunks") of one global latent sequence, made by continuation.

Time base (`diffusion.patchify.TimeLayout`, from the model's config): latent video frame 0 is frame 0
alone, latent frame j ≥ 1 is frames s(j−1)+1..sj (s = the video VAE's temporal factor, 4 in the shipped
model); audio has 2 latents per frame. So F latent frames cover 1 + s(F−1) frames and 2(1 + s(F−1))
audio latents, and the first k latent frames of any window are matched by its first
`layout.audio_under(k)` audio latents.

A chunk covers global latent frames [start, start + length). Its first `context` latent frames are
given clean (cond masks), as continuation training gives them: the previous chunk's last latents,
verbatim, except local frame 0, which the causal VAE means as one lone frame; that one is re-encoded
from the decoded frame (`Pipeline._lone_frame`). If the chunk's local frame 0 is global frame s·start,
local latent i ≥ 1 is exactly global latent start + i and local audio latent a is global 2s·start + a,
so chunks stitch in latent space with no resampling, and the whole sequence is decoded once (in
streaming chunks: memory bounded) with no seams to blend.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from phonofilm.diffusion.patchify import TimeLayout


@dataclass(frozen=True)
class LongConfig:
    """How long requests are cut up and held together."""

    window_seconds: float = 8.0  # each chunk's length (context included)
    single_pass_seconds: float | None = None  # longest one-window request (None: the preset's)
    context_seconds: float = 1.0  # overlap given clean to the next chunk (rounded to latent frames)
    match_video_stats: bool = True  # new chunks' video latents take chunk 1's per-channel mean / std
    match_audio_stats: bool = False  # (off: sound level legitimately changes with events)
    match_mean_image: bool = True  # new chunks' time-averaged video latent moved to chunk 1's (the set stays)
    audio_decode_window: int = 512  # audio latents decoded at a time (16 s) ...
    audio_decode_margin: int = 32  # ... with this much context either side, cut away after decoding


@dataclass(frozen=True)
class Chunk:
    """Global latent frames [start, start + length); the first `context` are given clean."""

    index: int
    start: int
    length: int
    context: int
    layout: TimeLayout

    @property
    def end(self) -> int:
        return self.start + self.length

    @property
    def audio_start(self) -> int:
        return self.layout.audio_offset(self.start)

    @property
    def audio_length(self) -> int:
        return self.layout.audio_under(self.length)

    @property
    def audio_context(self) -> int:
        return self.layout.audio_under(self.context)


def plan_chunks(total: int, window: int, context: int, layout: TimeLayout, first_context: int = 0) -> list[Chunk]:
    """Windows of ≤ `window` latent frames covering [0, total), each after the first overlapping the
    previous by `context`; `first_context` frames of the first window are given (an extension's source)."""
    if not (1 <= context < window):
        raise ValueError(f"context must be in [1, window) latent frames, got context={context}, window={window}")
    chunks = [Chunk(0, 0, min(total, max(window, first_context + 1)), first_context, layout)]
    while chunks[-1].end < total:
        start = chunks[-1].end - context
        chunks.append(Chunk(len(chunks), start, min(window, total - start), context, layout))
    return chunks


def match_new(z: Tensor, reference: tuple[Tensor, Tensor] | None, dims: tuple[int, ...], new: int,
              skip: int = 0) -> Tensor:
    """z with positions ≥ `new` (on the time axis, dim 2 / -1) moved to `reference`'s per-channel
    mean / std, measured over positions ≥ `skip` (the clean context included, so short chunks too)."""
    if reference is None:
        return z
    axis = 2
    stats = channel_statistics(z.narrow(axis, skip, z.shape[axis] - skip), dims)
    out = z.clone()
    tail = z.narrow(axis, new, z.shape[axis] - new)
    out.narrow(axis, new, z.shape[axis] - new).copy_((tail - stats[0]) / stats[1] * reference[1] + reference[0])
    return out


def match_mean_image(z: Tensor, reference: Tensor, new: int, skip: int = 0) -> Tensor:
    """Video latents z [B, C, F, h, w] with positions ≥ `new` shifted so that their mean over time
    (measured over positions ≥ `skip`) equals `reference` [B, C, 1, h, w], the first chunk's: what stays
    in place — the set, the light — keeps its look; what moves keeps its motion."""
    if reference is None:
        return z
    shift = reference - z[:, :, skip:].mean(dim=2, keepdim=True)
    out = z.clone()
    out[:, :, new:] += shift
    return out


def channel_statistics(z: Tensor, dims: tuple[int, ...]) -> tuple[Tensor, Tensor]:
    """Per-channel (mean, std) over `dims`, kept broadcastable."""
    return z.mean(dim=dims, keepdim=True), z.std(dim=dims, keepdim=True).clamp(min=1e-4)


def decode_audio_windows(decode, za: Tensor, window: int, margin: int, samples_per_latent: int) -> Tensor:
    """Decode audio latents [B, C, L] window by window (each with `margin` latents of context either side,
    cut away afterwards): bounded memory for minutes of sound. decode(z) → wave [B, Cw, samples]."""
    length = za.shape[-1]
    if length <= window + 2 * margin:
        return decode(za)
    parts = []
    for a in range(0, length, window):
        b = min(length, a + window)
        lo, hi = max(0, a - margin), min(length, b + margin)
        wave = decode(za[..., lo:hi])
        parts.append(wave[..., (a - lo) * samples_per_latent : (b - lo) * samples_per_latent])
    return torch.cat(parts, dim=-1)
