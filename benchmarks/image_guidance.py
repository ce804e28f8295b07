"""Image-to-video guided toward its given frame: does it mend the jump without losing the prompt?

Sampled from noise with the given frame's clean latent held fixed, an image-to-video clip jumps away from
that frame (`continuation_jump` ≈ 2.2 on the validation split; the world's ≈ 0.03). Starting from the still
image mends the jump and loses the prompt (`image_still_start.py`). Here the sampler instead runs a second
pass with the frame left free (noised to the current level) and pushes the free latents toward what the
frame implies: v = v_free + s·(v_given − v_free) (`diffusion.guidance.ImageGuidance`,
`GenerationRequest.image_guidance`). s = 1 is sampling without it (the pipeline until session 17, and
`image_still_start.py`'s t₀ = 1 run); since then the presets use s = 5 at t ≤ 0.7. `--below T` guides only the steps at noise levels t ≤ T (the last ones, where details rather than
layout and motion are decided; `GenerationPreset.image_guidance_below`).

For each s, on the first N image-to-video prompts of the validation split (runs cached under --work): the
suite's image-to-video scores (first-frame PSNR, continuation jump, prompt adherence), the generic scores
(effects sync over chance, colour, permanence, ambience) and motion, as in `image_still_start.py`, and a
paired bootstrap of each suite score against s = 1.

Usage: python benchmarks/image_guidance.py [--scale 1 1.5 2 3] [--below 1] [--n 10] [--checkpoint default]
       [--work runs/guidance] [--out benchmarks/results/image_guidance.json]
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

import guidance
from image_still_start import SUITE, generic_scores, motion

HERE = Path(__file__).resolve().parent


def guided_below(pipe, below: float):
    """`pipe` (a loaded Pipeline) with image guidance only at noise levels t ≤ `below` (1: every step), in
    place of its preset's `image_guidance_below`."""

    class Below(type(pipe)):
        def _plan(self, request):
            plan, context = super()._plan(request)
            return dataclasses.replace(plan, preset=dataclasses.replace(plan.preset, image_guidance_below=below)), context

    return Below(pipe.system, pipe.record, pipe.checkpoint, str(pipe.device), pipe.long, pipe.upsampler)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="default")
    ap.add_argument("--scale", type=float, nargs="+", default=[1.0, 1.5, 2.0, 3.0])
    ap.add_argument("--below", type=float, default=1.0, help="guide only at noise levels t ≤ this (1 = every step)")
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--prompts", type=Path, default=HERE / "prompts-validation")
    ap.add_argument("--work", type=Path, default=Path("runs/guidance"))
    ap.add_argument("--out", type=Path, default=HERE / "results" / "image_guidance.json")
    args = ap.parse_args(argv)
    if args.n < 1:
        raise SystemExit(f"--n {args.n}: give how many prompts to generate, at least 1")
    from phonofilm.pipeline.validate import MAX_GUIDANCE

    if bad := [s for s in args.scale if not 0.0 <= s <= MAX_GUIDANCE]:
        raise SystemExit(f"--scale {bad[0]:g}: an image guidance scale is in [0, {MAX_GUIDANCE:g}] (1 = none)")
    if not 0.0 < args.below <= 1.0:
        raise SystemExit(f"--below {args.below:g}: a noise level in (0, 1] (1 = guide every step)")
    generator = guided_below(guidance.generator_or_exit(args.checkpoint), args.below)
    from phonofilm.eval.runner import generate_suite
    from phonofilm.eval.suite import render_world

    prompts = guidance._prompts(args.prompts, {"image_to_video": args.n})
    ids, work = [p.id for p in prompts], args.work / args.prompts.name
    name = guidance.run_name(args.checkpoint)

    def row(label: str, report: dict) -> dict:
        per_clip = {m: guidance.clip_values(report, "image_to_video", m) for m in SUITE}
        return {"suite": {m: float(np.mean([x for x in v.values() if x is not None])) for m, v in per_clip.items()},
                "per_clip": per_clip, "generic": generic_scores(work / label / "clips"),
                "motion": motion(work / label / "clips")}

    result = {"benchmark": "image_guidance", "checkpoint": args.checkpoint, "prompts": str(args.prompts),
              "below": args.below, "n": len(ids), "machine": guidance.machine(),
              "world": row("world", guidance._run(work, "world", ids, lambda clips: render_world(prompts, clips))),
              "runs": []}
    base = None
    for scale in args.scale:
        below = f"-below{args.below:g}" if args.below < 1.0 else ""
        label = f"{name}-imageg{scale:g}{below}" if scale != 1.0 else f"{name}-still1"  # s = 1: unguided
        report = guidance._run(work, label, ids, lambda clips, s=scale: generate_suite(
            prompts, generator, clips, image_guidance=s))
        r = {"scale": scale, **row(label, report)}
        if scale == 1.0:
            base = r
        elif base is not None:
            r["against_1"] = {m: guidance.paired(r["per_clip"][m], base["per_clip"][m], (f"{scale:g}", "1"))
                              for m in SUITE}
        result["runs"].append(r)
        print(f"s {scale:g}: " + " ".join(f"{k}={v:.3f}" for k, v in r["suite"].items()) + f" motion {r['motion']}",
              flush=True)
    return guidance.write_result(args.out, result)


if __name__ == "__main__":
    main()
