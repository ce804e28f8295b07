"""Exact resume: every tensor of a run (weights, EMA, optimizer moments, RNG) in safetensors, the rest in JSON.

No pickle anywhere: optimizer states are flattened to named tensors plus a JSON skeleton.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

TENSORS = "state.safetensors"
META = "state.json"


def _flatten_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor]) -> dict:
    sd = opt.state_dict()
    skeleton: dict[str, Any] = {"param_groups": sd["param_groups"], "state": {}}
    for pid, st in sd["state"].items():
        entry = {}
        for k, v in st.items():
            if torch.is_tensor(v):
                name = f"{prefix}.{pid}.{k}"
                tensors[name] = v.detach().cpu().contiguous()
                entry[k] = {"tensor": name}
            else:
                entry[k] = v
        skeleton["state"][str(pid)] = entry
    return skeleton


def _unflatten_optimizer(skeleton: dict, tensors: dict[str, torch.Tensor]) -> dict:
    state = {}
    for pid, entry in skeleton["state"].items():
        state[int(pid)] = {k: tensors[v["tensor"]] if isinstance(v, dict) and "tensor" in v else v
                           for k, v in entry.items()}
    return {"param_groups": skeleton["param_groups"], "state": state}


def save_state(directory: str | Path, modules: dict[str, torch.nn.Module | dict[str, torch.Tensor]],
               optimizers: dict[str, torch.optim.Optimizer], meta: dict[str, Any],
               generators: dict[str, torch.Generator]) -> None:
    """Write the full training state atomically (temp dir + rename)."""
    directory = Path(directory)
    tensors: dict[str, torch.Tensor] = {}
    for name, mod in modules.items():
        sd = mod.state_dict() if isinstance(mod, torch.nn.Module) else mod
        for k, v in sd.items():
            tensors[f"model.{name}.{k}"] = v.detach().cpu().contiguous()
    opt_meta = {name: _flatten_optimizer(f"opt.{name}", o, tensors) for name, o in optimizers.items()}
    for name, g in generators.items():
        tensors[f"rng.{name}"] = g.get_state().cpu()
    tmp = directory.with_name(directory.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(tmp / TENSORS))
    (tmp / META).write_text(json.dumps({**meta, "optimizers": opt_meta}, indent=1))
    if directory.exists():
        for p in directory.iterdir():
            p.unlink()
        directory.rmdir()
    os.replace(tmp, directory)


def load_state(directory: str | Path, modules: dict[str, torch.nn.Module | dict[str, torch.Tensor]],
               optimizers: dict[str, torch.optim.Optimizer],
               generators: dict[str, torch.Generator]) -> dict[str, Any]:
    """Restore what `save_state` wrote into the given objects (in place); returns the JSON meta."""
    directory = Path(directory)
    tensors = load_file(str(directory / TENSORS))
    meta = json.loads((directory / META).read_text())
    for name, mod in modules.items():
        prefix = f"model.{name}."
        sd = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        if isinstance(mod, torch.nn.Module):
            mod.load_state_dict(sd)
        else:
            for k, v in sd.items():
                mod[k].copy_(v)
    for name, opt in optimizers.items():
        opt.load_state_dict(_unflatten_optimizer(meta["optimizers"][name], tensors))
    for name, g in generators.items():
        g.set_state(tensors[f"rng.{name}"])
    return meta


def has_state(directory: str | Path) -> bool:
    d = Path(directory)
    return (d / TENSORS).exists() and (d / META).exists()
