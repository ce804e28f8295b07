"""World rendering throughput: clips per second per core, with a per-stage breakdown.

Usage: python benchmarks/world.py [--clips N] [--out benchmarks/results/world.json]
Runs in one process pinned to one thread, so the numbers are per core.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def stage_times(seeds: list[int], width: int, height: int, fps: float, seconds: float) -> dict[str, float]:
    """Mean milliseconds per clip of each stage of phonofilm.world.make.make_clip."""
    from phonofilm.world.caption import caption
    from phonofilm.world.physics import simulate
    from phonofilm.world.render.frames import render_frames
    from phonofilm.world.sampler import sample_scene
    from phonofilm.world.sound.mix import render_audio
    from phonofilm.world.sound.speech import synthesize_dialogue

    acc = {"sample": 0.0, "physics": 0.0, "speech": 0.0, "render": 0.0, "audio": 0.0, "caption": 0.0}
    for seed in seeds:
        t0 = time.perf_counter()
        scene = sample_scene(seed, duration=seconds)
        t1 = time.perf_counter()
        sim = simulate(scene)
        t2 = time.perf_counter()
        utts = synthesize_dialogue(scene, 16000)
        t3 = time.perf_counter()
        render_frames(scene, sim, utts, width, height, fps)
        t4 = time.perf_counter()
        render_audio(scene, sim, utts, 16000, 2)
        t5 = time.perf_counter()
        caption(scene, sim.events)
        t6 = time.perf_counter()
        for k, dt in zip(acc, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=True):
            acc[k] += dt
    return {k: round(1000 * v / len(seeds), 3) for k, v in acc.items()}


def throughput(n: int, width: int, height: int, fps: float, seconds: float, seed0: int) -> dict:
    """End-to-end clips/s of make_clip_from_seed (after one warm-up clip)."""
    from phonofilm.world.make import make_clip_from_seed

    make_clip_from_seed(seed0 - 1, seconds, width, height, fps)  # warm-up: library loads, caches
    t0 = time.perf_counter()
    for s in range(seed0, seed0 + n):
        make_clip_from_seed(s, seconds, width, height, fps)
    dt = time.perf_counter() - t0
    return {
        "size": f"{width}x{height}", "fps": fps, "seconds": seconds, "clips": n,
        "clips_per_s_per_core": round(n / dt, 2), "ms_per_clip": round(1000 * dt / n, 2),
        "stages_ms": stage_times(list(range(seed0, seed0 + min(n, 20))), width, height, fps, seconds),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clips", type=int, default=100, help="clips per training-size configuration")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/world.json"))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    configs = [
        (128, 72, 16.0, 4.0, args.clips),  # phonofilm's training size
        (96, 54, 12.0, 4.0, args.clips),  # the example size
        (64, 64, 12.0, 4.0, args.clips),
        (1280, 720, 24.0, 4.0, max(2, args.clips // 50)),
    ]
    results = [throughput(n, w, h, f, s, seed0=1000) for w, h, f, s, n in configs]
    report = {
        "benchmark": "world", "target": ">= 20 clips/s per core at training size",
        "machine": {"cpu": platform.processor() or platform.machine(), "cores_used": 1,
                    "python": platform.python_version()},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    for r in results:
        print(f"{r['size']:>9} {r['fps']:>4g} fps {r['seconds']:g} s: {r['clips_per_s_per_core']:7.2f} clips/s/core "
              f"({r['ms_per_clip']:.1f} ms/clip)  stages ms: {r['stages_ms']}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
