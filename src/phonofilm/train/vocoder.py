"""Fine-tune a trained system's vocoder on world sound, alone: cheap enough for a 2-core CPU.

    seed < 2e9 ─► sample_scene ─► simulate ─► speech + mix (no picture) ─► stereo wave ─► random crops
        log-mel ──────────────────────────────┐ (share 1 - vae_p: the clean mel)
        log-mel ─► audio VAE ─► sample ─► mel ─┴─► vocoder ─► wave  vs the true wave:
                                                  multi-resolution STFT + log-mel L1 (train.autoencoders)

The autoencoder stage trains the vocoder on ~1 s crops for as long as the video VAE needs; the vocoder
wants more. Half of the crops here are vocoded from the audio VAE's *reconstruction* of their mel, the
smoothed kind of mel the generator hands it at inference (the Tacotron-2 practice of fine-tuning a vocoder
on predicted features), the other half from the clean mel. The other networks are copied unchanged.
Seeds ≥ 2_000_000_000 are held out: the record compares the vocoder with Griffin-Lim on them.

    python -m phonofilm.train.vocoder --init CHECKPOINT --out DIR [--minutes M] [--max-steps N]
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from phonofilm.models.system import System, history_row, load_system, save_system
from phonofilm.train.autoencoders import VocoderLossConfig, train_vocoder_step
from phonofilm.train.recon_metrics import mel_distance, onset_f1

HELD_OUT_SEED = 2_000_000_000  # seeds at or above are never trained on


@dataclass(frozen=True)
class VocoderTuneConfig:
    steps: int = 100_000  # upper bound; `minutes` usually stops first
    minutes: float | None = 30.0
    batch: int = 8  # stereo crops per step (each channel is one vocoder item)
    crop_frames: int = 192  # mel frames per crop (1.5 s at 128 frames/s); a multiple of the VAE's 4
    scene_seconds: float = 6.0  # each rendered scene gives batch // scenes crops
    scenes: int = 2  # scenes rendered per step
    lr: float = 1e-4
    warmup: int = 20
    vae_p: float = 0.5  # share of crops vocoded from the audio VAE's reconstruction of their mel
    eval_clips: int = 8
    eval_seconds: float = 4.0
    log_every: int = 25
    seed: int = 0

    def __post_init__(self) -> None:
        if self.crop_frames % 4:
            raise ValueError(f"crop_frames must be a multiple of 4 (the audio VAE's stride), got {self.crop_frames}")
        if self.batch % self.scenes:
            raise ValueError(f"batch {self.batch} must be a multiple of scenes {self.scenes}")
        if not 0.0 <= self.vae_p <= 1.0:
            raise ValueError(f"vae_p must be in [0, 1], got {self.vae_p}")


def render_sound(seed: int, seconds: float, sample_rate: int = 16000) -> np.ndarray:
    """A world scene's stereo sound alone (no picture is drawn): float32 [2, seconds × rate]."""
    from phonofilm.world.physics import simulate
    from phonofilm.world.sampler import sample_scene
    from phonofilm.world.sound.mix import render_audio
    from phonofilm.world.sound.speech import synthesize_dialogue

    scene = sample_scene(seed, duration=seconds)
    return np.asarray(render_audio(scene, simulate(scene), synthesize_dialogue(scene, sample_rate),
                                   sample_rate, 2), dtype=np.float32)


