"""PyTorch data streams of world clips: from tar shards on disk, or rendered online from seeds.

Both are `IterableDataset`s that split their work across DataLoader workers and distributed ranks, so
`DataLoader(ShardStream(dir), num_workers=K)` never yields a sample twice within an epoch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from phonofilm.world.dataset import RenderSettings, iter_shard, list_shards


def _partition() -> tuple[int, int]:
    """(index, count) of this reader among all ranks × dataloader workers."""
    rank, world = 0, 1
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
    info = get_worker_info()
    wid, nw = (info.id, info.num_workers) if info is not None else (0, 1)
    return rank * nw + wid, world * nw


def to_tensors(frames: np.ndarray, audio: np.ndarray, caption: str, **extra: Any) -> dict[str, Any]:
    """uint8 [T,H,W,3] → float [3,T,H,W] in [-1,1]; audio → float [C,S]."""
    video = torch.from_numpy(np.ascontiguousarray(frames)).permute(3, 0, 1, 2).float() / 127.5 - 1.0
    return {"video": video, "audio": torch.from_numpy(np.ascontiguousarray(audio)).float(),
            "caption": caption, **extra}


class ShardStream(IterableDataset):
    """Streams decoded samples from the tar shards written by `phonofilm world dataset`."""

    def __init__(self, root: str | Path, shuffle_seed: int | None = None, loop: bool = False):
        self.shards = list_shards(root)
        self.shuffle_seed = shuffle_seed
        self.loop = loop

    def __iter__(self) -> Iterator[dict[str, Any]]:
        index, count = _partition()
        epoch = 0
        while True:
            order = list(self.shards)
            if self.shuffle_seed is not None:
                np.random.default_rng(self.shuffle_seed + epoch).shuffle(order)
            for shard in order[index::count]:
                for s in iter_shard(shard):
                    yield to_tensors(s.frames, s.audio, s.caption, key=s.key)
            epoch += 1
            if not self.loop:
                return


class WorldStream(IterableDataset):
    """Renders world clips online from seeds seed_start + i·count + index (never the same seed twice)."""

    def __init__(self, settings: RenderSettings = RenderSettings(), seed_start: int = 0,
                 limit: int | None = None, **fixed: Any):
        self.settings = settings
        self.seed_start = seed_start
        self.limit = limit
        self.fixed = fixed

    def __iter__(self) -> Iterator[dict[str, Any]]:
        from phonofilm.world.make import make_clip_from_seed

        index, count = _partition()
        i = index
        while self.limit is None or i < self.limit:
            seed = self.seed_start + i
            clip = make_clip_from_seed(seed, **asdict(self.settings), **self.fixed)
            yield to_tensors(clip.frames, clip.audio, clip.caption, key=f"{seed:09d}")
            i += count
