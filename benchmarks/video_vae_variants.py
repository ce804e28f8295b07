"""Where the video VAE loses moving objects, and whether less temporal compression wins them back.

Usage:
    python benchmarks/video_vae_variants.py probe [--checkpoint DIR] [--out FILE]
    python benchmarks/video_vae_variants.py train --temporal-factor 2 --minutes 35 --out-dir runs/vae-t2
        [--checkpoint DIR] [--threads 1] [--from-scratch]

`probe` measures a checkpoint's video VAE on held-out world clips (seeds ≥ 2·10⁹, 128×72): PSNR over
all pixels and over moving ones (`train.autoencoders.motion_map` > 0.5) when the clip is encoded as a
video, when every frame is encoded alone as an image (the first-frame path: no temporal compression),
split by the frame's phase within its latent group, and an area-downsample ×4 + bicubic baseline.

`train` trains one video VAE (encoder and decoder) for a fixed wall time on fresh training clips with the
recipe's loss (L1 weighted up on moving pixels + L2 + edge L1 + small KL), warm-started from the
checkpoint's VAE (a 2× or 1× VAE takes its weights; each upsampling conv that stops doubling time keeps
the kernels of its later frame) unless `--from-scratch`, and writes `held_out` before/after to
OUT_DIR/result.json and the whole system with this VAE (and its own latent statistics) to
OUT_DIR/checkpoint. That checkpoint's transformer was trained on the old latents: use it for `phonofilm
eval --world --through OUT_DIR/checkpoint --through-parts video` (the autoencoder ceiling) or as `--init`
of a run that trains the transformer on the new latents (`small-cpu-continue`), not for generating as is.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from phonofilm.models.checkpoint import load_checkpoint
from phonofilm.models.system import System, save_system, system_from_checkpoint
from phonofilm.models.video_vae import VideoVAE, warm_start
from phonofilm.train.autoencoders import VAELossConfig, train_vae_step
from phonofilm.train.decoders import DecoderTuneConfig, clip_batch
from phonofilm.train.held_out import held_out_clip, held_out_video, video_scores
from phonofilm.train.steps import channel_stats


def held_out(n: int = 8, seconds: float = 2.0) -> list[torch.Tensor]:
    """The decoder tune's held-out 128×72 clips as frames [1, 3, 1 + 4k, H, W] in [-1, 1]."""
    return [held_out_video(held_out_clip(i, seconds).frames) for i in range(n)]


@torch.no_grad()
def measure(vae: VideoVAE, clips: list[torch.Tensor], per_frame: bool = False) -> dict[str, float]:
    """Mean PSNR / moving-pixel PSNR through `vae` (and, with `per_frame`, the baselines and phases)."""
    vae.eval()
    acc: dict[str, list[float]] = {}

    def add(name: str, scores: dict[str, float]) -> None:
        for key, value in scores.items():
            acc.setdefault(f"{name}_{key}", []).append(value)

    s = vae.config.temporal_factor
    for x in clips:
        recon = vae.decode(vae.encode(x).mean).clamp(-1, 1)
        add("video", video_scores(recon, x))
        if not per_frame:
            continue
        for phase in range(s):  # frame t belongs to latent ceil(t / s); phase 0 = the group's last frame
            idx = [t for t in range(x.shape[2]) if t % s == phase]
            add(f"video_phase{phase}", video_scores(recon[:, :, idx], x[:, :, idx]))
        images = x[0].permute(1, 0, 2, 3)[:, :, None]  # every frame a one-frame clip
        alone = vae.decode(vae.encode(images).mean).clamp(-1, 1)[:, :, 0].permute(1, 0, 2, 3)[None]
        add("per_frame", video_scores(alone, x))
        flat = x[0].permute(1, 0, 2, 3)
        bicubic = F.interpolate(F.interpolate(flat, scale_factor=0.25, mode="area"), scale_factor=4.0,
                                mode="bicubic").clamp(-1, 1).permute(1, 0, 2, 3)[None]
        add("area4_bicubic", video_scores(bicubic, x))
    return {k: round(float(np.mean(v)), 2) for k, v in acc.items()}