def crop_batch(cfg: VocoderTuneConfig, hop: int, rng: np.random.Generator) -> torch.Tensor:
    """Waves [batch, 2, crop_frames × hop] cut at random from `scenes` freshly rendered training scenes."""
    n = cfg.crop_frames * hop
    crops = []
    for _ in range(cfg.scenes):
        wave = render_sound(int(rng.integers(0, HELD_OUT_SEED)), cfg.scene_seconds)
        for _ in range(cfg.batch // cfg.scenes):
            start = int(rng.integers(0, wave.shape[-1] - n + 1))
            crops.append(torch.from_numpy(wave[:, start : start + n]))
    return torch.stack(crops)


def input_mels(system: System, wave: torch.Tensor, vae_p: float, gen: torch.Generator) -> torch.Tensor:
    """Log-mels [B·2, M, F] the vocoder learns from: clean, or (share `vae_p`) through the audio VAE."""
    vae = system.audio_vae
    with torch.no_grad():
        mel = vae.logmel(wave)  # [B, 2, M, F]
        through = torch.rand(mel.shape[0], generator=gen) < vae_p
        if through.any():
            mel[through] = vae.decode(vae.encode(mel[through]).sample(gen))
    return mel.reshape(-1, *mel.shape[-2:])


def evaluate(system: System, clips: int, seconds: float) -> dict[str, float]:
    """Held-out world sound: log-mel L1 and onset F1 of the vocoder (clean mel and through the audio VAE)
    against Griffin-Lim (32 iterations) on the clean mel."""
    from phonofilm.models.vocoder import griffin_lim

    vae, voc = system.audio_vae, system.vocoder
    scores: dict[str, list[float]] = {}
    with torch.no_grad():
        for i in range(clips):
            ref = torch.from_numpy(render_sound(HELD_OUT_SEED + 7919 * i, seconds))
            mel = vae.logmel(ref[None])
            outs = {"vocoder": voc(mel[0]), "vae_vocoder": vae.decode_audio(vae.encode(mel).mode(), voc)[0],
                    "griffin_lim": griffin_lim(mel[0])}
            for name, w in outs.items():
                scores.setdefault(f"{name}_mel_l1", []).append(mel_distance(w, ref, 16000))
                scores.setdefault(f"{name}_onset_f1", []).append(onset_f1(ref[0, : w.shape[-1]], w[0], 16000))
    return {k: round(float(np.mean(v)), 4) for k, v in scores.items()}


def tune_vocoder(init: str | Path, out_dir: str | Path, cfg: VocoderTuneConfig | None = None,
                 log: Callable[[str], None] = print) -> dict[str, Any]:
    """Fine-tune `init`'s vocoder, save the whole system to `out_dir` with the run in its record."""
    cfg = cfg or VocoderTuneConfig()
    system, record = load_system(init)
    voc = system.vocoder.train().requires_grad_(True)
    opt = torch.optim.AdamW(voc.parameters(), lr=cfg.lr, weight_decay=0.0)
    loss_cfg = VocoderLossConfig()
    rng, gen = np.random.default_rng(cfg.seed), torch.Generator().manual_seed(cfg.seed)
    before = evaluate(system, cfg.eval_clips, cfg.eval_seconds)
    log(f"held-out before: {before}")
    start, step, history = time.time(), 0, []
    budget = cfg.minutes * 60 if cfg.minutes is not None else math.inf
    while step < cfg.steps and time.time() - start < budget:
        wave = crop_batch(cfg, voc.config.mel.hop_length, rng)
        frac = min(1.0, max((time.time() - start) / budget, step / cfg.steps))
        for g in opt.param_groups:  # warm-up then cosine, on whichever of time or steps runs out first
            g["lr"] = cfg.lr * min(1.0, (step + 1) / cfg.warmup) * 0.5 * (1 + math.cos(math.pi * frac))
        mel = input_mels(system, wave, cfg.vae_p, gen)
        history.append(train_vocoder_step(voc, system.audio_vae.logmel, opt, wave, loss_cfg, mel=mel))
        step += 1
        if step % cfg.log_every == 0 or step == 1:
            recent = history[-cfg.log_every:]  # batches differ a lot (silence, speech, impacts): a mean
            log(f"step {step} loss {np.mean([h['loss'] for h in recent]):.4f} "
                f"mel_l1 {np.mean([h['mel_l1'] for h in recent]):.4f} ({time.time() - start:.0f} s)")
    wall = time.time() - start
    voc.eval().requires_grad_(False)
    after = evaluate(system, cfg.eval_clips, cfg.eval_seconds)
    tail = history[-max(1, min(50, len(history) // 4)):]
    run = {"train_config": "vocoder-tune", "vocoder_tune": asdict(cfg), "steps": step, "wall_seconds": round(wall, 1),
           "hardware": torch.cuda.get_device_name() if torch.cuda.is_available()
           else f"cpu ({platform.machine()}, {torch.get_num_threads()} threads)", "torch": torch.__version__,
           "final": {k: round(float(np.mean([h[k] for h in tail])), 4) for k in ("loss", "mel_l1")} if tail else {},
           "held_out_before": before, "held_out": after}
    new_record = {**record, "vocoder": run, "history": [*record.get("history", []), history_row(record)]}
    save_system(out_dir, system, new_record, dtype=_stored_dtype(init))
    log(f"saved {out_dir}: {step} steps in {wall:.0f} s; held-out {after}")
    return run


def _stored_dtype(checkpoint: str | Path) -> torch.dtype | None:
    """float16 when the checkpoint was stored in half precision (the shipped one), else None (as trained)."""
    from phonofilm.models.checkpoint import load_checkpoint

    state = load_checkpoint(checkpoint).state_dict("vocoder")
    return torch.float16 if any(v.dtype == torch.float16 for v in state.values()) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m phonofilm.train.vocoder",
                                     description="Fine-tune a trained system's vocoder on world sound.")
    parser.add_argument("--init", required=True, help="trained checkpoint directory (e.g. the shipped default)")
    parser.add_argument("--out", required=True, help="directory for the new checkpoint (must differ from --init)")
    parser.add_argument("--minutes", type=float, default=VocoderTuneConfig.minutes, help="wall-time budget")
    parser.add_argument("--max-steps", type=int, default=VocoderTuneConfig.steps, help="stop after this many steps")
    parser.add_argument("--eval-clips", type=int, default=VocoderTuneConfig.eval_clips, help="held-out clips")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.max_steps < 1 or args.eval_clips < 1:
        parser.error("--minutes must be positive, --max-steps and --eval-clips at least 1")
    if Path(args.init).resolve() == Path(args.out).resolve():
        parser.error("--out must differ from --init (the input checkpoint is never overwritten)")
    cfg = VocoderTuneConfig(steps=args.max_steps, minutes=args.minutes, eval_clips=args.eval_clips)
    try:
        tune_vocoder(args.init, args.out, cfg)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
