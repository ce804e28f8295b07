"""Benchmark suites and folders of clips: load, render the world's answers, score.

A suite is `benchmarks/prompts/<capability>.jsonl` (or "all"). A clip folder holds `NAME.mp4` with a
sidecar `NAME.json`: either an eval sidecar {"prompt", "capability"?, "id"?, "reference"?: "ref.mp4",
"image"?: "first.png"} or the sidecar `phonofilm world render` writes ({"caption", ...}: the caption is
the prompt). Metrics read only the mp4's pixels and sound and the sidecar's prompt and references.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from phonofilm.eval.analysis import ClipAnalysis
from phonofilm.eval.metrics.adherence import adherence_checks
from phonofilm.eval.metrics.registry import CAPABILITIES, METRICS
from phonofilm.eval.target import Target
from phonofilm.world.clip import Clip
from phonofilm.world.scene import Scene

PROMPTS_DIR = Path(__file__).resolve().parents[3] / "benchmarks" / "prompts"
GENERIC = ("effects_sync", "physics", "styles", "ambience")  # a clip with no stated capability


@dataclass(frozen=True)
class BenchmarkPrompt:
    """One line of a suite (see benchmarks/make_prompts.py)."""

    id: str
    capability: str
    prompt: str
    seed: int
    seconds: float
    width: int
    height: int
    fps: float
    sample_rate: int
    scene: dict
    reference: dict | None = None
    image: str | None = None


@dataclass(frozen=True)
class EvalItem:
    """A clip to score, what it was asked to be, and which capability it exercises."""

    id: str
    capability: str
    clip: Clip
    target: Target


@dataclass(frozen=True)
class ClipResult:
    """Scores of one clip: metric name → value (NaN: not measurable), adherence checks, plot data."""

    id: str
    capability: str
    metrics: dict[str, float]
    checks: list[dict] = field(default_factory=list)
    extras: dict = field(default_factory=dict)


def suite_names(root: Path = PROMPTS_DIR) -> list[str]:
    """Suites available under `root` (one per capability) plus "all"."""
    return [*sorted(p.stem for p in root.glob("*.jsonl")), "all"]


def load_suite(name: str, root: Path = PROMPTS_DIR) -> list[BenchmarkPrompt]:
    """The prompts of suite `name` ("all" = every capability)."""
    names = suite_names(root)
    if name not in names:
        raise ValueError(f"unknown suite {name!r}; available under {root}: {names}")
    files = sorted(root.glob("*.jsonl")) if name == "all" else [root / f"{name}.jsonl"]
    out = []
    for f in files:
        for n, line in enumerate(f.read_text().splitlines(), start=1):
            if line.strip():
                d = json.loads(line)
                d.pop("target", None)  # re-parsed from the prompt: the text is what a generator sees
                try:
                    out.append(BenchmarkPrompt(**d))
                except TypeError as e:
                    raise ValueError(f"{f}:{n}: not a benchmark prompt line ({e})") from None
    return out


def render_world(prompts: Iterable[BenchmarkPrompt], out: Path,
                 through: Callable[[Clip, int, int], tuple[Clip, dict]] | None = None) -> list[Path]:
    """Render each prompt's scene through the world into `out` (mp4 + eval sidecar, references beside).

    `through(clip, width, height) -> (clip, metadata)` replaces each answer before it is written: e.g. a
    model's autoencoders (`runner.build_reconstructor`), to measure the ceiling they put on generation.
    References and first-frame images stay the world's own.
    """
    from phonofilm.media import encode_image, write_mp4
    from phonofilm.world.make import make_clip

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for p in prompts:
        clip = make_clip(Scene.from_dict(p.scene), p.width, p.height, p.fps, p.sample_rate, 2)
        meta: dict = {"id": p.id, "capability": p.capability, "prompt": p.prompt}
        if p.reference is not None:
            ref = make_clip(Scene.from_dict(p.reference["scene"]), p.width, p.height, p.fps, p.sample_rate, 2)
            write_mp4(out / f"{p.id}.ref.mp4", ref.frames, ref.fps, ref.audio, ref.sample_rate)
            meta["reference"] = f"{p.id}.ref.mp4"
        if p.image == "first_frame":
            (out / f"{p.id}.image.png").write_bytes(encode_image(clip.frames[0]))
            meta["image"] = f"{p.id}.image.png"
        if through is not None:
            clip, meta["generation"] = through(clip, p.width, p.height)
        write_mp4(out / f"{p.id}.mp4", clip.frames, clip.fps, clip.audio, clip.sample_rate)
        (out / f"{p.id}.json").write_text(json.dumps(meta))
        written.append(out / f"{p.id}.mp4")
    return written


def _read_clip(path: Path) -> Clip:
    from phonofilm.media import read_mp4

    media = read_mp4(path)
    if media.audio is None:
        raise ValueError(f"{path} has no audio track; phonofilm clips carry sound")
    return Clip(media.frames, media.audio, media.fps, int(media.sample_rate or 0), "")


def load_clip_dir(folder: Path) -> Iterator[EvalItem]:
    """Every `*.mp4` (not `*.ref.mp4`) in `folder` with its sidecar json, as items to score."""
    from phonofilm.media import decode_image

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"--clips must be a folder of .mp4 + .json files; {folder} is not a folder")
    mp4s = sorted(p for p in folder.glob("*.mp4") if not p.name.endswith(".ref.mp4"))
    if not mp4s:
        raise FileNotFoundError(f"no .mp4 clips in {folder}")
    for mp4 in mp4s:
        side = mp4.with_suffix(".json")
        if not side.exists():
            raise FileNotFoundError(f"{mp4.name} has no sidecar {side.name} with its prompt")
        meta = json.loads(side.read_text())
        prompt = meta.get("prompt", meta.get("caption"))
        if not isinstance(prompt, str):
            raise ValueError(f"{side}: needs a \"prompt\" (or a world \"caption\") string")
        ref = _read_clip(folder / meta["reference"]) if meta.get("reference") else None
        image = decode_image((folder / meta["image"]).read_bytes()) if meta.get("image") else None
        clip = _read_clip(mp4)
        yield EvalItem(meta.get("id", mp4.stem), meta.get("capability", "generic"), clip,
                       Target.from_prompt(prompt, image=image, reference=ref))  # fmt: skip


def metric_names(capability: str) -> tuple[str, ...]:
    """Metrics that score a capability ("generic": the physics, sync, style and ambience ones)."""
    if capability in CAPABILITIES:
        return CAPABILITIES[capability]
    return tuple(dict.fromkeys(m for c in GENERIC for m in CAPABILITIES[c]))


def score(item: EvalItem) -> ClipResult:
    """Run every metric of the item's capability on it (perception computed once)."""
    analysis = ClipAnalysis(item.clip)
    values = {}
    for name in metric_names(item.capability):
        values[name] = float(METRICS[name].fn(analysis.clip, item.target, analysis))
    checks = []
    if item.target.spec is not None and "prompt_adherence" in values:
        checks = [c.__dict__ for c in adherence_checks(analysis.clip, item.target, analysis)]
    return ClipResult(item.id, item.capability, values, checks, _extras(item, analysis))


