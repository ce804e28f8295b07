"""benchmarks/shot_change.py: does the generator change its latents where the script cuts?"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import shot_change


def test_contrast_is_high_at_a_real_change_and_about_one_where_nothing_happens() -> None:
    g = torch.Generator().manual_seed(0)
    steady = torch.cumsum(0.1 * torch.randn(1, 4, 12, 3, 5, generator=g), dim=2)  # a slow random walk
    cut = steady.clone()
    cut[:, :, 6:] += 2.0 * torch.randn(1, 4, 1, 3, 5, generator=g)  # a new picture from latent 6 on
    assert shot_change.cut_contrast(cut, [6])[0] > 5
    assert 0.5 < shot_change.cut_contrast(steady, [6])[0] < 2
    assert shot_change.cut_contrast(steady, []) == []


def test_measures_world_and_model_on_the_multi_shot_suite(tiny_checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "sc.json"
    assert shot_change.main(["--checkpoint", str(tiny_checkpoint), "--n", "1", "--restarts", "1", "--out", str(out)]) == 0
    runs = json.loads(out.read_text())["runs"]
    assert set(runs) == {"world", str(tiny_checkpoint)}
    restarts = runs[str(tiny_checkpoint)].pop("unscripted_restarts")
    assert restarts["restarts"] == 2 and 0 <= restarts["read_as_cuts"] <= 2
    for r in runs.values():
        assert r["prompts"] == 1 and r["cuts"] == len(r["clips"][0]["cuts"]) >= 1
        assert all(c > 0 for c in r["clips"][0]["contrast"])


def test_bad_input_is_one_line(tmp_path: Path, capsys) -> None:
    assert shot_change.main(["--prompts", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.json")]) == 2
    assert "nowhere" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        shot_change.main(["--n", "0"])
    assert "--n 0: give at least 1 prompt" in capsys.readouterr().err
