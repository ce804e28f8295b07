"""Cameo references for training batches: which recordings go with a clip, and how they are batched.

A clip with characters gets, with probability `DataConfig.cameo_p`, a recording of one of them (two,
sometimes, when two are there) and, with probability `cameo_distractor_p`, a recording of someone who
is *not* in the scene — the model must learn to ignore a cameo the caption never names. Recordings
come from `phonofilm.world.cameo` (another room, another line) and are cached per worker process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import torch

from phonofilm.models.reference import REFERENCE_FRAMES, REFERENCE_HEIGHT, REFERENCE_WIDTH
from phonofilm.train.config import DataConfig
from phonofilm.world.identities import IDENTITY_NAMES, NUM_IDENTITIES

TAKES = 3  # distinct recordings per identity: 192 in all, so each worker's cache ends up holding every one


@lru_cache(maxsize=TAKES * NUM_IDENTITIES)
def recording(identity: int, take: int) -> tuple[np.ndarray, np.ndarray]:
    """(video uint8 [T, H, W, 3], audio float32 [2, S]) of one world recording on the reference canvas."""
    from phonofilm.media.conform import conform
    from phonofilm.world.cameo import make_recording

    clip = make_recording(identity, take, REFERENCE_WIDTH, REFERENCE_HEIGHT)
    return conform(clip.frames, clip.fps, clip.audio, clip.sample_rate, REFERENCE_WIDTH, REFERENCE_HEIGHT,
                   REFERENCE_FRAMES)


def pick_cameos(rng: np.random.Generator, identities: list[int], data: DataConfig,
                max_cameos: int = 2) -> list[tuple[int, int]]:
    """[(identity, take)] for one clip whose characters have `identities`, in random slot order."""
    picks: list[tuple[int, int]] = []
    if identities and rng.random() < data.cameo_p:
        n = 2 if len(identities) > 1 and rng.random() < 0.3 else 1
        for i in rng.choice(len(identities), size=min(n, max_cameos), replace=False):
            picks.append((identities[int(i)], int(rng.integers(TAKES))))
    if len(picks) < max_cameos and rng.random() < data.cameo_distractor_p:
        others = [k for k in range(NUM_IDENTITIES) if k not in identities]
        picks.append((int(rng.choice(others)), int(rng.integers(TAKES))))
    order = rng.permutation(len(picks))
    return [picks[int(i)] for i in order]


def collate_cameos(per_sample: list[list[tuple[int, int]]]) -> dict[str, Any] | None:
    """Stack the recordings of a batch: video [M, T, H, W, 3], audio [M, 2, S], names [M],
    where [M, 2] = (sample, slot) of each; None when no sample has one."""
    where = [(b, k) for b, picks in enumerate(per_sample) for k in range(len(picks))]
    if not where:
        return None
    recs = [recording(*per_sample[b][k]) for b, k in where]
    return {
        "video": torch.from_numpy(np.stack([r[0] for r in recs])),
        "audio": torch.from_numpy(np.stack([r[1] for r in recs])),
        "names": [IDENTITY_NAMES[per_sample[b][k][0]] for b, k in where],
        "where": torch.tensor(where, dtype=torch.int64),
    }
