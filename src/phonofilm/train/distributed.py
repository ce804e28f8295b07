"""Distributed training without global state: a context object built from torchrun's environment.

`torchrun --nproc_per_node N -m phonofilm train ...` sets RANK / WORLD_SIZE / LOCAL_RANK; a plain run is
a world of one. Models are wrapped explicitly (`wrap`) — never monkey-patched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as tdist
from torch.nn.parallel import DistributedDataParallel


@dataclass
class Distributed:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    initialized: bool = False

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls, device: str = "auto") -> Distributed:
        """World from torchrun's variables (or a single process); picks the device for this rank."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
            raise ValueError(f"device must be auto, cpu or cuda[:N], got {device!r}")
        if device.startswith("cuda"):
            if not torch.cuda.is_available():
                raise ValueError("device cuda requested but no CUDA GPU is available")
            dev = torch.device("cuda", local if device == "cuda" else int(device.split(":")[1]))
            torch.cuda.set_device(dev)
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        else:
            dev = torch.device("cpu")
        return cls(rank, world, local, dev)

    def __enter__(self) -> Distributed:
        if self.world_size > 1 and not tdist.is_initialized():
            tdist.init_process_group("nccl" if self.device.type == "cuda" else "gloo",
                                     rank=self.rank, world_size=self.world_size)
            self.initialized = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.initialized:
            tdist.destroy_process_group()
            self.initialized = False

    def barrier(self) -> None:
        if self.initialized:
            tdist.barrier()


def wrap(module: torch.nn.Module, dist: Distributed, find_unused: bool = False) -> torch.nn.Module:
    """DistributedDataParallel around `module` in a multi-process world; the module itself otherwise."""
    if dist.world_size == 1:
        return module
    ids = [dist.device.index] if dist.device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids, find_unused_parameters=find_unused)
