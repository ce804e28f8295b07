"""Generation speed and memory of the shipped model on this machine (CPU, fp32).

Usage: python benchmarks/generate.py [--out benchmarks/results/generate.json] [--checkpoint DIR]
Each configuration runs in a fresh process (`phonofilm generate`), so wall time includes loading the
model and the text encoder, and peak RSS is the whole process's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPT = ('A red rubber ball is dropped onto a wooden floor and bounces with a dull thud. '
          'Pip says, "Watch this!" Realistic.')
TARGET = {"seconds": 4, "size": "1280x720", "max_wall_s": 30.0, "max_rss_gb": 4.0}


def run(seconds: float, size: str, preset: str, checkpoint: str | None) -> dict:
    with tempfile.TemporaryDirectory() as td:
        out = Path(td) / "clip.mp4"
        cmd = [sys.executable, "-m", "phonofilm", "generate", PROMPT, "--out", str(out), "--seconds",
               str(seconds), "--size", size, "--seed", "1", "--preset", preset]
        if checkpoint:
            cmd += ["--checkpoint", checkpoint]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        wall = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB, max over children so far
    return {"seconds": seconds, "size": size, "preset": preset, "wall_s": round(wall, 2),
            "peak_rss_gb": round(max(rss, before) / 1024**2, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/generate.json"))
    ap.add_argument("--checkpoint", default=None)
    args = ap.parse_args()
    configs = [(4, "1280x720", "sora-2"), (12, "1280x720", "sora-2"), (20, "1280x720", "sora-2"),
               (4, "1920x1080", "sora-2"), (4, "1280x720", "sora-2-pro")]
    results = []
    for seconds, size, preset in configs:  # smallest first: RUSAGE_CHILDREN keeps the maximum so far
        r = run(seconds, size, preset, args.checkpoint)
        results.append(r)
        print(f"{r['seconds']:>3} s {r['size']:>9} {r['preset']:<10} wall {r['wall_s']:7.2f} s   "
              f"peak RSS <= {r['peak_rss_gb']:.2f} GB", flush=True)
    first = results[0]
    report = {
        "benchmark": "generate", "target": TARGET,
        "meets_target": first["wall_s"] <= TARGET["max_wall_s"] and first["peak_rss_gb"] <= TARGET["max_rss_gb"],
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "python": platform.python_version()},
        "note": "peak_rss_gb is the maximum over this and all earlier runs (getrusage of children)",
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
