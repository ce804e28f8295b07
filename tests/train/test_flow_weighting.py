"""benchmarks/flow_weighting.py: the probe splits a checkpoint's flow error into changing and still positions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import flow_weighting


def test_errors_split_at_the_most_changing_positions() -> None:
    z = torch.zeros(1, 2, 10, 2, 5)  # 100 positions; one moves between latent frames 4 and 5
    z[0, :, 5:, 1, 3] = 1.0
    sq = torch.ones(1, 1, 10, 2, 5)
    sq[0, 0, 4:6, 1, 3] = 9.0  # the model is worst exactly where the latent changes
    changing, still = flow_weighting._split_errors(sq, z)
    assert changing > 1 and still == pytest.approx(1.0)


@pytest.mark.slow
def test_probe_reports_each_checkpoint_on_the_same_batches(tmp_path: Path, tiny_checkpoint: Path) -> None:
    out = tmp_path / "probe.json"
    assert flow_weighting.main(["probe", "--checkpoint", str(tiny_checkpoint), "--batches", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    errors = result["results"][str(tiny_checkpoint)]
    assert set(errors) == {"video_changing", "video_still", "audio_changing", "audio_still"}
    assert all(v > 0 for v in errors.values()) and result["clips"] == 4
    with pytest.raises(SystemExit, match="not a checkpoint folder"):
        flow_weighting.main(["probe", "--checkpoint", str(tmp_path), "--out", str(out)])
    with pytest.raises(SystemExit, match="--batches"):
        flow_weighting.main(["probe", "--checkpoint", str(tiny_checkpoint), "--batches", "0"])
    with pytest.raises(SystemExit, match="--weight"):
        flow_weighting.main(["train", "--init", str(tiny_checkpoint), "--out-dir", str(tmp_path), "--weight", "-1"])
    with pytest.raises(SystemExit, match="--init"):
        flow_weighting.main(["train", "--init", str(tmp_path / "nope"), "--out-dir", str(tmp_path), "--weight", "1"])
