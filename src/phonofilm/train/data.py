"""A PyTorch stream of world clips from tar shards on disk (`phonofilm world dataset`).

An `IterableDataset` that splits shards across DataLoader workers and distributed ranks, so
`DataLoader(ShardStream(dir), num_workers=K)` never yields a sample twice within an epoch. Training
renders clips online instead, in bucketed batches (`train/batches.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import IterableDataset

from phonofilm.train.batches import reader_slot
from phonofilm.world.dataset import iter_shard, list_shards


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
        index, count = reader_slot()
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
