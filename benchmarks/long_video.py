"""Long videos: does a 90 s generation keep its sync, its characters and its colours over time?

Usage: python benchmarks/long_video.py [--seconds 90] [--checkpoint DIR] [--out benchmarks/results/long_video.json]

Generates one `--seconds` clip at the model canvas (128×72, chunks of 8 s continuing from 1 s of clean
context, `pipeline/long.py`) and scores windows of 10 s ending at 30, 60 and 90 s against the first
10 s, from pixels and sound only (`phonofilm.eval`):
- sync: `av_offset_ms` / `av_recall` inside each window (absolute, not relative);
- attribute persistence: of the colours seen on bodies (tracks ≥ 5 frames, characters) in the window,
  the fraction also seen in the first 10 s (as `eval.metrics.multishot.attribute_persistence` does
  across cuts);
- identity persistence: for characters seen in the window, the best colour make-up match
  (`eval.metrics.identity.character_similarity`) to a character of the first 10 s;
- drift of the whole picture and sound, measurable whatever the perception finds: palette similarity
  (intersection of 64-bin colour histograms) and loudness change (dB RMS) against the first 10 s.
- steadiness (`frame_jitter.py`): the median frame-to-frame change where latent frames meet and inside
  them, and the largest change around where each chunk after the first starts sampling (after its clean
  context) over the median largest change in any 5-frame window: a chunk that does not continue its
  context shows as a jump there (≈ 1 where a join looks like anywhere else).
The prompt is the world's own caption of a one-shot 90 s scene; that scene's render (its ground truth)
is the baseline. `--noise-correlation` samples with that share of noise common to the shot's latent
frames (default: the preset's), `--tag` names the run in the output.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

WINDOW = 10.0


def window(clip, start: float, seconds: float = WINDOW):
    """The clip's [start, start + seconds) as its own Clip (ground truth dropped)."""
    import dataclasses

    a, b = round(start * clip.fps), round((start + seconds) * clip.fps)
    sa, sb = round(start * clip.sample_rate), round((start + seconds) * clip.sample_rate)
    return dataclasses.replace(clip, frames=clip.frames[a:b], audio=clip.audio[:, sa:sb], truth=None)


def colours(analysis) -> set[str]:
    from phonofilm.eval.metrics.multishot import MIN_TRACK

    return {t.colour for t in analysis.video.tracks if t.length >= MIN_TRACK} | {c.colour for c in analysis.characters}


def score(clip, checkpoints: list[float]) -> dict:
    """Sync per window; attribute / identity persistence of each later window against the first."""
    from phonofilm.eval.analysis import ClipAnalysis
    from phonofilm.eval.metrics.identity import character_similarity
    from phonofilm.eval.metrics.sync import analyse_sync

    first = ClipAnalysis(window(clip, 0.0))
    first_colours, first_chars = colours(first), first.characters
    first_palette, first_rms = palette(first.clip), rms(first.clip)
    rows = {}
    for end in [WINDOW, *checkpoints]:
        a = first if end == WINDOW else ClipAnalysis(window(clip, end - WINDOW))
        sync = analyse_sync(a.clip, None, a)
        seen = colours(a)
        row = {"av_offset_ms": _num(sync.mean_offset_ms), "av_recall": _num(sync.recall),
               "colours": sorted(seen), "characters": len(a.characters)}
        if end != WINDOW:
            row["palette_similarity"] = _num(float(np.minimum(palette(a.clip), first_palette).sum()))
            row["loudness_change_db"] = _num(20 * np.log10(max(rms(a.clip), 1e-6) / max(first_rms, 1e-6)))
            row["attribute_persistence"] = _num(len(seen & first_colours) / len(seen) if seen else float("nan"))
            scores = [max(character_similarity(c, o) for o in first_chars) for c in a.characters] if first_chars else []
            row["identity_persistence"] = _num(float(np.mean(scores)) if scores else float("nan"))
        rows[f"{end:g}s"] = row
    return rows


