"""Multi-shot image-to-video: does the shot a given frame anchors need noise of its own?

For the first N multi-shot prompts of the validation split, given the first frame of the world's render,
sample at noise correlation ρ (0.3: what the presets use for multi-shot requests) two ways:
 - "anchored": as the pipeline does, the shot holding the clean first-frame latent keeps independent
   noise and the later shots share theirs (`diffusion/noise.py`);
 - "shared": the anchor ignored, every shot shares its noise (the rule before session 15).
Scores: the image-to-video metrics (continuation jump, first-frame PSNR) and the multi-shot ones (cut-count
error), with the world's render of the same prompts beside. Runs are cached under --work.

Usage: python benchmarks/anchored_noise.py [--n 8] [--rho 0.3] [--checkpoint default] [--work runs/guidance]
       [--out benchmarks/results/anchored_noise.json]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
from pathlib import Path

import numpy as np

import guidance

HERE = Path(__file__).resolve().parent


@contextlib.contextmanager
def anchors_ignored():
    """The pipeline's starting noise shared in every shot, anchored or not."""
    import phonofilm.pipeline.generate as generate

    real = generate.shot_correlated

    def shared(noise, rho, cuts=(), generator=None, cutoff=None, anchored=()):
        return real(noise, rho, cuts, generator, cutoff)

    generate.shot_correlated = shared
    try:
        yield
    finally:
        generate.shot_correlated = real


def image_scores(folder: Path) -> dict:
    """Mean continuation jump and first-frame PSNR of the clips in `folder` against their given images."""
    from phonofilm.eval.metrics.i2v import continuation_jump, first_frame_psnr
    from phonofilm.eval.suite import load_clip_dir

    jumps, psnrs = [], []
    for item in load_clip_dir(folder):
        jumps.append(continuation_jump(item.clip))
        psnrs.append(first_frame_psnr(item.clip, item.target))
    return {"continuation_jump": round(float(np.mean(jumps)), 4), "first_frame_psnr": round(float(np.mean(psnrs)), 3),
            "clips": len(jumps)}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="default")
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--rho", type=float, default=0.3)
    ap.add_argument("--prompts", type=Path, default=HERE / "prompts-validation")
    ap.add_argument("--work", type=Path, default=Path("runs/guidance"))
    ap.add_argument("--out", type=Path, default=HERE / "results" / "anchored_noise.json")
    args = ap.parse_args(argv)
    if args.n < 1:
        raise SystemExit(f"--n {args.n}: give how many prompts to generate, at least 1")
    if not 0.0 < args.rho < 1.0:
        raise SystemExit(f"--rho {args.rho:g}: a shared share is in (0, 1)")
    generator = guidance.generator_or_exit(args.checkpoint)
    from phonofilm.eval.runner import generate_suite
    from phonofilm.eval.suite import render_world

    prompts = [dataclasses.replace(p, id=f"{p.id}-i2v", image="first_frame")
               for p in guidance._prompts(args.prompts, {"multi_shot": args.n})]
    ids, work = [p.id for p in prompts], args.work / args.prompts.name
    name = f"{guidance.run_name(args.checkpoint)}-ms-i2v-rho{args.rho:g}"
    rows = {"world": guidance._run(work, "world-ms-i2v", ids, lambda clips: render_world(prompts, clips))}
    rows["anchored"] = guidance._run(work, f"{name}-anchored", ids, lambda clips: generate_suite(
        prompts, generator, clips, noise_correlation=args.rho))
    with anchors_ignored():
        rows["shared"] = guidance._run(work, f"{name}-shared", ids, lambda clips: generate_suite(
            prompts, generator, clips, noise_correlation=args.rho))
    folders = {"world": "world-ms-i2v", "anchored": f"{name}-anchored", "shared": f"{name}-shared"}
    result = {"benchmark": "anchored_noise", "checkpoint": args.checkpoint, "rho": args.rho, "n": len(ids),
              "prompts": str(args.prompts), "machine": guidance.machine(), "runs": {}}
    for key, report in rows.items():
        cut = guidance.clip_values(report, "multi_shot", "cut_count_error")
        got = [v for v in cut.values() if v is not None]
        result["runs"][key] = {**image_scores(work / folders[key] / "clips"),
                               "cut_count_error": round(float(np.mean(got)), 4) if got else None}
        print(key, json.dumps(result["runs"][key]), flush=True)
    return guidance.write_result(args.out, result)


if __name__ == "__main__":
    main()
