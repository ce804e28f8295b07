"""Reconstruction quality of a checkpoint's autoencoders on held-out world clips.

Usage: python benchmarks/autoencoders.py [--checkpoint DIR] [--clips 6] [--out benchmarks/results/autoencoders.json]
Video: PSNR per style (65 frames, 128×72, through encode → decode). Audio: log-mel L1 distance and onset F1
(20 ms) of audio VAE + learned vocoder, against Griffin-Lim (32 iterations) on the same clean mel.
Held-out seeds ≥ 2·10⁹ (never trained on).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from phonofilm.models.system import load_system
from phonofilm.models.vocoder import griffin_lim
from phonofilm.train.recon_metrics import mel_distance, onset_f1, psnr
from phonofilm.world.make import make_clip_from_seed
from phonofilm.world.scene import STYLES

SEED0 = 2_100_000_000


@torch.no_grad()
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--clips", type=int, default=6, help="clips per style")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/autoencoders.json"))
    args = ap.parse_args()
    from phonofilm.pipeline.generate import default_checkpoint

    system, record = load_system(args.checkpoint or default_checkpoint())
    video: dict[str, list[float]] = {s: [] for s in STYLES}
    audio = {"vae_vocoder_mel_l1": [], "vae_vocoder_onset_f1": [], "griffin_lim_mel_l1": [],
             "griffin_lim_onset_f1": [], "vocoder_only_mel_l1": []}
    for style in STYLES:
        for i in range(args.clips):
            clip = make_clip_from_seed(SEED0 + 1000 * STYLES.index(style) + i, 65 / 16, 128, 72, 16.0, style=style)
            x = torch.from_numpy(clip.frames).permute(3, 0, 1, 2).float()[None] / 127.5 - 1
            recon = system.video_vae.decode(system.video_vae.encode(x).mean).clamp(-1, 1)
            video[style].append(psnr(recon, x))
            wave = torch.from_numpy(clip.audio)[None]
            ref = wave[0, :, : 65000]
            mel = system.audio_vae.logmel(wave)
            out = system.audio_vae.decode_audio(system.audio_vae.encode(mel).mean, system.vocoder)[0]
            voc = system.vocoder(mel[0])
            gl = griffin_lim(mel[0])
            for name, w in (("vae_vocoder", out), ("griffin_lim", gl)):
                audio[f"{name}_mel_l1"].append(mel_distance(w, ref[:, : w.shape[-1]], 16000))
                audio[f"{name}_onset_f1"].append(onset_f1(ref[0, : w.shape[-1]], w[0], 16000))
            audio["vocoder_only_mel_l1"].append(mel_distance(voc, ref[:, : voc.shape[-1]], 16000))
    report = {
        "checkpoint": str(args.checkpoint or "default"), "train_steps": record.get("steps"),
        "video_psnr_db": {s: round(float(np.mean(v)), 2) for s, v in video.items()},
        "audio": {k: round(float(np.mean(v)), 4) for k, v in audio.items()},
        "clips_per_style": args.clips,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
