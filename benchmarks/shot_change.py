"""Does the model change the shot where the script says? Latent contrast at the scripted cuts.

The pipeline decodes a generation with the video decoder's causal context cut where each shot starts,
and that alone can make a visible jump: the cut count of `phonofilm eval` then measures the pipeline.
This looks before decoding. Per multi-shot prompt, the generated video latents are compared from one
latent frame to the next (RMS of the difference, in diffusion space). The contrast of a cut is the
change into the latent where a shot starts over the median change between the other consecutive
latents (latent 0, a lone first frame, is left out). A model that ignores the script measures ≈ 1.
The same is taken of the world's own render of each prompt encoded by the checkpoint's video VAE, at
the world's true cuts (where shot conditioning puts them in training).

`--restarts N` also asks the opposite question of the decoder: N single-shot physics prompts are generated
and decoded with the decoder's context cut at unscripted latents (7 and 9, t ≈ 1.6 s and 2.1 s), and the
eval's cut detector counts how many of those restarts read as cuts. On latents that change no more there
than anywhere, a restart that shows up is the decoder's doing, not the model's.

Usage: python benchmarks/shot_change.py [--checkpoint default runs/x untrained:small] [--prompts DIR]
       [--n 26] [--restarts 6] [--out benchmarks/results/shot_change.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")


def cut_contrast(z, cuts: list[int]) -> list[float]:
    """Per cut: the change into latent j over the median change between other latents ≥ 2 ([1, C, F, h, w])."""
    step = ((z[:, :, 1:] - z[:, :, :-1]) ** 2).mean(dim=(0, 1, 3, 4)).sqrt().numpy()  # step[j-1]: into latent j
    others = [step[j - 1] for j in range(2, z.shape[2]) if j not in cuts]
    if not cuts or not others:
        return []
    return [float(step[j - 1] / max(np.median(others), 1e-8)) for j in cuts]


def _world_latents(gen, p) -> tuple:
    """The world's render of prompt `p` encoded by `gen`'s video VAE on its canvas, and the world's cuts."""
    import torch

    from phonofilm.pipeline.storyboard import clip_storyboard
    from phonofilm.world.make import make_clip
    from phonofilm.world.scene import Scene

    clip = make_clip(Scene.from_dict(p.scene), p.width, p.height, p.fps, p.sample_rate, 2)
    canvas, frames, _ = gen.on_canvas(clip, p.width, p.height)
    vae = gen.system.video_vae
    with torch.no_grad():
        z = vae.normalize(vae.encode(frames[None]).mean)
    return z, clip_storyboard(clip).latent_cuts(canvas.latent_frames, gen.system.config.fps, canvas.layout)


RESTART_AT = (7, 9)  # unscripted latent frames of a 4 s clip


def restarts(gen, prompts: list) -> dict:
    """How often a decoder restart at an unscripted latent reads as a cut in single-shot generations."""
    import torch

    from phonofilm.eval.perception.video import detect_cuts
    from phonofilm.pipeline.request import GenerationRequest
    from phonofilm.pipeline.upsample import upsample_to

    seen, vae = 0, gen.system.video_vae
    for p in prompts:
        clip = gen.generate(GenerationRequest(p.prompt, p.seconds, p.width, p.height, seed=p.seed)).clip
        z = vae.denormalize(gen.last_chunks[0]["video"])
        for j in RESTART_AT:
            with torch.no_grad():
                frames = vae.decode(z, chunk=4, cuts=[j])[0, :, : len(clip.frames)]
            video, _ = upsample_to(frames, p.width, p.height, gen.upsampler)
            first = gen.system.config.layout.frames_for(j)  # the restarted latent's first frame
            seen += int(any(abs(c - first) <= 1 for c in detect_cuts(video)))
    return {"prompts": len(prompts), "restarts": len(prompts) * len(RESTART_AT), "read_as_cuts": seen}


def measure(gen, prompts: list, world: bool) -> dict:
    """Latent contrast at the cuts of each prompt: the world's encoded render, or `gen`'s generation."""
    from phonofilm.pipeline.request import GenerationRequest
    from phonofilm.pipeline.storyboard import storyboard_from_prompt

    cfg, rows = gen.system.config, []
    for p in prompts:
        if world:
            z, cuts = _world_latents(gen, p)
        else:
            gen.generate(GenerationRequest(p.prompt, p.seconds, p.width, p.height, seed=p.seed))
            z = gen.last_chunks[0]["video"]
            cuts = storyboard_from_prompt(p.prompt, p.seconds).latent_cuts(z.shape[2], cfg.fps, cfg.layout)
        rows.append({"id": p.id, "cuts": cuts, "contrast": [round(c, 3) for c in cut_contrast(z, cuts)]})
    every = [c for r in rows for c in r["contrast"]]
    return {"prompts": len(rows), "cuts": len(every), "median_contrast": round(float(np.median(every)), 3) if every else None,
            "share_over_2": round(float(np.mean(np.array(every) > 2)), 3) if every else None, "clips": rows}


def main(argv: list[str] | None = None) -> int:
    from phonofilm.eval.runner import build_generator
    from phonofilm.eval.suite import load_suite

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", nargs="+", default=["default"], help="'default', a folder, or untrained:PRESET")
    ap.add_argument("--prompts", type=Path, default=Path(__file__).parent / "prompts")
    ap.add_argument("--n", type=int, default=26, help="the first N multi-shot prompts")
    ap.add_argument("--no-world", action="store_true", help="skip the world's own latents")
    ap.add_argument("--restarts", type=int, default=0, help="also restart the decoder in N single-shot prompts")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/shot_change.json"))
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error(f"--n {args.n}: give at least 1 prompt")
    try:
        prompts = load_suite("multi_shot", args.prompts)[: args.n]
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    gens = {}
    for spec in args.checkpoint:
        try:
            gens[spec] = build_generator(spec)
        except (OSError, ValueError) as err:
            print(f"error: {spec}: {err}", file=sys.stderr)
            return 2
    results = {} if args.no_world else {"world": measure(gens[args.checkpoint[0]], prompts, world=True)}
    for spec, gen in gens.items():
        results[spec] = measure(gen, prompts, world=False)
    for name, r in results.items():
        print(f"{name:>16}: median contrast at cuts {r['median_contrast']}  over 2: {r['share_over_2']}  ({r['cuts']} cuts)")
    if args.restarts > 0:
        physics = load_suite("physics", args.prompts)[: args.restarts]
        for spec, gen in gens.items():
            results[spec]["unscripted_restarts"] = r = restarts(gen, physics)
            print(f"{spec:>16}: {r['read_as_cuts']} of {r['restarts']} unscripted decoder restarts read as cuts")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"prompts": str(args.prompts), "n": args.n, "runs": results}, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