def train(args: argparse.Namespace) -> dict:
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    ck = load_checkpoint(args.checkpoint)
    system: System = system_from_checkpoint(ck, args.checkpoint)
    cfg = dataclasses.replace(system.video_vae.config, temporal_factor=args.temporal_factor)
    vae = VideoVAE(cfg)
    if not args.from_scratch:
        warm_start(vae, system.video_vae)
    clips = held_out(args.eval_clips)
    before = measure(vae, clips)
    print(f"before: {before}", flush=True)
    data = DecoderTuneConfig(video_batch=args.batch, video_frames=args.frames, seed=args.seed)
    rng, gen = np.random.default_rng(args.seed), torch.Generator().manual_seed(args.seed)
    opt = torch.optim.AdamW(vae.parameters(), lr=args.lr, weight_decay=0.0)
    loss_cfg = VAELossConfig(motion_weight=4.0, edge_weight=0.5)
    start, step, history = time.time(), 0, []
    while time.time() - start < args.minutes * 60:
        for group in opt.param_groups:
            group["lr"] = args.lr * min(1.0, (step + 1) / 20)
        vae.train().requires_grad_(True)
        logs = train_vae_step(vae, opt, clip_batch(data, rng), loss_cfg, gen)
        history.append(logs)
        step += 1
        if step % 25 == 0:
            tail = {k: round(float(np.mean([h[k] for h in history[-25:]])), 4) for k in ("loss", "l1", "edge")}
            print(f"step {step} {time.time() - start:.0f}s {tail}", flush=True)
    after = measure(vae, clips)
    print(f"after: {after}", flush=True)
    system.video_vae = vae.eval().requires_grad_(False)
    rate = system.config.fps / cfg.temporal_factor  # the transformer's RoPE time base follows the VAE
    system.config = dataclasses.replace(system.config, video_vae=cfg, transformer=dataclasses.replace(
        system.config.transformer, video_latent_rate=rate))
    with torch.no_grad():  # this VAE's own latent statistics (a transformer trained on it needs them)
        z = torch.cat([vae.encode(clip_batch(data, rng)).mean.transpose(0, 1).flatten(1) for _ in range(8)], 1)
    audio = system.config.audio_vae
    system.with_latent_stats(channel_stats(z), (audio.latent_mean, audio.latent_std))
    out = Path(args.out_dir)
    record = {**ck.record, "video_vae_variant": {
        "temporal_factor": args.temporal_factor, "warm_start": not args.from_scratch, "steps": step,
        "minutes": args.minutes, "note": "transformer not retrained: for --through evaluation only"}}
    save_system(out / "checkpoint", system, record)
    result = {"temporal_factor": args.temporal_factor, "warm_start": not args.from_scratch, "steps": step,
              "batch": args.batch, "frames": args.frames, "lr": args.lr, "minutes": args.minutes,
              "threads": args.threads, "host": platform.node(), "held_out_before": before,
              "held_out_after": after}
    (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    probe = sub.add_parser("probe", help="where a checkpoint's video VAE loses moving pixels")
    probe.add_argument("--checkpoint", default=None)
    probe.add_argument("--clips", type=int, default=8)
    probe.add_argument("--out", type=Path, default=Path("benchmarks/results/video_vae_probe.json"))
    tr = sub.add_parser("train", help="train one VAE variant for a fixed wall time")
    tr.add_argument("--checkpoint", default=None)
    tr.add_argument("--temporal-factor", type=int, choices=(1, 2, 4), default=4)
    tr.add_argument("--from-scratch", action="store_true")
    tr.add_argument("--minutes", type=float, default=30.0)
    tr.add_argument("--batch", type=int, default=4)
    tr.add_argument("--frames", type=int, default=9, help="1 + 4k frames per training clip")
    tr.add_argument("--lr", type=float, default=1e-4)
    tr.add_argument("--threads", type=int, default=1)
    tr.add_argument("--eval-clips", type=int, default=8)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--out-dir", type=Path, required=True)
    args = ap.parse_args()
    from phonofilm.pipeline.generate import default_checkpoint

    args.checkpoint = args.checkpoint or str(default_checkpoint())
    if args.command == "train":
        train(args)
        return
    system = system_from_checkpoint(load_checkpoint(args.checkpoint), args.checkpoint)
    report = {"checkpoint": args.checkpoint, "clips": args.clips,
              "temporal_factor": system.video_vae.config.temporal_factor,
              **measure(system.video_vae, held_out(args.clips), per_frame=True)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
