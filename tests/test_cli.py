"""The `phonofilm` command driven as a user would: real processes, real files decoded back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from torch.utils.data import DataLoader

from phonofilm.media import read_mp4
from phonofilm.train.data import ShardStream

EXE = [sys.executable, "-m", "phonofilm"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*EXE, *args], capture_output=True, text=True, timeout=300)


def test_help_explains_itself() -> None:
    r = run("--help")
    assert r.returncode == 0
    assert "video" in r.stdout.lower() and "world" in r.stdout
    r = run("world", "render", "--help")
    assert r.returncode == 0 and "--seed" in r.stdout and "--size" in r.stdout


def test_world_render_writes_mp4_and_truth(tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    r = run("world", "render", "--seed", "4", "--out", str(out), "--size", "160x90", "--fps", "12",
            "--seconds", "2", "--style", "anime")
    assert r.returncode == 0, r.stderr
    media = read_mp4(out)
    assert media.frames.shape[1:] == (90, 160, 3)
    assert abs(media.frames.shape[0] - 24) <= 1
    assert media.audio is not None and media.audio.shape[0] == 2
    assert abs(media.audio.shape[1] / media.sample_rate - 2.0) < 0.05
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["truth"]["scene"]["style"] == "anime" and meta["caption"]
    assert "anime" in meta["caption"].lower()


def test_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    for args, word in [
        (("--size", "0x72"), "width"),
        (("--size", "10000x10000"), "4096"),
        (("--size", "big"), "WIDTHxHEIGHT"),
        (("--seconds", "-2"), "seconds"),
        (("--style", "watercolor"), "style"),
    ]:
        r = run("world", "render", "--out", str(tmp_path / "x.mp4"), *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and word in r.stderr, (args, r.stderr)
    assert not (tmp_path / "x.mp4").exists()


def test_dataset_shards_stream_through_dataloader(tmp_path: Path) -> None:
    r = run("world", "dataset", "--count", "4", "--out", str(tmp_path / "ds"), "--clips-per-shard", "2", "--workers", "2",
            "--size", "64x36", "--fps", "8", "--seconds", "1")
    assert r.returncode == 0, r.stderr
    loader = DataLoader(ShardStream(tmp_path / "ds"), batch_size=None, num_workers=2)
    samples = list(loader)
    assert sorted(s["key"] for s in samples) == [f"{i:09d}" for i in range(4)]
    for s in samples:
        assert s["video"].shape[0] == 3 and s["video"].shape[2:] == (36, 64)
        assert float(s["video"].min()) >= -1.0 and float(s["video"].max()) <= 1.0
        assert s["audio"].shape[0] == 2 and s["caption"]
    assert np.isfinite(samples[0]["audio"].numpy()).all()
