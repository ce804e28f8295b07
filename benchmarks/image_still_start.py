"""Image-to-video started from the still image: does it mend the jump away from the given frame?

An experiment, not a pipeline option. The shipped pipeline samples an image-to-video clip from pure noise
(t = 1) with the given frame's clean latent held fixed, and the clip jumps away from that frame
(`continuation_jump` ≈ 2.2 on the validation split; the world's ≈ 0.1). Here the free latent frames start
instead from the still image's latents (the image repeated over the clip, encoded by the video VAE)
re-noised to a start time t₀, (1 − t₀)·z_still + t₀·ε, and sampling runs from t₀ (as a remix starts part
way down the schedule). The sound starts from its own noise at t₀: the one timestep is shared. t₀ = 1 is
the pipeline's own sampling without image guidance (image_guidance 1, as shipped until session 17 and as
this experiment was measured; it is also `image_guidance.py`'s s = 1 run, under the same label).

For each t₀, on the first N image-to-video prompts of the validation split (runs cached under --work):
 - the suite's image-to-video scores: first-frame PSNR, continuation jump, prompt adherence;
 - the generic scores (effects sync over chance, colour accuracy, permanence, ambience; the prompts
   describe objects thrown, dropped and heard) with how many clips each was measurable in;
 - motion: the median frame-to-frame change and the mean difference between the first and last frames
   (grey levels on the eval's coarse grid), against the world's render of the same prompts.

Usage: python benchmarks/image_still_start.py [--start 1 0.9 0.7 0.5] [--n 10] [--checkpoint default]
       [--work runs/guidance] [--out benchmarks/results/image_still_start.json]
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

import frame_jitter
import guidance

HERE = Path(__file__).resolve().parent
SUITE = ("first_frame_psnr", "continuation_jump", "prompt_adherence")
GENERIC = ("av_recall_over_chance", "av_precision_over_chance", "colour_accuracy", "permanence_violations",
           "gravity_error", "ambience_match", "prompt_adherence")


def still_start_pipeline(pipe, start: float):
    """`pipe` (a loaded Pipeline) sampling image-to-video requests from the still image re-noised to `start`;
    `pipe` itself at 1. The weights are shared, not loaded again."""
    import torch

    from phonofilm.media.conform import conform
    from phonofilm.train.steps import video_to_model

    if start >= 1.0:
        return pipe

    class StillStart(type(pipe)):
        def _chunk_inputs(self, request, plan, chunk, zv, za):
            x, cond_v, cond_a, start_t = super()._chunk_inputs(request, plan, chunk, zv, za)
            if chunk.index == 0 and request.image is not None and chunk.context == 0:
                c, vae = plan.canvas, self.system.video_vae
                still, _ = conform(request.image[None], self.system.config.fps, None, None, c.width, c.height, 1)
                still = np.repeat(still, c.layout.frames_for(chunk.length), axis=0)
                z = vae.normalize(vae.encode(video_to_model(torch.from_numpy(still)[None], self.device)).mean)
                x["video"][:, :, 1:] = (1 - start) * z[:, :, 1:] + start * x["video"][:, :, 1:]
                start_t = start
            return x, cond_v, cond_a, start_t

    return StillStart(pipe.system, pipe.record, pipe.checkpoint, str(pipe.device), pipe.long, pipe.upsampler)


def motion(folder: Path) -> dict:
    """Median over clips of the median frame-to-frame change and of the first-to-last frame difference."""
    from phonofilm.eval.perception.video import coarse, picture_rows
    from phonofilm.media.mp4_read import read_mp4

    rows = []
    for path in sorted(folder.glob("*.mp4")):
        frames = read_mp4(path).frames
        top, bottom = picture_rows(frames)
        grid = coarse(frames[[0, -1], top:bottom])
        rows.append((float(np.median(frame_jitter.frame_changes(frames)[1:])), float(np.abs(grid[1] - grid[0]).mean())))
    a = np.array(rows)
    return {"median_change": round(float(np.median(a[:, 0])), 3), "first_to_last": round(float(np.median(a[:, 1])), 3)}


def generic_scores(folder: Path) -> dict:
    """The clips scored as 'generic' (the physics, sync, style and ambience metrics): mean and measurable."""
    from phonofilm.eval.suite import load_clip_dir, score

    values: dict[str, list[float]] = {}
    for item in load_clip_dir(folder):
        metrics = score(dataclasses.replace(item, capability="generic")).metrics
        for name in GENERIC:
            values.setdefault(name, []).append(metrics.get(name, float("nan")))
    out = {}
    for name, v in values.items():
        got = [x for x in v if np.isfinite(x)]
        out[name] = {"mean": round(float(np.mean(got)), 4) if got else None, "measurable": len(got), "clips": len(v)}
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="default")
    ap.add_argument("--start", type=float, nargs="+", default=[1.0, 0.9, 0.7, 0.5])
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--prompts", type=Path, default=HERE / "prompts-validation")
    ap.add_argument("--work", type=Path, default=Path("runs/guidance"))
    ap.add_argument("--out", type=Path, default=HERE / "results" / "image_still_start.json")
    args = ap.parse_args(argv)
    if args.n < 1:
        raise SystemExit(f"--n {args.n}: give how many prompts to generate, at least 1")
    if bad := [s for s in args.start if not 0.0 < s <= 1.0]:
        raise SystemExit(f"--start {bad[0]:g}: a start time is in (0, 1] (1 = from pure noise)")
    generator = guidance.generator_or_exit(args.checkpoint)
    from phonofilm.eval.runner import generate_suite
    from phonofilm.eval.suite import render_world

    prompts = guidance._prompts(args.prompts, {"image_to_video": args.n})
    ids, work = [p.id for p in prompts], args.work / args.prompts.name
    name = guidance.run_name(args.checkpoint)

    def row(label: str, report: dict) -> dict:
        suite = {m: guidance.clip_values(report, "image_to_video", m) for m in SUITE}
        return {"suite": {m: float(np.mean([x for x in v.values() if x is not None])) for m, v in suite.items()},
                "generic": generic_scores(work / label / "clips"), "motion": motion(work / label / "clips")}

    result = {"benchmark": "image_still_start", "checkpoint": args.checkpoint, "prompts": str(args.prompts),
              "n": len(ids), "machine": guidance.machine(),
              "world": row("world", guidance._run(work, "world", ids, lambda clips: render_world(prompts, clips))),
              "runs": []}
    for start in args.start:
        label = f"{name}-still{start:g}"
        pipe = still_start_pipeline(generator, start)
        report = guidance._run(work, label, ids, lambda clips, g=pipe: generate_suite(prompts, g, clips,
                                                                                  image_guidance=1.0))
        result["runs"].append({"start": start, **row(label, report)})
        r = result["runs"][-1]
        print(f"t0 {start:g}: " + " ".join(f"{k}={v:.3f}" for k, v in r["suite"].items()) + f" motion {r['motion']}",
              flush=True)
    return guidance.write_result(args.out, result)


if __name__ == "__main__":
    main()
