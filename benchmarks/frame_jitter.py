"""Temporal jitter of clips: how much the picture changes from frame to frame where latent frames meet,
and inside them — the 4× causal video VAE's seam, and how steady a generator's picture is.

For each mp4 in each folder (e.g. the `clips/` a `phonofilm eval` run writes), frames are reduced to the
eval's coarse 18×32 grid (letterbox removed, as the cut detector sees them) and the mean absolute change
(0–255) of each frame from the one before is taken. Changes into frames 1 + 4m (where latent frame m + 1
starts) are "seam" changes, the rest "inside". Per folder: the median over clips of each clip's median
seam and inside change, and their ratio. Medians keep the clip's few real cuts and impacts out.
World clips (no latents) measure ≈ 0.5 both ways; a steady model would too.

Usage: python benchmarks/frame_jitter.py NAME=FOLDER [NAME=FOLDER ...] [--every 4] [--out benchmarks/results/frame_jitter.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def frame_changes(frames: np.ndarray) -> np.ndarray:
    """[T - 1] mean absolute change (0–255) on the eval's coarse grid into each frame t + 1 of `frames`
    [T, H, W, 3] uint8 (letterbox removed)."""
    from phonofilm.eval.perception.video import coarse, picture_rows

    top, bottom = picture_rows(frames)
    return np.abs(np.diff(coarse(frames[:, top:bottom]), axis=0)).mean(axis=(1, 2, 3))


def clip_jitter(path: Path, every: int = 4) -> tuple[float, float]:
    """(median seam change, median inside change) of one mp4; seams are changes into frames 1 + every·m."""
    from phonofilm.media.mp4_read import read_mp4

    frames = read_mp4(path).frames
    if len(frames) < 2 * every + 1:
        raise ValueError(f"{path}: {len(frames)} frames; frame jitter needs at least {2 * every + 1}")
    change = frame_changes(frames)
    seam = np.arange(1, len(frames)) % every == 1
    return float(np.median(change[seam])), float(np.median(change[~seam]))


def folder_jitter(folder: Path, every: int = 4) -> dict:
    clips = sorted(folder.glob("*.mp4"))
    if not clips:
        raise ValueError(f"{folder}: no .mp4 files")
    per = np.array([clip_jitter(c, every) for c in clips])
    seam, inside = float(np.median(per[:, 0])), float(np.median(per[:, 1]))
    return {"folder": str(folder), "clips": len(clips), "seam": round(seam, 3), "inside": round(inside, 3),
            "ratio": round(seam / max(inside, 1e-6), 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="NAME=FOLDER of mp4 clips")
    ap.add_argument("--every", type=int, default=4, help="frames per latent frame (4: the shipped video VAE)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/frame_jitter.json"))
    args = ap.parse_args(argv)
    if args.every < 2:
        ap.error(f"--every {args.every}: a seam needs at least 2 frames per latent frame")
    results = {}
    for item in args.runs:
        name, sep, folder = item.partition("=")
        if not sep or not name or not folder:
            ap.error(f"{item!r}: give NAME=FOLDER")
        try:
            results[name] = folder_jitter(Path(folder), args.every)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        r = results[name]
        print(f"{name:>12}: seam {r['seam']:.2f}  inside {r['inside']:.2f}  ratio {r['ratio']:.2f}  ({r['clips']} clips)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"every": args.every, "runs": results}, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
