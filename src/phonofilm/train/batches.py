"""Bucketed training batches: every batch is one (size, length) bucket, so no padding is ever trained on.

Three sources, one batch layout:

    {"video": uint8 [B, T, H, W, 3], "audio": float32 [B, 2, T·1000], "captions": list[str],
     "shots": int64 [B, T]}   (16 fps, 16 kHz: exactly 1000 samples per frame)

- `WorldBatches` renders clips online; batch k is a pure function of (seed, k, rank), so a run resumed
  at step k sees exactly the batches it would have seen.
- `ClipFolderBatches` conforms your own mp4 files (+ .txt captions) or world tar shards to the buckets.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from phonofilm.media.conform import FPS, SAMPLE_RATE, conform
from phonofilm.train.cameos import collate_cameos, pick_cameos
from phonofilm.train.config import DataConfig

__all__ = ["FPS", "SAMPLE_RATE", "ClipFolderBatches", "WorldBatches", "conform", "make_batches", "reader_slot"]


def _rank() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def _worker() -> tuple[int, int]:
    info = get_worker_info()
    return (info.id, info.num_workers) if info is not None else (0, 1)


def reader_slot() -> tuple[int, int]:
    """(index, count) of this reader among all distributed ranks × DataLoader workers."""
    wid, nw = _worker()
    rank, world = _rank()
    return rank * nw + wid, world * nw


def pick_bucket(data: DataConfig, rng: np.random.Generator, frames: int | None = None) -> tuple[int, int, int]:
    """(width, height, frames) of one batch."""
    w, h = data.sizes[rng.choice(len(data.sizes), p=np.asarray(data.size_weights) / sum(data.size_weights))]
    if frames is None:
        p = np.asarray(data.frame_weights) / sum(data.frame_weights)
        frames = int(data.frames[rng.choice(len(data.frames), p=p)])
    return int(w), int(h), frames


def collate(samples: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "video": torch.from_numpy(np.stack([s["video"] for s in samples])),
        "audio": torch.from_numpy(np.stack([s["audio"] for s in samples]).astype(np.float32)),
        "captions": [s["caption"] for s in samples],
        "shots": torch.from_numpy(np.stack([s["shots"] for s in samples]).astype(np.int64)),
        "cameos": collate_cameos([s.get("cameos", []) for s in samples]),
    }


class WorldBatches(IterableDataset):
    """Online world clips. Steps are dealt to DataLoader workers round-robin, which the loader yields
    back in order, so the batch sequence does not depend on the number of workers."""

    def __init__(self, data: DataConfig, batch_size: int, start_step: int = 0, frames: int | None = None,
                 seed: int = 0):
        self.data, self.batch_size, self.start_step, self.frames, self.seed = data, batch_size, start_step, frames, seed

    def batch(self, step: int) -> dict[str, Any]:
        """Batch number `step` of this rank."""
        rank, world = _rank()
        rng = np.random.default_rng([self.seed, step])
        w, h, t = pick_bucket(self.data, rng, self.frames)
        samples = []
        for i in range(self.batch_size):
            seed = self.data.seed_start + (step * world + rank) * self.batch_size + i
            clip = _render(seed, t / FPS, w, h)
            cameos = pick_cameos(rng, [c.identity for c in clip.truth.scene.characters], self.data)
            samples.append({"video": clip.frames, "audio": clip.audio, "caption": clip.caption,
                            "shots": clip.truth.shot, "cameos": cameos})
        return collate(samples)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        wid, nw = _worker()
        for step in itertools.count(self.start_step):
            if step % nw == wid:
                yield self.batch(step)


def _render(seed: int, seconds: float, width: int, height: int):
    """A world clip for `seed`; a seed whose random scene cannot be placed moves on deterministically."""
    from phonofilm.world.make import make_clip_from_seed

    for attempt in range(8):
        try:
            return make_clip_from_seed(seed + attempt * 1_000_000_007, seconds, width, height, FPS, SAMPLE_RATE, 2)
        except ValueError:
            if attempt == 7:
                raise
    raise AssertionError("unreachable")


def _folder_items(root: Path) -> Iterator[tuple[np.ndarray, float, np.ndarray | None, int | None, str]]:
    """(frames, fps, audio, sr, caption) of every mp4 with a .txt caption beside it, sorted."""
    from phonofilm.media import read_mp4

    for mp4 in sorted(root.rglob("*.mp4")):
        txt = mp4.with_suffix(".txt")
        if not txt.exists():
            continue
        m = read_mp4(mp4)
        yield m.frames, m.fps, m.audio, m.sample_rate, txt.read_text().strip()


def _shard_items(root: Path) -> Iterator[tuple[np.ndarray, float, np.ndarray | None, int | None, str]]:
    from phonofilm.world.dataset import iter_shard, list_shards

    for shard in list_shards(root):
        for s in iter_shard(shard):
            yield s.frames, s.fps, s.audio, s.sample_rate, s.caption


class ClipFolderBatches(IterableDataset):
    """Batches from files on disk: source "folder:DIR" (mp4 + .txt) or "shards:DIR" (world shards).

    Each clip goes to the bucket nearest its aspect ratio; clips shorter than a bucket are padded by
    holding their last frame. Loops forever, reshuffling the bucket choice each epoch.
    """

    def __init__(self, data: DataConfig, batch_size: int, frames: int | None = None, seed: int = 0):
        kind, _, path = data.source.partition(":")
        if kind not in ("folder", "shards") or not path:
            raise ValueError(f"data source {data.source!r}: expected 'folder:DIR' or 'shards:DIR'")
        self.kind, self.root = kind, Path(path)
        if not self.root.is_dir():
            raise FileNotFoundError(f"training data directory {self.root} does not exist")
        self.data, self.batch_size, self.frames, self.seed = data, batch_size, frames, seed

    def __iter__(self) -> Iterator[dict[str, Any]]:
        me, total = reader_slot()
        buckets: dict[tuple[int, int, int], list[dict[str, Any]]] = {}
        for epoch in itertools.count():
            items = _folder_items(self.root) if self.kind == "folder" else _shard_items(self.root)
            found = False
            for i, (frames, fps, audio, sr, caption) in enumerate(items):
                if i % total != me:
                    continue
                found = True
                rng = np.random.default_rng([self.seed, epoch, i])
                aspect = frames.shape[2] / frames.shape[1]
                sizes = sorted(self.data.sizes, key=lambda s: abs(np.log(s[0] / s[1] / aspect)))
                _, _, t = pick_bucket(self.data, rng, self.frames)
                w, h = sizes[0]
                video, wave = conform(frames, fps, audio, sr, w, h, t)
                bucket = buckets.setdefault((w, h, t), [])
                bucket.append({"video": video, "audio": wave, "caption": caption,
                               "shots": np.zeros(t, np.int64)})
                if len(bucket) == self.batch_size:
                    yield collate(bucket)
                    buckets[(w, h, t)] = []
            if not found:
                raise FileNotFoundError(f"no usable clips under {self.root} for reader {me} of {total}")


def make_batches(data: DataConfig, batch_size: int, start_step: int = 0, frames: int | None = None,
                 seed: int = 0) -> IterableDataset:
    """The batch stream for `data.source`."""
    if data.source == "world":
        return WorldBatches(data, batch_size, start_step, frames, seed)
    return ClipFolderBatches(data, batch_size, frames, seed + start_step)
