"""The noise a video starts from: independent for every latent, or partly shared by the latent frames of a shot.

Rectified flow samples from x₁ ~ N(0, I). Each latent frame then starts from its own noise, and a model
that has not learned to tie frames together draws each one a little differently: the picture flickers
where latent frames meet (`benchmarks/frame_jitter.py`). Sharing part of the noise across a shot,

    ε_f = √ρ · ε_shot + √(1 − ρ) · η_f        (every latent still N(0, 1); frames of a shot correlate by ρ)

— the "mixed" noise prior of PYoCo (Ge et al., 2023), used here at sampling time — starts the frames of a
shot from nearly the same place, and each shot from a new one: a cut is where the shared part changes.

Sharing every spatial frequency also holds small things still: a ball is a few latent positions, its fall
lives in the high frequencies. `cutoff` shares only the spatial frequencies up to that fraction of the
Nyquist frequency (both axes): with P the orthogonal projection onto them,

    ε_f = P(√ρ · ε_shot + √(1 − ρ) · η_f) + (I − P) η_f

— still N(0, I) per latent; frames of a shot correlate by ρ in the low band and not at all above it.

A shot that holds a clean latent the sampler keeps (`anchored`: an image-to-video request's first frame,
an extension's context) keeps independent noise. That frame already fixes what the shot shows, and a
shared part drawn without regard to it starts the rest of the shot from somewhere else: shared, an
image-to-video clip jumps away from its given frame (docs/model-card.md, session 14).
Pure functions: same inputs and generator state, same noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor


def check_cutoff(cutoff: float | None) -> None:
    """A shared band's cutoff is None (every frequency) or a fraction of the Nyquist frequency in (0, 1]."""
    if cutoff is not None and not (isinstance(cutoff, int | float) and 0.0 < cutoff <= 1.0):
        raise ValueError(f"noise correlation cutoff must be a fraction of the Nyquist frequency in (0, 1] "
                         f"(or None: every frequency), got {cutoff!r}")


def low_band(x: Tensor, cutoff: float) -> Tensor:
    """Orthogonal projection of `x` [..., h, w] onto the spatial frequencies with |f| ≤ cutoff × Nyquist on
    both axes (unitary FFT, a 0/1 mask symmetric in ±f, so P = Pᵀ = P²)."""
    h, w = x.shape[-2:]
    fy = torch.fft.fftfreq(h, device=x.device).abs() * 2.0  # in Nyquist units, [0, 1]
    fx = torch.fft.rfftfreq(w, device=x.device) * 2.0
    mask = ((fy[:, None] <= cutoff + 1e-9) & (fx[None, :] <= cutoff + 1e-9)).to(x.dtype)
    spectrum = torch.fft.rfft2(x.float(), norm="ortho") * mask
    return torch.fft.irfft2(spectrum, s=(h, w), norm="ortho").to(x.dtype)


def shot_correlated(noise: Tensor, rho: float, cuts: Sequence[int] = (), generator: torch.Generator | None = None,
                    cutoff: float | None = None, anchored: Sequence[int] = ()) -> Tensor:
    """`noise` [B, C, F, h, w] (standard normal) with a share `rho` ∈ [0, 1) of it common to the latent frames
    of each shot. Shots start at latent frame 0 and at every index in `cuts`; each draws its own shared
    part from `generator` (in shot order). `cutoff` (a fraction of the Nyquist frequency) shares only the
    spatial frequencies up to it; None shares all. A shot holding a latent frame index in `anchored` keeps
    its own noise (its shared part is still drawn, so the other shots' noise does not depend on which are
    anchored). rho = 0 returns `noise` unchanged and draws nothing."""
    if not 0.0 <= rho < 1.0:
        raise ValueError(f"noise correlation must be in [0, 1), got {rho!r}")
    check_cutoff(cutoff)
    if noise.dim() != 5:
        raise ValueError(f"video noise must be [B, C, F, h, w], got shape {tuple(noise.shape)}")
    if rho == 0.0:
        return noise
    frames = noise.shape[2]
    starts = sorted({0, *(int(c) for c in cuts if 0 < c < frames)})
    out = noise.clone()
    for start, end in zip(starts, [*starts[1:], frames], strict=True):
        shape = (*noise.shape[:2], 1, *noise.shape[3:])
        shared = torch.randn(shape, generator=generator, device=noise.device, dtype=noise.dtype)
        if not any(start <= int(a) < end for a in anchored):
            out[:, :, start:end] = math.sqrt(rho) * shared + math.sqrt(1.0 - rho) * noise[:, :, start:end]
    if cutoff is None or cutoff >= 1.0:
        return out
    return noise + low_band(out - noise, cutoff)  # P(mixed) + (I − P)(noise)


def shot_correlated_batch(noise: Tensor, rho: float, cuts: Tensor, generator: torch.Generator | None = None,
                          cutoff: float | None = None, anchored: Tensor | None = None) -> Tensor:
    """`shot_correlated` for a batch whose samples cut in different places: `cuts` [B, F] bool marks the
    first latent frame of each shot after the first (as `train.steps.shot_conditioning` gives them);
    `anchored` [B, F] bool the clean latents each sample is given (its shots keep their own noise, as at
    sampling time)."""
    shape = (noise.shape[0], noise.shape[2])
    if cuts.shape != shape or (anchored is not None and anchored.shape != shape):
        raise ValueError(f"cuts and anchored must be [B, F] = {shape}, got {tuple(cuts.shape)}"
                         f"{'' if anchored is None else f' and {tuple(anchored.shape)}'}")
    if rho == 0.0:
        return shot_correlated(noise, rho, cutoff=cutoff)
    clean = [[] if anchored is None else anchored[i].nonzero().flatten().tolist() for i in range(shape[0])]
    return torch.cat([shot_correlated(noise[i : i + 1], rho, cuts[i].nonzero().flatten().tolist(), generator, cutoff,
                                      clean[i]) for i in range(shape[0])])
