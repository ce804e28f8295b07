"""Guidance sweep: which (video, audio) classifier-free guidance scales and step counts a checkpoint
samples best with, chosen on the validation split — never on the benchmark it is reported on.

For each checkpoint × guidance pair × step count, generate the first N prompts of a few capabilities of
`benchmarks/prompts-validation` (seeds 1.5·10⁹…, `make_prompts.py --split validation`), score them with
`phonofilm eval`'s metrics and put the primary ones beside the world's own render of the same prompts.

Primary scores (a clip the perception cannot measure counts 0, so a setting cannot win by making clips
unmeasurable): effects-sync recall and precision over their chance level (`eval.metrics.sync`: what
coincidence alone matches, so a setting cannot win by filling a clip with contacts and onsets; session 14,
before which the raw recall and precision were used), and prompt adherence of dialogue, styles and ambience.
`objective` = their mean as fractions of the world's; the best setting per checkpoint is marked. A cached
run scored before the eval had a metric is scored again (its clips are not generated again).
Every run's report.json stays under --work, in a folder named by the checkpoint's folder name, a
fingerprint of its checkpoint.json and the setting (resumable: a finished run of the same checkpoint and
prompts is read back, not redone).

A setting is VIDEO,AUDIO guidance, optionally @STEPS (default: the preset's step count): 3,2  1,1@8.

Usage: python benchmarks/guidance.py [--checkpoint default|DIR ...] [--settings 3,2 1,1 1,1@8 ...]
       [--n effects_sync=16,dialogue=10,styles=10,ambience=8] [--prompts DIR] [--work runs/guidance]
       [--out benchmarks/results/guidance.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PRIMARY = {"effects_sync": ("av_recall_over_chance", "av_precision_over_chance"), "dialogue": ("prompt_adherence",),
           "styles": ("prompt_adherence",), "ambience": ("prompt_adherence",)}  # fmt: skip


def _counts(text: str, allowed=PRIMARY) -> dict[str, int]:
    """'effects_sync=16,dialogue=10' → {capability: N}, each capability one of `allowed`."""
    out = {}
    for part in text.split(","):
        cap, _, n = part.partition("=")
        if cap not in allowed or not n.isdigit() or int(n) < 1:
            raise SystemExit(f"--n takes CAPABILITY=N pairs with N ≥ 1 from {sorted(allowed)}; got {part!r}")
        out[cap] = int(n)
    return out


def _setting(text: str) -> tuple[tuple[float, float], int | None]:
    """'3,2' → ((3, 2), None); '1,1@8' → ((1, 1), 8)."""
    from phonofilm.cli.common import UserError, parse_guidance

    scales, _, steps = text.partition("@")
    try:
        guidance = parse_guidance(scales)
    except UserError as e:
        raise SystemExit(f"--settings {text!r}: {e}") from None
    if steps and not (steps.isdigit() and 1 <= int(steps) <= 200):
        raise SystemExit(f"--settings {text!r}: steps after @ must be a whole number from 1 to 200")
    return guidance, int(steps) if steps else None


def _prompts(root: Path, counts: dict[str, int]) -> list:
    from phonofilm.eval.suite import load_suite

    chosen = []
    for cap, n in counts.items():
        try:
            suite = load_suite(cap, root)
        except ValueError as e:
            raise SystemExit(f"--prompts {root}: {e}") from None
        if len(suite) < n:
            raise SystemExit(f"{root}/{cap}.jsonl has {len(suite)} prompts; asked for {n}")
        chosen += suite[:n]
    return chosen


def _score(clips: Path, out: Path, title: str) -> dict:
    from phonofilm.eval.report import write_report
    from phonofilm.eval.suite import load_clip_dir, score

    write_report([score(item) for item in load_clip_dir(clips)], out, title)
    return json.loads((out / "report.json").read_text())


def run_name(ckpt: str) -> str:
    """The prefix of a checkpoint's run folders: its folder name ("default": the shipped model) and fingerprint."""
    return f"{'default' if ckpt == 'default' else Path(ckpt).name}-{_fingerprint(ckpt)}"


