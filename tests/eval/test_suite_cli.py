"""Benchmark suites and `phonofilm eval`: prompts with targets and scenes, the CLI end to end on world clips."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import typer

from phonofilm.cli import build_app
from phonofilm.cli.common import UserError
from phonofilm.eval.suite import PROMPTS_DIR, load_suite, render_world, suite_names
from phonofilm.pipeline.presets import PRESETS
from phonofilm.world.prompt import parse_prompt
from phonofilm.world.scene import Scene, to_jsonable

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import make_prompts


def test_suites_hold_200_stratified_held_out_prompts() -> None:
    prompts = load_suite("all")
    assert len(prompts) >= 200
    by_cap = {p.capability for p in prompts}
    assert by_cap == {"physics", "effects_sync", "dialogue", "ambience", "styles", "multi_shot",
                      "image_to_video", "cameo"}  # fmt: skip
    assert all(p.seed >= 2 * 10**9 for p in prompts), "benchmark seeds must never be training seeds (< 10^9)"
    assert len({p.seed for p in prompts}) == len(prompts)
    assert set(suite_names()) >= by_cap | {"all"}


def test_each_line_carries_its_parsed_target_and_a_scene_that_realises_it() -> None:
    for f in sorted(PROMPTS_DIR.glob("*.jsonl")):
        first = json.loads(f.read_text().splitlines()[0])
        assert first["target"] == to_jsonable(parse_prompt(first["prompt"]))
        assert Scene.from_dict(first["scene"]).to_dict() == first["scene"]
        assert first["scene"]["seed"] == first["seed"]


def test_validation_split_has_the_same_suites_on_seeds_of_its_own() -> None:
    root = PROMPTS_DIR.parent / "prompts-validation"
    val, bench = load_suite("all", root), load_suite("all")
    assert [p.capability for p in val] == [p.capability for p in bench]
    assert all(make_prompts.VALIDATION_SEED_BASE <= p.seed < 1_900_000_000 for p in val)  # below cameo recordings
    assert not {p.seed for p in val} & {p.seed for p in bench}
    assert sum(a.prompt != b.prompt for a, b in zip(val, bench, strict=True)) > 0.9 * len(val)
    for block, cap in enumerate(make_prompts.CAPABILITIES):
        line = make_prompts.make_line(cap, 1, block, make_prompts.VALIDATION_SEED_BASE)
        on_disk = json.loads((root / f"{cap}.jsonl").read_text().splitlines()[1])
        assert line == on_disk, f"{cap}.jsonl is stale: run python benchmarks/make_prompts.py --split validation"


def test_prompt_lines_are_reproducible() -> None:
    for block, cap in enumerate(make_prompts.CAPABILITIES):
        line = make_prompts.make_line(cap, 0, block)
        on_disk = json.loads((PROMPTS_DIR / f"{cap}.jsonl").read_text().splitlines()[0])
        assert line == on_disk, f"{cap}.jsonl is stale: run python benchmarks/make_prompts.py"


def _run(args: list[str]) -> None:
    build_app()(args=args, standalone_mode=False)


def test_eval_clips_writes_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prompts = [p for p in load_suite("physics")[:1] + load_suite("image_to_video")[:1]]
    small = [p.__class__(**{**p.__dict__, "width": 128, "height": 72}) for p in prompts]
    render_world(small, tmp_path / "clips")
    _run(["eval", "--clips", str(tmp_path / "clips"), "--out", str(tmp_path / "report")])
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert {c["capability"] for c in report["clips"]} == {"physics", "image_to_video"}
    assert report["summary"]["image_to_video"]["first_frame_psnr"]["mean"] > 30  # H.264 at crf 20: ≈ 33 dB
    assert (tmp_path / "report" / "report.md").read_text().startswith("# phonofilm eval")
    assert "gravity_error" in capsys.readouterr().out


@pytest.mark.slow
def test_eval_model_generates_and_scores_every_capability(tmp_path: Path, tiny_checkpoint: Path) -> None:
    out = tmp_path / "ours"
    _run(["eval", "--model", str(tiny_checkpoint), "--suite", "all", "--per-capability", "1", "--steps", "2",
          "--out", str(out)])
    report = json.loads((out / "report.json").read_text())
    caps = {c["capability"] for c in report["clips"]}
    assert caps == {"physics", "effects_sync", "dialogue", "ambience", "styles", "multi_shot", "image_to_video",
                    "cameo"}
    cameo = json.loads((out / "clips" / "cameo-000.json").read_text())
    assert cameo["reference"] == "cameo-000.ref.mp4" and cameo["generation"]["cameos"]  # the recording was used
    side = json.loads((out / "clips" / "image_to_video-000.json").read_text())
    assert side["image"] == "image_to_video-000.image.png" and side["generation"]["mode"] == "joint"
    assert side["generation"]["image_guidance"] == f"{PRESETS['sora-2'].image_guidance:g}"  # the preset's
    sep = tmp_path / "separate"
    _run(["eval", "--model", str(tiny_checkpoint), "--suite", "effects_sync", "--limit", "1", "--steps", "2",
          "--mode", "separate", "--preset", "sora-2-pro", "--guidance", "1.5,1", "--noise-correlation", "0.4",
          "--noise-correlation-cutoff", "0.5", "--out", str(sep)])
    side = json.loads(next((sep / "clips").glob("*.json")).read_text())
    assert side["generation"]["mode"] == "separate" and side["generation"]["preset"] == "sora-2-pro"
    assert side["generation"]["guidance"] == "1.5,1" and side["generation"]["noise_correlation"] == "0.4"
    assert side["generation"]["noise_correlation_cutoff"] == "0.5"
    plain = tmp_path / "unguided"
    _run(["eval", "--model", str(tiny_checkpoint), "--suite", "image_to_video", "--limit", "1", "--steps", "2",
          "--image-guidance", "1", "--out", str(plain)])
    assert json.loads((plain / "clips" / "image_to_video-000.json").read_text())["generation"]["image_guidance"] == "1"


def test_bad_eval_requests_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        _run(["eval", "--model", str(tmp_path / "ckpt"), "--suite", "physics", "--out", str(tmp_path / "r")])
    with pytest.raises(UserError, match="exactly one"):
        _run(["eval", "--model", "default", "--world", "--suite", "physics"])
    with pytest.raises(UserError, match="exactly one"):
        _run(["eval"])
    with pytest.raises(UserError, match="--preset must be one of"):
        _run(["eval", "--model", "default", "--suite", "physics", "--preset", "sora-3"])
    with pytest.raises(UserError, match="VIDEO,AUDIO"):
        _run(["eval", "--model", "default", "--suite", "physics", "--guidance", "3"])
    with pytest.raises(UserError, match="--guidance goes with --model"):
        _run(["eval", "--world", "--suite", "physics", "--guidance", "3,2"])
    with pytest.raises(UserError, match="--noise-correlation goes with --model"):
        _run(["eval", "--world", "--suite", "physics", "--noise-correlation", "0.5"])
    with pytest.raises(UserError, match=r"must be in \[0, 1\), got 1"):
        _run(["eval", "--model", "default", "--suite", "physics", "--noise-correlation", "1"])
    with pytest.raises(UserError, match="--noise-correlation-cutoff goes with --model"):
        _run(["eval", "--world", "--suite", "physics", "--noise-correlation-cutoff", "0.5"])
    with pytest.raises(UserError, match=r"must be in \(0, 1\], got 0"):
        _run(["eval", "--model", "default", "--suite", "physics", "--noise-correlation-cutoff", "0"])
    with pytest.raises(UserError, match="--image-guidance goes with --model"):
        _run(["eval", "--world", "--suite", "image_to_video", "--image-guidance", "3"])
    with pytest.raises(UserError, match=r"must be in \[0, 20\], got -1"):
        _run(["eval", "--model", "default", "--suite", "image_to_video", "--image-guidance", "-1"])
    with pytest.raises(UserError, match="--mode"):
        _run(["eval", "--model", "default", "--suite", "physics", "--mode", "sideways"])
    with pytest.raises((UserError, typer.Exit, FileNotFoundError)):
        _run(["eval", "--clips", str(tmp_path / "missing")])


def test_world_through_a_model_scores_its_autoencoders_reconstruction(tmp_path: Path, tiny_checkpoint: Path) -> None:
    out = tmp_path / "ceiling"
    _run(["eval", "--suite", "image_to_video", "--limit", "1", "--world", "--through", str(tiny_checkpoint),
          "--out", str(out)])
    side = json.loads(next((out / "clips").glob("*.json")).read_text())
    assert side["generation"]["reconstruction"] == "video + audio autoencoders only (no diffusion)"
    assert side["image"].endswith(".image.png")  # the given frame stays the world's own
    report = json.loads((out / "report.json").read_text())
    # untrained autoencoders cannot give the first frame back (the world's own clip scores > 30 dB)
    assert report["summary"]["image_to_video"]["first_frame_psnr"]["mean"] < 20
    with pytest.raises(UserError, match="--through MODEL goes with --world"):
        _run(["eval", "--suite", "physics", "--model", str(tiny_checkpoint), "--through", str(tiny_checkpoint)])
    with pytest.raises(UserError, match="--through-parts goes with --through"):
        _run(["eval", "--suite", "physics", "--world", "--through-parts", "audio"])
    with pytest.raises(UserError, match="--through-parts takes"):
        _run(["eval", "--suite", "physics", "--world", "--through", str(tiny_checkpoint), "--through-parts", "pixels"])
