"""Cameo benchmark: the subject appears when named, and does not when the prompt never names it.

For the first N prompts of the held-out cameo suite (seeds ≥ 2·10⁹), with the suite's reference
recording as the cameo and the same seed:
- **named**: the suite prompt (it names the subject) → characters seen, appearance and voice similarity;
- **unnamed**: the world's caption of the same scene with its characters and lines removed (the
  prompt names nobody) → characters seen (should be 0) and appearance similarity (should be low);
- **no cameo**: the suite prompt without the recording → how much of the similarity the text alone buys.
The world's renders of the same prompts are the ceiling / floor. Perception reads pixels and sound only.

Usage: python benchmarks/cameo.py [--n 6] [--checkpoint DIR] [--out benchmarks/results/cameo.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np


def _characters_seen(clip) -> int:
    from phonofilm.eval.analysis import ClipAnalysis

    chars = ClipAnalysis(clip).characters
    return max((sum(1 for c in chars if c.shot == s) for s in {c.shot for c in chars}), default=0)


def _scores(clip, reference) -> dict[str, float]:
    from phonofilm.eval.metrics.identity import appearance_similarity, voice_similarity
    from phonofilm.eval.target import Target

    target = Target.from_prompt(clip.caption, reference=reference)
    return {"characters_seen": float(_characters_seen(clip)),
            "appearance_similarity": appearance_similarity(clip, target),
            "voice_similarity": voice_similarity(clip, target)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/cameo.json"))
    args = ap.parse_args()
    from phonofilm.eval.suite import load_suite
    from phonofilm.pipeline.generate import default_checkpoint, load_generator
    from phonofilm.pipeline.request import Cameo, GenerationRequest
    from phonofilm.world.caption import caption
    from phonofilm.world.make import make_clip
    from phonofilm.world.physics import simulate
    from phonofilm.world.scene import Scene

    pipe = load_generator(args.checkpoint or default_checkpoint())
    rows: dict[str, list[dict[str, float]]] = {k: [] for k in
                                               ("model_named", "model_unnamed", "model_no_cameo",
                                                "world_named", "world_unnamed")}
    start = time.time()
    for p in load_suite("cameo")[: args.n]:
        scene = Scene.from_dict(p.scene)
        ref = make_clip(Scene.from_dict(p.reference["scene"]), p.width, p.height, p.fps, p.sample_rate, 2)
        cameo = Cameo(ref.truth.scene.characters[0].name, ref.frames, ref.audio, ref.fps, ref.sample_rate)
        empty = dataclasses.replace(scene, characters=(), dialogue=())
        unnamed = caption(empty, simulate(empty).events)
        base = {"seconds": p.seconds, "width": p.width, "height": p.height, "seed": p.seed % 2**31}
        runs = {"model_named": GenerationRequest(p.prompt, cameos=(cameo,), **base),
                "model_unnamed": GenerationRequest(unnamed, cameos=(cameo,), **base),
                "model_no_cameo": GenerationRequest(p.prompt, **base)}
        for name, request in runs.items():
            clip = pipe.generate(request).clip
            rows[name].append(_scores(dataclasses.replace(clip, caption=request.prompt), ref))
        world = make_clip(scene, p.width, p.height, p.fps, p.sample_rate, 2)
        rows["world_named"].append(_scores(dataclasses.replace(world, truth=None), ref))
        world_empty = make_clip(empty, p.width, p.height, p.fps, p.sample_rate, 2)
        rows["world_unnamed"].append(_scores(dataclasses.replace(world_empty, truth=None, caption=unnamed), ref))
        print(f"{p.id}: " + ", ".join(f"{k} {v[-1]['characters_seen']:.0f}/{v[-1]['appearance_similarity']:.2f}"
                                      for k, v in rows.items()), flush=True)

    def mean(values: list[float]) -> float | None:
        finite = [v for v in values if np.isfinite(v)]
        return round(float(np.mean(finite)), 4) if finite else None

    summary = {k: {m: mean([r[m] for r in v]) for m in ("characters_seen", "appearance_similarity",
                                                         "voice_similarity")} for k, v in rows.items()}
    result = {"prompts": args.n, "checkpoint": str(args.checkpoint or "default"),
              "wall_seconds": round(time.time() - start, 1), "summary": summary}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
