"""What joint generation buys: one checkpoint sampled jointly (picture and sound in one pass) and as a
"separate synthesis" pipeline (video alone, then audio generated from the finished video), on the same
benchmark prompts and seeds, compared clip by clip.

For each sync metric the result holds both means (a clip the perception cannot measure counts 0 — chance
for a correlation, nothing found for recall and precision — so a mode cannot win by making clips
unmeasurable), how many clips each mode makes measurable, per-clip wins / losses / ties of joint over
separate, and a paired bootstrap 95 % interval of the mean difference (joint − separate). The world's own
render of the same prompts is the ceiling. Sampling settings are the preset's (`sora-2`: unguided unless
the prompt has quoted lines), i.e. what a user gets. Runs are cached under --work like
`benchmarks/guidance.py`'s.

Usage: python benchmarks/joint_vs_separate.py [--checkpoint default|DIR] [--n effects_sync=30,dialogue=30]
       [--prompts benchmarks/prompts] [--work runs/joint_vs_separate] [--out benchmarks/results/joint_vs_separate.json]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import guidance

HERE = Path(__file__).resolve().parent
METRICS = {"effects_sync": ("av_recall", "av_precision", "av_recall_over_chance", "av_precision_over_chance"),
           "dialogue": ("lip_sync_correlation", "prompt_adherence"),
           "cameo": ("voice_similarity",)}  # fmt: skip


def paired(joint: dict[str, float | None], separate: dict[str, float | None], seed: int = 0) -> dict:
    """Joint against separate on the clips both modes generated; unmeasurable counts 0."""
    return guidance.paired(joint, separate, ("joint", "separate"), seed)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="default")
    ap.add_argument("--preset", default="sora-2")
    ap.add_argument("--n", default="effects_sync=30,dialogue=30")
    ap.add_argument("--prompts", type=Path, default=HERE / "prompts")
    ap.add_argument("--work", type=Path, default=Path("runs/joint_vs_separate"))
    ap.add_argument("--out", type=Path, default=HERE / "results" / "joint_vs_separate.json")
    args = ap.parse_args(argv)
    counts = guidance._counts(args.n, METRICS)
    if args.checkpoint != "default" and not (Path(args.checkpoint) / "checkpoint.json").is_file():
        raise SystemExit(f"--checkpoint: no checkpoint at {args.checkpoint} (no checkpoint.json)")
    from phonofilm.eval.runner import build_generator, generate_suite
    from phonofilm.eval.suite import render_world

    prompts = guidance._prompts(args.prompts, counts)
    ids = [p.id for p in prompts]
    work = args.work / args.prompts.name
    world = guidance._run(work, "world", ids, lambda clips: render_world(prompts, clips))
    try:
        generator = build_generator(args.checkpoint)
    except ValueError as e:
        raise SystemExit(f"--checkpoint {args.checkpoint}: {e}") from None
    name = f"{guidance.run_name(args.checkpoint)}-{args.preset}"
    reports = {mode: guidance._run(work, f"{name}-{mode}", ids, lambda clips, m=mode: generate_suite(
        prompts, generator, clips, mode=m, preset=args.preset)) for mode in ("joint", "separate")}
    comparisons = {}
    for cap in counts:
        for metric in METRICS[cap]:
            key = f"{cap}/{metric}"
            comparisons[key] = paired(guidance.clip_values(reports["joint"], cap, metric),
                                      guidance.clip_values(reports["separate"], cap, metric))
            w = guidance.clip_values(world, cap, metric)
            comparisons[key]["world"] = float(np.mean([v or 0.0 for v in w.values()]))
            c = comparisons[key]
            print(f"{key}: joint {c['joint']:.3f} ({c['joint_measured']}/{c['clips']}) separate {c['separate']:.3f} "
                  f"({c['separate_measured']}/{c['clips']}) world {c['world']:.3f}; difference {c['difference']:+.3f} "
                  f"[{c['ci95'][0]:+.3f}, {c['ci95'][1]:+.3f}]; wins {c['joint_wins']}/{c['separate_wins']}/{c['ties']}",
                  flush=True)
    result = {"benchmark": "joint_vs_separate", "checkpoint": args.checkpoint, "preset": args.preset,
              "prompts": str(args.prompts), "n": counts, "bootstrap": guidance.BOOTSTRAP,
              "machine": guidance.machine(),
              "wall_s": {mode: r.get("wall_s") for mode, r in reports.items()}, "comparisons": comparisons}
    return guidance.write_result(args.out, result)


if __name__ == "__main__":
    main()
