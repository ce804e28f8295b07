"""Self-describing checkpoints: safetensors shards (≤ 16 MiB each) carrying config and training record.

A checkpoint is a directory:

    model-00001-of-00003.safetensors   tensors named "<module>.<parameter>", metadata on every shard:
    ...                                 {"format": FORMAT, "config": <json>, "record": <json>, "shard": "1/3"}
    checkpoint.json                     the same config and record plus the tensor → shard map (for people)

Loading reads only safetensors (never pickle) and refuses anything else with a message that says why.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

FORMAT = "phonofilm-checkpoint/1"
MAX_SHARD_BYTES = 16 * 1024 * 1024 - 64 * 1024  # leave room for the header
INDEX = "checkpoint.json"


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded, with the reason in words."""


@dataclass(frozen=True)
class Checkpoint:
    config: dict[str, Any]
    record: dict[str, Any]
    tensors: dict[str, torch.Tensor]

    def state_dict(self, module: str) -> dict[str, torch.Tensor]:
        """Tensors of one module ("transformer", "video_vae", ...) with the prefix stripped."""
        prefix = module + "."
        out = {k[len(prefix) :]: v for k, v in self.tensors.items() if k.startswith(prefix)}
        if not out:
            have = sorted({k.split(".", 1)[0] for k in self.tensors})
            raise CheckpointError(f"checkpoint has no module {module!r}; it has {have}")
        return out

    @property
    def float_dtype(self) -> torch.dtype | None:
        """torch.float16 when the weights were stored in half precision (as shipped), else None (as trained)."""
        half = any(v.dtype == torch.float16 for v in self.tensors.values())
        return torch.float16 if half else None


def _shard_plan(tensors: Mapping[str, torch.Tensor], max_bytes: int) -> list[list[str]]:
    shards: list[list[str]] = [[]]
    size = 0
    for name, t in tensors.items():
        nbytes = t.numel() * t.element_size()
        if nbytes > max_bytes:
            raise CheckpointError(f"tensor {name} ({nbytes} bytes) exceeds the shard limit {max_bytes}; "
                                  "pass a larger max_shard_bytes (tensors are never split)")
        if size + nbytes > max_bytes and shards[-1]:
            shards.append([])
            size = 0
        shards[-1].append(name)
        size += nbytes
    return shards


def save_checkpoint(
    directory: str | Path,
    modules: Mapping[str, torch.nn.Module | Mapping[str, torch.Tensor]],
    config: Mapping[str, Any],
    record: Mapping[str, Any],
    dtype: torch.dtype | None = None,
    max_shard_bytes: int = MAX_SHARD_BYTES,
) -> Path:
    """Write `modules` (name → module or state dict) as sharded safetensors; returns the directory.

    `dtype` casts floating tensors (e.g. torch.float16 to halve the shipped size). The write is atomic
    per directory: shards go to a temporary sibling that replaces `directory` when complete.
    """
    directory = Path(directory)
    tensors: dict[str, torch.Tensor] = {}
    for mname, mod in modules.items():
        sd = mod.state_dict() if isinstance(mod, torch.nn.Module) else mod
        for k, v in sd.items():
            v = v.detach().to("cpu")
            if dtype is not None and v.is_floating_point():
                v = v.to(dtype)
            tensors[f"{mname}.{k}"] = v.contiguous()
    plan = _shard_plan(tensors, max_shard_bytes)
    tmp = directory.with_name(directory.name + ".partial")
    if tmp.exists():
        _rmtree(tmp)
    tmp.mkdir(parents=True)
    meta_common = {"format": FORMAT, "config": json.dumps(config), "record": json.dumps(record)}
    weight_map: dict[str, str] = {}
    for i, names in enumerate(plan, start=1):
        fname = f"model-{i:05d}-of-{len(plan):05d}.safetensors"
        save_file({n: tensors[n] for n in names}, str(tmp / fname),
                  metadata={**meta_common, "shard": f"{i}/{len(plan)}"})
        weight_map.update(dict.fromkeys(names, fname))
    index = {"format": FORMAT, "config": config, "record": record, "weight_map": weight_map}
    (tmp / INDEX).write_text(json.dumps(index, indent=2))
    if directory.exists():
        old = directory.with_name(directory.name + ".old")
        if old.exists():
            _rmtree(old)
        os.replace(directory, old)
        os.replace(tmp, directory)
        _rmtree(old)
    else:
        directory.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, directory)
    return directory


def _rmtree(path: Path) -> None:
    for p in sorted(path.rglob("*"), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    path.rmdir()


def _shard_files(path: Path) -> list[Path]:
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if path.is_file():
        if path.suffix != ".safetensors":
            raise CheckpointError(
                f"{path} is not a safetensors file: phonofilm loads weights only from safetensors "
                "(pickle-based .pt/.bin/.ckpt files are refused because loading them can run code)")
        return [path]
    files = sorted(path.glob("*.safetensors"))
    others = [p.name for p in path.iterdir() if p.suffix in {".pt", ".pth", ".bin", ".ckpt", ".pkl"}]
    if not files:
        extra = f" (found {others}: pickle formats are refused)" if others else ""
        raise CheckpointError(f"no .safetensors files in checkpoint directory {path}{extra}")
    return files


def read_metadata(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config, record) of a checkpoint without loading its tensors."""
    files = _shard_files(Path(path))
    meta = _metadata(files[0])
    return json.loads(meta["config"]), json.loads(meta["record"])


def _metadata(file: Path) -> dict[str, str]:
    try:
        with safe_open(str(file), framework="pt") as f:
            meta = f.metadata() or {}
    except Exception as e:  # safetensors raises its own error types for corrupt headers
        raise CheckpointError(f"{file} is not a readable safetensors file: {e}") from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(
            f"{file} is a safetensors file but not a phonofilm checkpoint (metadata format "
            f"{meta.get('format')!r}, expected {FORMAT!r}); train one with `phonofilm train`")
    return meta


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> Checkpoint:
    """Load every shard of a checkpoint (a directory or a single .safetensors file)."""
    files = _shard_files(Path(path))
    config = record = None
    tensors: dict[str, torch.Tensor] = {}
    seen: set[str] = set()
    for file in files:
        meta = _metadata(file)
        total = int(meta.get("shard", "1/1").split("/")[1])
        if total != len(files):
            raise CheckpointError(f"checkpoint {path} is incomplete: {len(files)} of {total} shards present")
        seen.add(meta["shard"])
        config = config or json.loads(meta["config"])
        record = record or json.loads(meta["record"])
        with safe_open(str(file), framework="pt", device=str(device)) as f:
            for k in f.keys():  # noqa: SIM118 - safe_open is not a mapping
                tensors[k] = f.get_tensor(k)
    if len(seen) != len(files):
        raise CheckpointError(f"checkpoint {path} has duplicate shards: {sorted(seen)}")
    return Checkpoint(config=config or {}, record=record or {}, tensors=tensors)
