"""ODE samplers for rectified flow, all with one signature (k-diffusion style):

    sampler(model_fn, x, sigmas, callback=None) -> x

x maps stream names ('video', 'audio') to latents and is integrated jointly, so both streams always
sit at the same noise level. sigmas [steps + 1] run from 1 (noise) to 0 (data); see
`flow.get_schedule`. model_fn(x, t, step_size=None) returns the velocity for every stream in x;
what the model is and how it is guided lives in the model_fn (guidance.py), not here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Protocol

import torch
from torch import Tensor

Latents = dict[str, Tensor]
Callback = Callable[[dict[str, Any]], None]


class ModelFn(Protocol):
    """Velocity of every stream at noise level t [B]; step_size [B] is the shortcut step d (None = 0)."""

    def __call__(self, x: Mapping[str, Tensor], t: Tensor, step_size: Tensor | None = None) -> Latents: ...


def get_noise(
    shapes: Mapping[str, tuple[int, ...]], seed: int, device: str | torch.device = "cpu"
) -> Latents:
    """Standard normal latents per stream from one seed (streams drawn in sorted-name order)."""
    generator = torch.Generator(device=device).manual_seed(seed)
    return {name: torch.randn(shapes[name], generator=generator, device=device) for name in sorted(shapes)}


def _batch_t(x: Mapping[str, Tensor], sigma: Tensor) -> Tensor:
    """The scalar noise level sigma as a [B] tensor matching the latents."""
    first = next(iter(x.values()))
    return sigma.to(first.device, first.dtype).expand(first.shape[0])


def _step(x: Mapping[str, Tensor], v: Mapping[str, Tensor], dt: Tensor) -> Latents:
    """x + dt·v for every stream."""
    return {name: x[name] + dt.to(x[name].dtype) * v[name] for name in x}


@torch.no_grad()
def euler(
    model_fn: ModelFn, x: Mapping[str, Tensor], sigmas: Tensor, callback: Callback | None = None
) -> Latents:
    """First-order (Euler) integration of the flow ODE along `sigmas`."""
    x = dict(x)
    for i in range(len(sigmas) - 1):
        t, t_next = sigmas[i], sigmas[i + 1]
        v = model_fn(x, _batch_t(x, t))
        x = _step(x, v, t_next - t)
        if callback is not None:
            callback({"i": i, "t": t, "t_next": t_next, "x": x, "v": v})
    return x


@torch.no_grad()
def heun(
    model_fn: ModelFn, x: Mapping[str, Tensor], sigmas: Tensor, callback: Callback | None = None
) -> Latents:
    """Second-order Heun: an Euler predictor, then the mean of both slopes; the step to t = 0 stays Euler."""
    x = dict(x)
    for i in range(len(sigmas) - 1):
        t, t_next = sigmas[i], sigmas[i + 1]
        dt = t_next - t
        v = model_fn(x, _batch_t(x, t))
        x_pred = _step(x, v, dt)
        if t_next > 0:  # the velocity at t = 0 is the data itself: no useful second slope there
            v_next = model_fn(x_pred, _batch_t(x, t_next))
            v = {name: (v[name] + v_next[name]) / 2 for name in v}
            x_pred = _step(x, v, dt)
        x = x_pred
        if callback is not None:
            callback({"i": i, "t": t, "t_next": t_next, "x": x, "v": v})
    return x


@torch.no_grad()
def shortcut(
    model_fn: ModelFn, x: Mapping[str, Tensor], sigmas: Tensor, callback: Callback | None = None
) -> Latents:
    """Few-step sampling: Euler that tells the model each step's size d (shortcut models).

    A model trained with d = 0 only behaves exactly as under `euler`; after shortcut/consistency
    distillation it predicts the average velocity over the step, so 1-4 steps suffice.
    """
    x = dict(x)
    for i in range(len(sigmas) - 1):
        t, t_next = sigmas[i], sigmas[i + 1]
        v = model_fn(x, _batch_t(x, t), step_size=_batch_t(x, t - t_next))
        x = _step(x, v, t_next - t)
        if callback is not None:
            callback({"i": i, "t": t, "t_next": t_next, "x": x, "v": v})
    return x


SAMPLERS: Mapping[str, Callable[..., Latents]] = MappingProxyType(
    {"euler": euler, "heun": heun, "shortcut": shortcut}
)
