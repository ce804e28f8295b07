"""World clips as dataset shards that a PyTorch DataLoader can stream.

Format (WebDataset convention, readable with nothing but `tarfile`): `DIR/shard-00000.tar`, ... each holding
`clips_per_shard` samples; a sample is two members sharing a key (`{seed:09d}`):

- `{key}.mp4`  — the clip exactly as users see it: H.264 video + AAC audio (phonofilm.media.write_mp4);
- `{key}.json` — `{"caption": str, "seed": int, "truth": GroundTruth.to_dict()}`.

`DIR/index.json` lists the shards, the render settings and the seed range, so a dataset is reproducible:
re-rendering seed s with the same settings gives bit-identical frames and audio.
"""

from __future__ import annotations

import io
import json
import multiprocessing as mp
import os
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from phonofilm.media import read_mp4, write_mp4
from phonofilm.world.make import make_clip_from_seed, validate_request


@dataclass(frozen=True)
class RenderSettings:
    seconds: float = 4.0
    width: int = 128
    height: int = 72
    fps: float = 16.0
    sample_rate: int = 16000
    channels: int = 2


@dataclass(frozen=True)
class Sample:
    """One decoded sample: frames uint8 [T,H,W,3], audio float32 [C,S], caption, and raw truth dict."""

    key: str
    frames: Any
    audio: Any
    fps: float
    sample_rate: int
    caption: str
    truth: dict[str, Any]


def _render_shard(job: tuple[Path, list[int], RenderSettings]) -> int:
    path, seeds, settings = job
    tmp = path.with_suffix(".tar.partial")
    with tarfile.open(tmp, "w") as tar, tempfile.TemporaryDirectory() as td:
        for seed in seeds:
            clip = make_clip_from_seed(seed, **asdict(settings))
            key = f"{seed:09d}"
            mp4 = Path(td) / f"{key}.mp4"
            write_mp4(mp4, clip.frames, clip.fps, clip.audio, clip.sample_rate, {"comment": clip.caption})
            tar.add(mp4, arcname=f"{key}.mp4")
            meta = {"caption": clip.caption, "seed": seed, "truth": clip.truth.to_dict()}
            _add_bytes(tar, f"{key}.json", json.dumps(meta).encode())
    os.replace(tmp, path)  # a shard appears only when complete
    return len(seeds)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0  # reproducible archives
    tar.addfile(info, io.BytesIO(data))


def write_dataset(
    out: str | Path,
    count: int,
    seed_start: int = 0,
    clips_per_shard: int = 64,
    workers: int = 1,
    settings: RenderSettings = RenderSettings(),
    progress: bool = True,
) -> list[Path]:
    """Render `count` clips (seeds seed_start, seed_start+1, ...) into tar shards under `out`."""
    if count <= 0:
        raise ValueError(f"count must be positive, got {count}")
    if clips_per_shard <= 0:
        raise ValueError(f"clips_per_shard must be positive, got {clips_per_shard}")
    if workers <= 0:
        raise ValueError(f"workers must be positive, got {workers}")
    validate_request(settings.width, settings.height, settings.fps, settings.seconds,
                     settings.sample_rate, settings.channels)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    seeds = list(range(seed_start, seed_start + count))
    jobs = [
        (out / f"shard-{i // clips_per_shard:05d}.tar", seeds[i : i + clips_per_shard], settings)
        for i in range(0, count, clips_per_shard)
    ]
    bar = tqdm(total=count, unit="clip", desc="rendering", disable=not progress)
    if workers == 1:
        for job in jobs:
            bar.update(_render_shard(job))
    else:
        with mp.get_context("spawn").Pool(workers) as pool:
            for n in pool.imap_unordered(_render_shard, jobs):
                bar.update(n)
    bar.close()
    index = {
        "format": "phonofilm-world-shards/1",
        "shards": [j[0].name for j in jobs],
        "count": count,
        "seed_start": seed_start,
        "settings": asdict(settings),
    }
    (out / "index.json").write_text(json.dumps(index, indent=2))
    return [j[0] for j in jobs]


def list_shards(root: str | Path) -> list[Path]:
    """Shards of a dataset directory (from index.json when present, else every *.tar)."""
    root = Path(root)
    index = root / "index.json"
    if index.exists():
        return [root / name for name in json.loads(index.read_text())["shards"]]
    shards = sorted(root.glob("*.tar"))
    if not shards:
        raise FileNotFoundError(f"no shards (*.tar) in {root}")
    return shards


def iter_shard(path: str | Path) -> Iterator[Sample]:
    """Decode the samples of one shard in order."""
    with tarfile.open(path, "r") as tar, tempfile.TemporaryDirectory() as td:
        members: dict[str, dict[str, tarfile.TarInfo]] = {}
        for m in tar.getmembers():
            key, _, ext = m.name.partition(".")
            members.setdefault(key, {})[ext] = m
        for key in sorted(members):
            parts = members[key]
            if "mp4" not in parts or "json" not in parts:
                raise ValueError(f"{path}: sample {key!r} lacks its .mp4 or .json member")
            meta = json.loads(tar.extractfile(parts["json"]).read())
            mp4 = Path(td) / f"{key}.mp4"
            mp4.write_bytes(tar.extractfile(parts["mp4"]).read())
            media = read_mp4(mp4)
            mp4.unlink()
            yield Sample(key, media.frames, media.audio, media.fps, media.sample_rate or 0,
                         meta["caption"], meta["truth"])