def generator_or_exit(ckpt: str):
    """The generator of `ckpt` ("default" or a checkpoint directory); what is wrong with it as a SystemExit."""
    from phonofilm.eval.runner import build_generator

    if ckpt != "default" and not Path(ckpt).is_dir():
        raise SystemExit(f"--checkpoint: no checkpoint directory at {ckpt}")
    try:
        return build_generator(ckpt)
    except ValueError as e:  # not a phonofilm checkpoint (CheckpointError is one)
        raise SystemExit(f"--checkpoint {ckpt}: {e}") from None


def _fingerprint(ckpt: str) -> str:
    """Six hex digits of the checkpoint's checkpoint.json (its record and shard map): two checkpoints of
    one folder name (`runs/a/checkpoint`, `runs/b/checkpoint`), or the shipped model before and after it
    is replaced, never share a run folder."""
    from phonofilm.pipeline.generate import default_checkpoint

    folder = default_checkpoint() if ckpt == "default" else Path(ckpt)
    return hashlib.sha1((folder / "checkpoint.json").read_bytes()).hexdigest()[:6]


def _scored_by_every_metric(report: dict) -> bool:
    """Whether every clip of a report carries every metric its capability has now (a metric added since the
    run was scored means its clips are scored again; they are not generated again)."""
    from phonofilm.eval.suite import metric_names

    return all(set(metric_names(c["capability"])) <= set(c["metrics"]) for c in report["clips"])


def _run(work: Path, label: str, ids: list[str], make) -> dict:
    """report.json of one run under work/label, made by make(clips) unless a finished one of the same
    prompts is there (scored again if the eval has metrics it lacks)."""
    folder = work / label
    if (folder / "report.json").is_file():
        report = json.loads((folder / "report.json").read_text())
        if report.get("prompt_ids") == ids:
            if _scored_by_every_metric(report):
                return report
            rescored = _score(folder / "clips", folder, f"guidance sweep: {label} (re-scored)")
            report.update(clips=rescored["clips"], summary=rescored["summary"])  # wall_s, prompt_ids kept
            (folder / "report.json").write_text(json.dumps(report))
            return report
    started = time.time()
    shutil.rmtree(folder / "clips", ignore_errors=True)
    make(folder / "clips")
    report = _score(folder / "clips", folder, f"guidance sweep: {label}")
    report["wall_s"] = round(time.time() - started, 1)
    report["prompt_ids"] = ids
    (folder / "report.json").write_text(json.dumps(report))
    return report


def clip_values(report: dict, capability: str, metric: str) -> dict[str, float | None]:
    """clip id → the metric's value, None where the clip was not measurable."""
    out = {}
    for c in report["clips"]:
        if c["capability"] == capability:
            v = c["metrics"].get(metric)
            out[c["id"]] = float(v) if v is not None and np.isfinite(v) else None
    return out


def primary_scores(report: dict) -> dict[str, float]:
    """capability/metric → mean over all clips, unmeasurable clips counting 0."""
    out = {}
    for cap, metrics in PRIMARY.items():
        for m in metrics:
            values = clip_values(report, cap, m)
            if values:
                out[f"{cap}/{m}"] = float(np.mean([v or 0.0 for v in values.values()]))
    return out


BOOTSTRAP = 10_000


