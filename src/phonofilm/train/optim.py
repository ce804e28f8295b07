"""The one optimisation step every trainer takes: zero grads, backward, clip, step."""

from __future__ import annotations

import torch


def optimizer_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, loss: torch.Tensor,
                   max_grad_norm: float) -> float:
    """Zero grads, backward, clip to `max_grad_norm`, step; returns the gradient norm before clipping."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    return float(grad_norm)
