"""Checkpoints: sharded safetensors with config + record inside; anything else is refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from phonofilm.models.checkpoint import CheckpointError, load_checkpoint, read_metadata, save_checkpoint


def test_round_trip_shards_and_metadata(tmp_path: Path) -> None:
    torch.manual_seed(0)
    big = torch.nn.Linear(256, 512)  # 512 KiB of fp32
    small = torch.nn.Conv1d(4, 8, 3)
    big2 = torch.nn.Linear(256, 512)
    d = save_checkpoint(tmp_path / "ck", {"big": big, "big2": big2, "small": small}, {"preset": "x", "dim": 512},
                        {"steps": 7}, max_shard_bytes=600_000)
    shards = sorted(d.glob("*.safetensors"))
    assert len(shards) >= 2 and all(p.stat().st_size <= 700_000 for p in shards)
    ck = load_checkpoint(d)
    assert ck.config == {"preset": "x", "dim": 512} and ck.record == {"steps": 7}
    assert torch.equal(ck.state_dict("big")["weight"], big.weight)
    assert torch.equal(ck.state_dict("small")["bias"], small.bias)
    assert read_metadata(d) == ({"preset": "x", "dim": 512}, {"steps": 7})
    with pytest.raises(CheckpointError, match="no module 'nope'"):
        ck.state_dict("nope")


def test_half_precision_export(tmp_path: Path) -> None:
    lin = torch.nn.Linear(8, 8)
    ck = load_checkpoint(save_checkpoint(tmp_path / "h", {"m": lin}, {}, {}, dtype=torch.float16))
    assert ck.tensors["m.weight"].dtype == torch.float16


def test_refuses_pickle_and_foreign_files(tmp_path: Path) -> None:
    pt = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, pt)
    with pytest.raises(CheckpointError, match="only from safetensors"):
        load_checkpoint(pt)
    d = tmp_path / "dir"
    d.mkdir()
    torch.save({"w": torch.zeros(2)}, d / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="pickle formats are refused"):
        load_checkpoint(d)
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2)}, str(tmp_path / "foreign.safetensors"))
    with pytest.raises(CheckpointError, match="not a phonofilm checkpoint"):
        load_checkpoint(tmp_path / "foreign.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\x00garbage")
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        load_checkpoint(tmp_path / "junk.safetensors")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing")


def test_incomplete_checkpoint_detected(tmp_path: Path) -> None:
    d = save_checkpoint(tmp_path / "ck", {"a": torch.nn.Linear(256, 256), "b": torch.nn.Linear(256, 256)},
                        {}, {}, max_shard_bytes=300_000)
    sorted(d.glob("*.safetensors"))[-1].unlink()
    with pytest.raises(CheckpointError, match="incomplete"):
        load_checkpoint(d)
