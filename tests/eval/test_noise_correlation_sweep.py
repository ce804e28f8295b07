"""benchmarks/noise_correlation.py: each ρ is generated, scored and measured for jitter on the validation split."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import guidance
import noise_correlation


def test_also_scores_count_measurable_clips_apart() -> None:
    report = {"clips": [{"id": f"physics-{i:03d}", "capability": "physics", "metrics": {"colour_accuracy": v}}
                        for i, v in enumerate([1.0, None, 0.5])]}
    scores = noise_correlation.also_scores(report)
    assert scores["physics/colour_accuracy"] == {"mean": 0.75, "measurable": 2, "clips": 3}
    assert scores["physics/gravity_error"] == {"mean": None, "measurable": 0, "clips": 3}  # never measured
    assert not any(k.startswith("multi_shot/") for k in scores)  # no clip of that capability


@pytest.mark.slow
def test_sweep_generates_each_correlation_and_records_it(tmp_path: Path, tiny_checkpoint: Path) -> None:
    out = tmp_path / "nc.json"
    argv = ["--checkpoint", str(tiny_checkpoint), "--rho", "0", "0.9", "--cutoff", "1", "0.5",
            "--n", "effects_sync=1,physics=1", "--work", str(tmp_path / "work"), "--out", str(out)]
    result = noise_correlation.main(argv)
    assert json.loads(out.read_text()) == result
    settings = [(r["noise_correlation"], r["noise_correlation_cutoff"]) for r in result["runs"]]
    assert settings == [(0.0, 1.0), (0.9, 1.0), (0.9, 0.5)]  # ρ = 0 shares nothing, so it has no band to vary
    assert set(result["world"]["scores"]) == {"effects_sync/av_recall_over_chance", "effects_sync/av_precision_over_chance"}
    assert result["world"]["also"]["physics/colour_accuracy"]["clips"] == 1
    for run in result["runs"]:
        assert run["jitter"]["clips"] == 2 and run["jitter"]["seam"] >= 0
    assert result["runs"][1]["jitter"] != result["runs"][2]["jitter"]  # the band changed the clips
    assert [(c["noise_correlation"], c["noise_correlation_cutoff"]) for c in result["paired"]] == [(0.9, 1.0), (0.9, 0.5)]
    for comparison in result["paired"]:  # each against ρ = 0, clip by clip
        assert comparison["against"] == [0.0, 1.0]  # the primary scores and physics colour (higher is better)
        assert set(comparison["scores"]) == {*result["world"]["scores"], "physics/colour_accuracy"}
        for c in comparison["scores"].values():
            assert c["clips"] == 1 and c["ci95"][0] <= c["difference"] <= c["ci95"][1]
    split = tmp_path / "work" / "prompts-validation"
    name = f"{tiny_checkpoint.name}-{guidance._fingerprint(str(tiny_checkpoint))}-sora-2"
    clips = sorted((split / f"{name}-rho0.9" / "clips").glob("*.json"))
    assert [json.loads(c.read_text())["generation"]["noise_correlation"] for c in clips] == ["0.9", "0.9"]
    banded = sorted((split / f"{name}-rho0.9-band0.5" / "clips").glob("*.json"))
    assert {json.loads(c.read_text())["generation"]["noise_correlation_cutoff"] for c in banded} == {"0.5"}
    shifted = noise_correlation.main([*argv[:2], "--rho", "0", "--seed-offset", "1", *argv[8:]])
    assert shifted["seed_offsets"] == [1] and shifted["world"] == result["world"]  # the same world, other noise
    seeds = {json.loads(c.read_text())["id"]: int(json.loads(c.read_text())["generation"]["seed"])
             for c in (split / f"{name}-rho0-seed+1" / "clips").glob("*.json")}
    assert seeds == {p.id: p.seed + 1 for p in guidance._prompts(noise_correlation.HERE / "prompts-validation",
                                                                  {"effects_sync": 1, "physics": 1})}
    for bad, words in ((["--rho", "1"], r"in \[0, 1\)"), (["--rho", "x"], "give numbers"),
                       (["--cutoff", "0"], r"in \(0, 1\]"),
                       (["--n", "cameo=1"], "CAPABILITY=N"), (["--checkpoint", str(tmp_path / "no")], "no checkpoint")):
        with pytest.raises(SystemExit, match=words):
            noise_correlation.main([*argv[:2], *bad])
