"""Learned upsampler vs bicubic on held-out world scenes (seeds ≥ 2·10⁹), and its CPU cost.

Usage: python benchmarks/upsampler.py [--upsampler DIR] [--scenes 8] [--threads 2] [--no-vae]
                                      [--out benchmarks/results/upsampler.json]
Without --upsampler a tiny one is trained on the fly (seconds; numbers then only prove the script runs).

For 1280×720 and 1920×1080, one frame of each held-out scene is rendered at 128×72 and at the full size;
the 128×72 frame is upsampled (a) as rendered ("clean"), (b) after the fixed VAE-like degradation used in
training's evaluation (blur σ=1 + JPEG 80, "degraded"), and (c) after a round trip through the shipped
video VAE ("vae"). Metrics against the true full-size render: PSNR (dB), gradient ratio (mean gradient
magnitude of the output / of the truth: 1.0 is as sharp as the truth, bicubic is far below), and
high-frequency energy ratio (energy of the output minus its σ=2 blur / same of the truth).
Timing: 64 frames 128×72 → each size through `upsample_to` (chunks, uint8 out) on `--threads` CPU threads:
wall seconds and process CPU seconds (on a busy host the wall time is inflated; the load average is recorded).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from phonofilm.models.upsampler import Upsampler, load_upsampler, resize
from phonofilm.pipeline.upsample import upsample_to
from phonofilm.train.upsampler import (
    UPSAMPLER_RECIPES,
    gaussian_blur,
    held_out_frames,
    psnr,
    sharpness,
    train_upsampler,
    vae_like,
)

SIZES = ((1280, 720), (1920, 1080))


def hf_energy(x: torch.Tensor) -> float:
    """Energy of the detail a σ=2 blur removes (per pixel)."""
    x = x.clamp(-1, 1)
    return float(((x - gaussian_blur(x, 2.0)) ** 2).mean())


def vae_round_trip(low: torch.Tensor) -> torch.Tensor | None:
    """Frames [N, 3, h, w] through the shipped video VAE (one-frame clips), or None if it is unavailable."""
    try:
        from phonofilm.models.system import load_system
        from phonofilm.pipeline.generate import default_checkpoint

        vae = load_system(default_checkpoint())[0].video_vae.eval()
    except Exception as e:  # a checkout without the shipped model still benchmarks the rest
        print(f"no shipped video VAE ({e}); skipping the 'vae' condition")
        return None
    with torch.inference_mode():
        x = low[:, :, None]  # [N, 3, 1, h, w]
        return vae.decode(vae.encode(x).mean)[:, :, 0].clamp(-1, 1)


@torch.inference_mode()
def quality(model: Upsampler, scenes: int, use_vae: bool) -> dict:
    out: dict = {}
    for w, h in SIZES:
        low, high = held_out_frames(scenes, (128, 72, w, h))
        conditions = {"clean": low, "degraded": vae_like(low)}
        if use_vae and (v := vae_round_trip(low)) is not None:
            conditions["vae"] = v
        ref_grad, ref_hf = sharpness(high), hf_energy(high)
        res: dict = {}
        for cond, x in conditions.items():
            for method in ("bicubic", "learned"):
                parts = [resize(c, h, w) if method == "bicubic" else model(c, (h, w)) for c in x.split(4)]
                y = torch.cat(parts).clamp(-1, 1)
                res[f"{cond}/{method}"] = {"psnr_db": round(psnr(y, high), 2),
                                           "gradient_ratio": round(sharpness(y) / ref_grad, 3),
                                           "hf_energy_ratio": round(hf_energy(y) / ref_hf, 3)}
        out[f"{w}x{h}"] = res
    return out


def timing(model: Upsampler, threads: int) -> dict:
    torch.set_num_threads(threads)
    frames = torch.rand(3, 64, 72, 128) * 2 - 1
    out = {"threads": threads, "frames": 64, "from": "128x72"}
    for w, h in SIZES:
        for name, up in (("bicubic", None), ("learned", model)):
            upsample_to(frames[:, :2], w, h, up)  # warm-up
            t, cpu = time.perf_counter(), time.process_time()
            upsample_to(frames, w, h, up)
            out[f"{name}_{w}x{h}_s"] = round(time.perf_counter() - t, 2)
            out[f"{name}_{w}x{h}_cpu_s"] = round(time.process_time() - cpu, 2)  # less sensitive to a busy host
    out["load_average_1min"] = round(os.getloadavg()[0], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upsampler", type=Path, default=None, help="folder with upsampler.safetensors")
    ap.add_argument("--scenes", type=int, default=8, help="held-out scenes per size")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads for the timing")
    ap.add_argument("--no-vae", action="store_true", help="skip the shipped-VAE round-trip condition")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/upsampler.json"))
    args = ap.parse_args()
    if args.scenes < 1 or args.threads < 1:
        ap.error("--scenes and --threads must be at least 1")
    source = args.upsampler
    if source is None:
        source = Path(tempfile.mkdtemp()) / "tiny"
        train_upsampler(UPSAMPLER_RECIPES["tiny"], source, device="cpu")
    model, record = load_upsampler(source)
    report = {
        "upsampler": str(args.upsampler or "tiny, trained on the fly"), "label": model.label,
        "parameters": sum(p.numel() for p in model.parameters()),
        "train": {k: record.get(k) for k in ("steps", "wall_seconds", "hardware", "final")},
        "held_out_seeds_from": 2_000_000_000, "scenes": args.scenes,
        "quality": quality(model, args.scenes, not args.no_vae),
        "cpu_time_64_frames": timing(model, args.threads),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