def _extras(item: EvalItem, analysis: ClipAnalysis) -> dict:
    """Data the report plots: sync offsets, trajectories with fits, lip-sync curves."""
    from phonofilm.eval.metrics.lipsync import analyse_lipsync
    from phonofilm.eval.metrics.sync import analyse_sync

    out: dict = {}
    if item.capability in ("effects_sync", "generic", "physics"):
        r = analyse_sync(analysis.clip, item.target, analysis)
        out["sync_offsets_ms"] = (r.offsets * 1000).round(2).tolist()
        out["tracks"] = [{"colour": t.colour, "t": (t.frames / analysis.fps).round(4).tolist(),
                          "y": t.xy[:, 1].round(2).tolist()} for t in analysis.video.tracks[:4]]  # fmt: skip
        out["scale"] = analysis.video.scale
    if item.capability == "dialogue":
        ls = analyse_lipsync(analysis.clip, item.target, analysis)
        out["lip_lags_ms"] = (ls.lags * 1000).round(1).tolist()
        out["lip_corr"] = [None if math.isnan(c) else round(float(c), 4) for c in ls.corr]
    return out


def summarise(results: list[ClipResult]) -> dict[str, dict[str, dict]]:
    """capability → metric → {mean, median, n, failed, ideal, threshold} over measurable clips."""
    table: dict[str, dict[str, dict]] = {}
    for cap in sorted({r.capability for r in results}):
        rows = [r for r in results if r.capability == cap]
        for name in metric_names(cap):
            vals = np.array([r.metrics.get(name, np.nan) for r in rows], dtype=float)
            ok = vals[np.isfinite(vals)]
            spec = METRICS[name]
            table.setdefault(cap, {})[name] = {
                "mean": float(ok.mean()) if len(ok) else None,
                "median": float(np.median(ok)) if len(ok) else None,
                "n": len(ok),
                "of": len(rows),
                "failed": int(sum(spec.failed(float(v)) for v in ok)),
                "ideal": spec.ideal,
                "threshold": spec.threshold,
                "unit": spec.unit,
            }
    return table
