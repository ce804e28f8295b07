"""Noise correlation sweep: how much of the starting noise the latent frames of a shot should share
(`diffusion/noise.py`), chosen on the validation split like the guidance scales (`benchmarks/guidance.py`).

For each value ρ (and each band cutoff: the share only in spatial frequencies up to that fraction of the
Nyquist frequency, 1 = all), generate the first N prompts of each capability of `benchmarks/prompts-validation` with
the preset's other settings (what a user gets), score them with `phonofilm eval`, and report per ρ:
 - guidance.py's primary scores and objective (effects-sync recall and precision, prompt adherence of
   dialogue, styles and ambience; as fractions of the world's), so the numbers compare with that sweep;
 - what sharing noise could break or mend: physics (colour accuracy, permanence violations, energy gain,
   and how many clips a tracked object falls measurably in), multi-shot cut-count error, and how far an
   image-to-video clip jumps from its given first frame (`continuation_jump`, first-frame PSNR);
 - frame jitter (`benchmarks/frame_jitter.py`): median change where latent frames meet and inside them.
Runs are cached under --work as in guidance.py (same folder names for the world's render).
--seed-offset K [K ...] samples every prompt from seed + K as well (the world's render and the scoring are the
prompt's own): how much a score moves with the noise alone. With several settings, `paired` compares each
with the first on the primary scores and on the others where higher is better (colour accuracy, image-to-video
and multi-shot adherence), clip by clip over every offset (paired bootstrap 95 % interval).

Usage: python benchmarks/noise_correlation.py [--checkpoint default|DIR] [--rho 0 0.5 0.8] [--cutoff 1 0.25] [--seed-offset 0 1 2]
       [--n effects_sync=16,dialogue=10,styles=10,ambience=8,physics=10,multi_shot=8]
       [--prompts benchmarks/prompts-validation] [--work runs/guidance] [--out benchmarks/results/noise_correlation.json]
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

import frame_jitter
import guidance

HERE = Path(__file__).resolve().parent
ALSO = {"physics": ("colour_accuracy", "permanence_violations", "energy_gain_rate", "gravity_error"),
        "multi_shot": ("cut_count_error", "prompt_adherence"),
        "image_to_video": ("continuation_jump", "first_frame_psnr", "prompt_adherence")}  # fmt: skip


def also_scores(report: dict) -> dict[str, dict]:
    """capability/metric → {mean over measurable clips, measurable, clips} for the ALSO metrics."""
    out = {}
    for cap, metrics in ALSO.items():
        for m in metrics:
            values = guidance.clip_values(report, cap, m)
            if values:
                got = [v for v in values.values() if v is not None]
                out[f"{cap}/{m}"] = {"mean": float(np.mean(got)) if got else None, "measurable": len(got),
                                     "clips": len(values)}
    return out


def paired_also(report: dict) -> list[str]:
    """The ALSO metrics where higher is better (so a paired "win" is one), scored on a clip of `report`."""
    from phonofilm.eval.metrics.registry import METRICS

    caps = {c["capability"] for c in report["clips"]}
    return [f"{cap}/{m}" for cap, metrics in ALSO.items() if cap in caps for m in metrics
            if METRICS[m].better == "higher"]


def _cutoff(text: str) -> float:
    try:
        cutoff = float(text)
    except ValueError:
        raise SystemExit(f"--cutoff {text!r}: give numbers in (0, 1]") from None
    if not 0.0 < cutoff <= 1.0:
        raise SystemExit(f"--cutoff {text!r}: a band's cutoff is a fraction of the Nyquist frequency in (0, 1]")
    return cutoff


def _rho(text: str) -> float:
    try:
        rho = float(text)
    except ValueError:
        raise SystemExit(f"--rho {text!r}: give numbers in [0, 1)") from None
    if not 0.0 <= rho < 1.0:
        raise SystemExit(f"--rho {text!r}: a noise correlation is in [0, 1)")
    return rho


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="default")
    ap.add_argument("--preset", default="sora-2")
    ap.add_argument("--rho", nargs="+", default=["0", "0.5", "0.8"], help="noise correlations to compare")
    ap.add_argument("--cutoff", nargs="+", default=["1"],
                    help="shared band cutoffs (fraction of Nyquist; 1 = every spatial frequency)")
    ap.add_argument("--seed-offset", type=int, nargs="+", default=[0], help="sample from each prompt's seed + these")
    ap.add_argument("--n", default="effects_sync=16,dialogue=10,styles=10,ambience=8,physics=10,multi_shot=8")
    ap.add_argument("--prompts", type=Path, default=HERE / "prompts-validation")
    ap.add_argument("--work", type=Path, default=Path("runs/guidance"))
    ap.add_argument("--out", type=Path, default=HERE / "results" / "noise_correlation.json")
    args = ap.parse_args(argv)
    rhos = [_rho(r) for r in args.rho]
    cutoffs = [_cutoff(c) for c in args.cutoff]
    settings = list(dict.fromkeys((rho, c if rho > 0 else 1.0) for rho in rhos for c in cutoffs))  # ρ = 0: no band
    counts = guidance._counts(args.n, {**guidance.PRIMARY, **ALSO})
    generator = guidance.generator_or_exit(args.checkpoint)
    from phonofilm.eval.runner import generate_suite
    from phonofilm.eval.suite import render_world

    prompts = guidance._prompts(args.prompts, counts)
    ids = [p.id for p in prompts]
    work = args.work / args.prompts.name
    world_report = guidance._run(work, "world", ids, lambda clips: render_world(prompts, clips))
    world = guidance.primary_scores(world_report)
    name = f"{guidance.run_name(args.checkpoint)}-{args.preset}"
    runs, values = [], {}  # values: (setting, metric) → {"offset/clip id": value}
    for rho, cutoff in settings:
        for offset in args.seed_offset:
            label = f"{name}-rho{rho:g}" + (f"-band{cutoff:g}" if cutoff < 1.0 else "") + \
                (f"-seed{offset:+d}" if offset else "")
            sampled = [dataclasses.replace(p, seed=p.seed + offset) for p in prompts]
            report = guidance._run(work, label, ids, lambda clips, r=rho, c=cutoff, s=sampled: generate_suite(
                s, generator, clips, preset=args.preset, noise_correlation=r, noise_correlation_cutoff=c))
            scores = guidance.primary_scores(report)
            runs.append({"noise_correlation": rho, "noise_correlation_cutoff": cutoff, "seed_offset": offset,
                         "scores": scores, "objective": guidance.objective(scores, world), "also": also_scores(report),
                         "jitter": frame_jitter.folder_jitter(work / label / "clips"),
                         "wall_s": report.get("wall_s"), "summary": report["summary"]})
            for key in [*scores, *paired_also(report)]:
                cap, metric = key.split("/")
                clip = guidance.clip_values(report, cap, metric)
                values.setdefault(((rho, cutoff), key), {}).update({f"{offset}/{i}": v for i, v in clip.items()})
            print(f"{label}: objective {runs[-1]['objective']:.3f} jitter {runs[-1]['jitter']['seam']:.2f}/"
                  f"{runs[-1]['jitter']['inside']:.2f} " + " ".join(f"{k}={v:.3f}" for k, v in scores.items()),
                  flush=True)
    keys = list(dict.fromkeys(key for setting, key in values))
    paired = [{"noise_correlation": rho, "noise_correlation_cutoff": cutoff, "against": list(settings[0]),
               "scores": {key: guidance.paired(values[((rho, cutoff), key)], values[(settings[0], key)],
                                               ("this", "against")) for key in keys}}
              for rho, cutoff in settings[1:]]
    result = {"benchmark": "noise_correlation", "checkpoint": args.checkpoint, "preset": args.preset,
              "seed_offsets": args.seed_offset,
              "prompts": str(args.prompts), "n": counts,
              "machine": guidance.machine(),
              "world": {"scores": world, "also": also_scores(world_report),
                        "jitter": frame_jitter.folder_jitter(work / "world" / "clips")},
              "runs": runs, "paired": paired}
    return guidance.write_result(args.out, result)


if __name__ == "__main__":
    main()