def steadiness(clip, joins: list[int], every: int) -> dict:
    """Median change where latent frames meet / inside them (frame_jitter.py), and the largest change within
    ±2 frames of each frame in `joins` (where a chunk's own frames begin) over the median of that largest
    change in every 5-frame window (≈ 1 where a join looks like anywhere else)."""
    from frame_jitter import frame_changes

    change = frame_changes(clip.frames)
    seam = np.arange(1, len(clip.frames)) % every == 1
    typical = float(np.median(np.lib.stride_tricks.sliding_window_view(change, 5).max(axis=1)))
    at = [float(change[j - 3 : j + 2].max()) / max(typical, 1e-6) for j in joins if 3 <= j < len(change) - 1]
    return {"seam": _num(float(np.median(change[seam]))), "inside": _num(float(np.median(change[~seam]))),
            "join_jump": [_num(x) for x in at], "join_jump_mean": _num(float(np.mean(at)) if at else float("nan"))}


def palette(clip) -> np.ndarray:
    """Normalised 64-bin colour histogram (4 levels per channel) of every 4th frame."""
    q = (clip.frames[::4] // 64).reshape(-1, 3).astype(np.int64)
    h = np.bincount(q[:, 0] * 16 + q[:, 1] * 4 + q[:, 2], minlength=64).astype(np.float64)
    return h / max(h.sum(), 1.0)


def rms(clip) -> float:
    return float(np.sqrt(np.mean(clip.audio.astype(np.float64) ** 2)))


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=90.0)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--noise-correlation", type=float, default=None, help="default: the preset's")
    ap.add_argument("--tag", default="")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/long_video.json"))
    args = ap.parse_args()
    if args.noise_correlation is not None and not 0.0 <= args.noise_correlation < 1.0:
        ap.error(f"--noise-correlation {args.noise_correlation:g}: a noise correlation is in [0, 1)")
    import torch

    from phonofilm.pipeline.generate import default_checkpoint, load_generator
    from phonofilm.pipeline.request import GenerationRequest
    from phonofilm.world.make import make_clip
    from phonofilm.world.sampler import sample_scene

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    checkpoints = [t for t in (30.0, 60.0, 90.0) if t <= args.seconds]
    pipe = load_generator(args.checkpoint or default_checkpoint())
    t1 = time.perf_counter()
    scene = sample_scene(args.seed, min(args.seconds, 120.0), n_shots=1, ambience="rain")
    world = make_clip(scene, 128, 72, 16.0, 16000, 2)
    world_wall = time.perf_counter() - t1
    prompt = world.caption
    t0 = time.perf_counter()
    result = pipe.generate(GenerationRequest(prompt, args.seconds, 128, 72, args.seed,
                                             noise_correlation=args.noise_correlation))
    wall = time.perf_counter() - t0
    clip = result.clip
    layout = pipe.system.config.layout
    joins = [layout.first_frame(c["chunk"].start + c["chunk"].context) + 1 for c in pipe.last_chunks[1:]]
    print(f"generated {clip.duration:.1f} s in {wall:.1f} s ({result.metadata['chunks']} chunks)", flush=True)
    report = {
        "benchmark": "long_video", "tag": args.tag, "seconds": args.seconds, "prompt": prompt, "seed": args.seed,
        "noise_correlation": float(result.metadata["noise_correlation"]),
        "checkpoint": str(args.checkpoint or default_checkpoint()),
        "generated": {"wall_s": round(wall, 1), "chunks": int(result.metadata["chunks"]),
                      "frames": int(clip.frames.shape[0]), "audio_samples": int(clip.audio.shape[1]),
                      "windows": score(clip, checkpoints),
                      "steadiness": steadiness(clip, joins, layout.frames_per_latent)},
        "world_baseline": {"render_wall_s": round(world_wall, 1), "caption": world.caption,
                           "windows": score(world, checkpoints),
                           "steadiness": steadiness(world, joins, layout.frames_per_latent)},
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "python": platform.python_version()},
        "note": "windows are the 10 s ending at each time; persistence is measured against the first 10 s",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: report[k] for k in ("generated", "world_baseline")}, indent=1)[:3000])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
