"""benchmarks/joint_vs_separate.py: joint and separate generation of one checkpoint, compared clip by clip."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import joint_vs_separate as jvs


def test_paired_counts_unmeasurable_clips_as_zero_and_brackets_the_difference() -> None:
    joint = {"a": 1.0, "b": 0.5, "c": None, "d": 0.2}
    separate = {"a": 0.0, "b": 0.5, "c": 0.4, "d": None, "only-separate": 1.0}
    c = jvs.paired(joint, separate)
    assert c["clips"] == 4  # only clips generated in both modes
    assert (c["joint"], c["separate"]) == (pytest.approx(1.7 / 4), pytest.approx(0.9 / 4))
    assert (c["joint_measured"], c["separate_measured"]) == (3, 3)
    assert (c["joint_wins"], c["separate_wins"], c["ties"]) == (2, 1, 1)
    assert c["difference"] == pytest.approx(0.2)
    assert c["ci95"][0] <= c["difference"] <= c["ci95"][1]
    assert c["ci95"][0] < 0 < c["ci95"][1]  # four clips, one against: no claim either way
    with pytest.raises(ValueError, match="no clip"):
        jvs.paired({"a": 1.0}, {"b": 1.0})


@pytest.mark.slow
def test_both_modes_are_generated_scored_and_compared(tmp_path: Path, tiny_checkpoint: Path) -> None:
    out = tmp_path / "jvs.json"
    argv = ["--checkpoint", str(tiny_checkpoint), "--n", "effects_sync=1,dialogue=1", "--work", str(tmp_path / "w"),
            "--out", str(out)]
    result = jvs.main(argv)
    assert json.loads(out.read_text()) == result
    assert set(result["comparisons"]) == {"effects_sync/av_recall", "effects_sync/av_precision",
                                          "effects_sync/av_recall_over_chance", "effects_sync/av_precision_over_chance",
                                          "dialogue/lip_sync_correlation", "dialogue/prompt_adherence"}
    assert result["comparisons"]["dialogue/prompt_adherence"]["world"] > 0.5  # the world follows its prompt
    work = tmp_path / "w" / "prompts"
    for mode in ("joint", "separate"):
        metas = [json.loads(p.read_text()) for p in sorted(work.glob(f"tiny-*-sora-2-{mode}/clips/*.json"))]
        assert [m["generation"]["mode"] for m in metas] == [mode, mode]
    for bad, words in ((["--n", "physics=3"], "CAPABILITY=N"), (["--checkpoint", str(tmp_path / "no")], "no checkpoint")):
        with pytest.raises(SystemExit, match=words):
            jvs.main(bad)
