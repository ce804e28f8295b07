"""Few-step mode: shortcut-model self-distillation of the joint transformer (Frans et al., 2024).

The transformer already embeds a step size d next to the noise level t (zero-initialised, so d = 0 is
plain flow matching). This stage teaches it the average velocity over a step of size 2d from two of its
own steps of size d — a self-consistency target that needs no teacher model:

    v1 = f(x_t, t, d);  x' = x_t − d·v1;  v2 = f(x', t − d, d);  target for f(x_t, t, 2d) = (v1 + v2) / 2

Half of every batch keeps the flow-matching target at d = 0, which anchors the smallest steps. After this
stage the `shortcut` sampler makes a clip in 2–4 steps instead of 12–24.
"""

from __future__ import annotations

import torch

from phonofilm.diffusion.flow import condition_dropout, flow_loss, noise_latents, velocity_target
from phonofilm.diffusion.noise import shot_correlated_batch
from phonofilm.models.system import System
from phonofilm.models.text import TextEncoder
from phonofilm.models.transformer import ModalityInput
from phonofilm.train.config import TrainConfig
from phonofilm.train.optim import optimizer_step
from phonofilm.train.steps import autocast, encode_latents, shot_conditioning

LEVELS = 7  # 2d ∈ {1, 1/2, ..., 1/64}


def _grid_times(d2: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """A noise level on the grid of step 2d: t ∈ {2d, 4d, ..., 1} (so t − 2d ≥ 0)."""
    slots = torch.round(1.0 / d2)
    u = torch.rand(d2.shape, generator=gen, device=d2.device)
    return (torch.floor(u * slots) + 1) * d2


def shortcut_step(system: System, transformer: torch.nn.Module, text_encoder: TextEncoder,
                  opt: torch.optim.Optimizer, batch: dict, cfg: TrainConfig, gen: torch.Generator,
                  device: torch.device) -> dict[str, float]:
    """One step: first half of the batch flow matching (d = 0), second half self-consistency (2d)."""
    zv, za = encode_latents(system, batch, device)
    b, f = zv.shape[0], zv.shape[2]
    half = b // 2
    text = text_encoder.encode(batch["captions"]).to(device).drop(*condition_dropout(b, gen))
    shot_ids, cuts = shot_conditioning(batch["shots"].to(device), f, system.config.layout)
    nv = shot_correlated_batch(torch.randn(zv.shape, generator=gen, device=device), cfg.noise_correlation, cuts, gen)
    na = torch.randn(za.shape, generator=gen, device=device)
    level = torch.randint(0, LEVELS, (b,), generator=gen, device=device).float()
    d2 = torch.where(torch.arange(b, device=device) < half, torch.zeros(b, device=device), 2.0 ** -level)
    t = torch.where(d2 > 0, _grid_times(d2.clamp(min=1 / 64), gen),
                    torch.rand(b, generator=gen, device=device).clamp(1e-3, 1.0))
    xv, xa = noise_latents(zv, nv, t), noise_latents(za, na, t)

    def run(xv_: torch.Tensor, xa_: torch.Tensor, t_: torch.Tensor, d_: torch.Tensor):
        with autocast(device, cfg.precision):
            return transformer(ModalityInput(xv_, None, shot_ids, cuts), ModalityInput(xa_), text, t_,
                               step_size=d_)

    target_v, target_a = velocity_target(zv, nv), velocity_target(za, na)
    with torch.no_grad():  # the self-consistency target from two half steps
        d = d2 / 2
        v1v, v1a = run(xv, xa, t, d)
        dv, da = d.view(-1, 1, 1, 1, 1), d.view(-1, 1, 1)
        v2v, v2a = run(xv - dv * v1v.float(), xa - da * v1a.float(), t - d, d)
        sc = (d2 > 0)
        target_v = torch.where(sc.view(-1, 1, 1, 1, 1), (v1v.float() + v2v.float()) / 2, target_v)
        target_a = torch.where(sc.view(-1, 1, 1), (v1a.float() + v2a.float()) / 2, target_a)
    pv, pa = run(xv, xa, t, d2)
    loss, parts = flow_loss({"video": pv, "audio": pa}, {"video": target_v, "audio": target_a})
    grad = optimizer_step(transformer, opt, loss, cfg.distill.max_grad_norm)
    return {"loss": float(loss.detach()), "grad_norm": grad,
            **{f"loss_{k}": float(v.detach()) for k, v in parts.items()}}
