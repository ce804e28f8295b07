"""benchmarks/anchored_noise.py: multi-shot image-to-video with the anchored shot's noise its own or shared."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import anchored_noise


@pytest.mark.slow
def test_both_ways_are_generated_and_scored_against_the_world(tmp_path: Path, tiny_checkpoint: Path) -> None:
    out = tmp_path / "anchored.json"
    result = anchored_noise.main(["--checkpoint", str(tiny_checkpoint), "--n", "1", "--rho", "0.9",
                                  "--work", str(tmp_path / "work"), "--out", str(out)])
    assert json.loads(out.read_text()) == result
    runs = result["runs"]
    assert set(runs) == {"world", "anchored", "shared"} and all(r["clips"] == 1 for r in runs.values())
    assert runs["world"]["first_frame_psnr"] > 30 and runs["world"]["continuation_jump"] < 3
    assert runs["anchored"]["continuation_jump"] != runs["shared"]["continuation_jump"]  # the noise differed
    assert runs["anchored"]["first_frame_psnr"] < runs["world"]["first_frame_psnr"]
    import phonofilm.pipeline.generate as generate

    with anchored_noise.anchors_ignored():
        assert generate.shot_correlated.__module__ == "anchored_noise"  # patched only inside
    assert generate.shot_correlated.__module__ == "phonofilm.diffusion.noise"
    with pytest.raises(SystemExit, match="a shared share is in"):
        anchored_noise.main(["--rho", "0"])
    with pytest.raises(SystemExit, match="at least 1"):
        anchored_noise.main(["--n", "0"])
    with pytest.raises(SystemExit, match="no checkpoint directory"):
        anchored_noise.main(["--checkpoint", str(tmp_path / "none")])
