"""Evaluation during training: the EMA model answers a few held-out benchmark prompts, `phonofilm.eval`
scores them, and the means land in log.jsonl and in the checkpoint's training record."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import torch

from phonofilm.models.system import System

# one cheap prompt per capability the base model has; cameo needs a reference encoder
CAPABILITIES = ("physics", "effects_sync", "dialogue", "styles")
HEADLINE = ("av_offset_ms", "av_recall", "lip_sync_correlation", "prompt_adherence", "gravity_error",
            "style_match")


def _swap(module: torch.nn.Module, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Load `state` into `module`; return what it held before."""
    before = {k: v.detach().clone() for k, v in module.state_dict().items()}
    module.load_state_dict({k: v.to(before[k].dtype) for k, v in state.items()})
    return before


@torch.no_grad()
def periodic_eval(system: System, ema: dict[str, torch.Tensor], per_capability: int = 1,
                  steps: int = 8, size: tuple[int, int] | None = None) -> dict[str, float]:
    """Mean of the headline metrics over `per_capability` prompts of each capability (EMA weights)."""
    from phonofilm.eval.runner import per_capability as pick
    from phonofilm.eval.suite import load_clip_dir, load_suite, score
    from phonofilm.pipeline.generate import Pipeline

    prompts = [p for cap in CAPABILITIES for p in pick(load_suite(cap), per_capability)]
    if size is not None:
        prompts = [p.__class__(**{**p.__dict__, "width": size[0], "height": size[1]}) for p in prompts]
    was_training = system.transformer.training
    system.transformer.eval()
    before = _swap(system.transformer, ema)
    try:
        pipe = Pipeline(system, {"train_config": "periodic-eval"}, "ema", str(next(system.parameters()).device))
        with tempfile.TemporaryDirectory() as td:
            from phonofilm.eval.runner import generate_suite

            generate_suite(prompts, pipe, Path(td), steps=steps)
            results = [score(item) for item in load_clip_dir(Path(td))]
    finally:
        _swap(system.transformer, before)
        system.transformer.train(was_training)
    out = {}
    for name in HEADLINE:
        vals = [r.metrics.get(name, math.nan) for r in results]
        vals = [v for v in vals if np.isfinite(v)]
        if vals:
            out[f"eval_{name}"] = round(float(np.mean(vals)), 4)
    return out
