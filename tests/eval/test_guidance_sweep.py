"""benchmarks/guidance.py: the sweep generates, scores and ranks settings on the validation split."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import guidance


def _report(values: list[float | None]) -> dict:
    return {"clips": [{"id": f"dialogue-{i:03d}", "capability": "dialogue", "metrics": {"prompt_adherence": v}}
                      for i, v in enumerate(values)]}


def test_unmeasurable_clips_count_zero_and_the_objective_is_relative_to_the_world() -> None:
    assert guidance.primary_scores(_report([1.0, None, 0.5, float("nan")])) == {"dialogue/prompt_adherence": 0.375}
    world = {"dialogue/prompt_adherence": 0.75, "effects_sync/av_recall": 0.0}
    assert guidance.objective({"dialogue/prompt_adherence": 0.375, "effects_sync/av_recall": 0.2}, world) == 0.5


@pytest.mark.slow
def test_sweep_runs_each_setting_once_and_marks_the_best(tmp_path: Path, tiny_checkpoint: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "guidance.json"
    argv = ["guidance.py", "--checkpoint", str(tiny_checkpoint), "--settings", "1,1@2", "4,3@2",
            "--n", "effects_sync=1,dialogue=1", "--work", str(tmp_path / "work"), "--out", str(out)]
    monkeypatch.setattr(sys, "argv", argv)
    guidance.main()
    result = json.loads(out.read_text())
    assert set(result["world"]) == {"effects_sync/av_recall_over_chance", "effects_sync/av_precision_over_chance",
                                    "dialogue/prompt_adherence"}
    assert result["world"]["dialogue/prompt_adherence"] > 0.5  # the world's own render follows its prompt
    assert [r["guidance"] for r in result["runs"]] == [[1.0, 1.0], [4.0, 3.0]]
    assert sum(bool(r.get("best")) for r in result["runs"]) == 1
    split = tmp_path / "work" / "prompts-validation"
    clips = sorted(split.glob(f"{tiny_checkpoint.name}-{guidance._fingerprint(str(tiny_checkpoint))}-g4,3-s2/clips/*.json"))
    assert [json.loads(c.read_text())["generation"]["guidance"] for c in clips] == ["4,3", "4,3"]
    stamp = (split / "world" / "report.json").stat().st_mtime_ns
    guidance.main()  # finished runs are read back, not redone
    assert (split / "world" / "report.json").stat().st_mtime_ns == stamp
    cached = json.loads((split / "world" / "report.json").read_text())
    for clip in cached["clips"]:  # as if scored before the eval had its chance-level sync metrics
        clip["metrics"].pop("av_precision_over_chance", None)
    (split / "world" / "report.json").write_text(json.dumps(cached))
    made = {p.name: p.stat().st_mtime_ns for p in (split / "world" / "clips").glob("*.mp4")}
    guidance.main()  # scored again, not rendered again
    effects = [c for c in json.loads((split / "world" / "report.json").read_text())["clips"]
               if c["capability"] == "effects_sync"]
    assert effects and all("av_precision_over_chance" in c["metrics"] for c in effects)
    assert {p.name: p.stat().st_mtime_ns for p in (split / "world" / "clips").glob("*.mp4")} == made
    monkeypatch.setattr(sys, "argv", [*argv[:-2], "--n", "dialogue=1", *argv[-2:]])  # other prompts: redone
    guidance.main()
    assert [c["id"] for c in json.loads((split / "world" / "report.json").read_text())["clips"]] == ["dialogue-000"]
    for bad, words in ((["--n", "dialogue=0"], "CAPABILITY=N"), (["--settings", "1,1@0"], "steps after @"),
                       (["--settings", "1"], "VIDEO,AUDIO"), (["--prompts", str(tmp_path / "no")], "--prompts"),
                       (["--checkpoint", str(tmp_path / "no")], "no checkpoint directory")):
        monkeypatch.setattr(sys, "argv", [*argv[:1], *bad])
        with pytest.raises(SystemExit, match=words):
            guidance.main()


def test_checkpoints_of_one_folder_name_get_their_own_runs(tmp_path: Path, tiny_checkpoint: Path) -> None:
    import shutil

    a, b = tmp_path / "a" / "checkpoint", tmp_path / "b" / "checkpoint"
    shutil.copytree(tiny_checkpoint, a)
    shutil.copytree(tiny_checkpoint, b)
    assert guidance._fingerprint(str(a)) == guidance._fingerprint(str(b))  # the same model: its runs are reused
    meta = json.loads((b / "checkpoint.json").read_text())
    meta["record"]["steps"] = {"transformer": 1}  # another run's record
    (b / "checkpoint.json").write_text(json.dumps(meta))
    assert guidance._fingerprint(str(a)) != guidance._fingerprint(str(b))
