"""The whole generator as one checkpoint: saved, rebuilt from its own metadata, mismatches refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from phonofilm.models.checkpoint import CheckpointError, save_checkpoint
from phonofilm.models.system import MODULES, System, load_system, save_system, system_preset


def test_round_trip_rebuilds_identical_networks(tmp_path: Path) -> None:
    torch.manual_seed(1)
    system = System(system_preset("tiny"))
    loaded, record = load_system(save_system(tmp_path / "ck", system, {"steps": {"x": 1}}))
    assert record == {"steps": {"x": 1}} and loaded.config == system.config
    for name in MODULES:
        a, b = getattr(system, name).state_dict(), getattr(loaded, name).state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_weight_missing_from_any_module_is_refused(tmp_path: Path) -> None:
    system = System(system_preset("tiny"))
    for name in MODULES:
        states = {n: dict(getattr(system, n).state_dict()) for n in MODULES}
        states[name].pop(next(iter(states[name])))
        ck = save_checkpoint(tmp_path / name, states, system.config.to_dict(), {})
        with pytest.raises(CheckpointError, match=f"for {name}: missing"):
            load_system(ck)