def paired(a: dict[str, float | None], b: dict[str, float | None], names: tuple[str, str] = ("a", "b"),
           seed: int = 0) -> dict:
    """Run `a` against run `b` on the clips both have (clip id → value; unmeasurable counts 0): both means,
    how many clips each measured, the mean difference a − b with a paired bootstrap 95 % interval, and the
    per-clip wins of each and ties. Keys are named by `names`."""
    ids = sorted(set(a) & set(b))
    if not ids:
        raise ValueError(f"no clip was generated in both {names[0]} and {names[1]}")
    x = np.array([a[i] or 0.0 for i in ids])
    y = np.array([b[i] or 0.0 for i in ids])
    d = x - y
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), size=(BOOTSTRAP, len(d)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    first, second = names
    return {"clips": len(ids), first: float(x.mean()), second: float(y.mean()),
            f"{first}_measured": sum(a[i] is not None for i in ids),
            f"{second}_measured": sum(b[i] is not None for i in ids),
            "difference": float(d.mean()), "ci95": [float(low), float(high)],
            f"{first}_wins": int((d > 1e-9).sum()), f"{second}_wins": int((d < -1e-9).sum()),
            "ties": int((np.abs(d) <= 1e-9).sum())}


def objective(scores: dict[str, float], world: dict[str, float]) -> float:
    """Mean fraction of the world's score over the primary metrics the world scores above 0."""
    fractions = [scores[k] / world[k] for k in scores if world.get(k, 0.0) > 0]
    return float(np.mean(fractions)) if fractions else float("nan")


def machine() -> dict:
    """What ran a sweep: CPU architecture, cores, Python."""
    return {"cpu": platform.machine(), "cores": os.cpu_count(), "python": platform.python_version()}


def write_result(out: Path, result: dict) -> dict:
    """`result` as indented JSON at `out` (folders made); returns it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", nargs="+", default=["default"])
    ap.add_argument("--settings", nargs="+", default=["3,2", "1,1", "2,2", "1,1.5", "1.5,1", "3,1", "1,1@8"],
                    help="VIDEO,AUDIO guidance scales, optionally @STEPS")
    ap.add_argument("--preset", default="sora-2")
    ap.add_argument("--n", default="effects_sync=16,dialogue=10,styles=10,ambience=8")
    ap.add_argument("--prompts", type=Path, default=HERE / "prompts-validation")
    ap.add_argument("--work", type=Path, default=Path("runs/guidance"))
    ap.add_argument("--out", type=Path, default=HERE / "results" / "guidance.json")
    args = ap.parse_args()
    from phonofilm.eval.runner import build_generator, generate_suite
    from phonofilm.eval.suite import render_world

    grid = [_setting(text) for text in args.settings]
    missing = [c for c in args.checkpoint if c != "default" and not Path(c).is_dir()]
    if missing:
        raise SystemExit(f"--checkpoint: no checkpoint directory at {', '.join(missing)}")
    counts = _counts(args.n)
    prompts = _prompts(args.prompts, counts)
    split = args.prompts.name
    ids = [p.id for p in prompts]
    world = primary_scores(_run(args.work / split, "world", ids, lambda clips: render_world(prompts, clips)))
    suffix = "" if args.preset == "sora-2" else f"-{args.preset}"  # runs of another preset: other folders
    runs = []
    for ckpt in args.checkpoint:
        try:
            generator = build_generator(ckpt)
        except ValueError as e:  # not a phonofilm checkpoint (CheckpointError is one)
            raise SystemExit(f"--checkpoint {ckpt}: {e}") from None
        name = run_name(ckpt)
        for g, steps in grid:
            label = f"{name}-g{g[0]:g},{g[1]:g}-s{steps or 'preset'}{suffix}"
            report = _run(args.work / split, label, ids, lambda clips, g=g, s=steps, gen=generator: generate_suite(
                prompts, gen, clips, steps=s, preset=args.preset, guidance=g))
            scores = primary_scores(report)
            runs.append({"checkpoint": ckpt, "guidance": list(g), "steps": steps,
                         "scores": scores, "objective": objective(scores, world),
                         "wall_s": report.get("wall_s"), "summary": report["summary"]})
            print(f"{label}: objective {runs[-1]['objective']:.3f} "
                  + " ".join(f"{k}={v:.3f}" for k, v in scores.items()), flush=True)
    for ckpt in args.checkpoint:
        mine = [r for r in runs if r["checkpoint"] == ckpt]
        max(mine, key=lambda r: r["objective"])["best"] = True
    result = {"benchmark": "guidance", "prompts": str(args.prompts), "n": counts, "preset": args.preset,
              "machine": machine(), "world": world, "runs": runs}
    write_result(args.out, result)


if __name__ == "__main__":
    main()
