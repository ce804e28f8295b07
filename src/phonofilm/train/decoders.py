"""Fine-tune the decoding side of a trained system — the vocoder and the decoders of both VAEs — with
every encoder frozen, so the latent space the transformer was trained on does not move and it stays valid.

    seed < 2e9 ─► world scene ─┬─► sound alone ─► log-mel ─(clean, or through the audio VAE)─► vocoder
                               │      vs the true wave: multi-resolution STFT + log-mel L1 (train.autoencoders)
                               ├─► sound alone ─► log-mel ─► frozen encoder ─► mean (+ noise) ─► audio decoder
                               │      vs the true log-mel: L1 + L2
                               └─► frames ─► frozen encoder ─► mean (+ noise) ─► video decoder
                                      vs the true frames: L1 weighted up where things move + L2 + edge L1

Why: `phonofilm eval --world --through MODEL` shows the autoencoders, not the canvas, lose what the
benchmark measures — a moving ball decodes as a smear. Both parts are cheap enough for a 2-core CPU:
 - the vocoder learns half the time from the audio VAE's *reconstruction* of a crop's mel, the smoothed
   kind of mel the generator hands it (the Tacotron-2 practice of fine-tuning on predicted features);
 - the video decoder gets an L1 weighted `motion_weight` times more on pixels that change between
   frames (where the smear is) and an image-gradient term against blur, from encoder means with a little
   Gaussian noise in the normalised latent space (the generator's latents are never exact).
Seeds ≥ 2_000_000_000 are held out: the record compares before and after on them.

    python -m phonofilm.train.decoders --init CHECKPOINT --out DIR [--parts vocoder,video_decoder]
        [--minutes M] [--max-steps N] [--lr LR] [--vae-p P]
        [--harmonics 80]                        # give the vocoder a harmonic source (models.vocoder)
        [--adversarial W --feature-matching W]  # discriminators for the sound parts (train.adversarial)
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from phonofilm.models.checkpoint import load_checkpoint
from phonofilm.models.system import System, save_system, system_from_checkpoint
from phonofilm.models.vocoder import Vocoder
from phonofilm.train.adversarial import Adversary, MelDiscriminator, WaveDiscriminator
from phonofilm.train.autoencoders import (
    VAELossConfig,
    VocoderLossConfig,
    reconstruction_loss,
    train_vocoder_step,
)
from phonofilm.train.held_out import HELD_OUT_SEED, evaluate_decoders, render_sound
from phonofilm.train.optim import optimizer_step
from phonofilm.train.steps import video_to_model

PARTS = ("vocoder", "audio_decoder", "video_decoder")
MODULE_OF = {"vocoder": "vocoder", "audio_decoder": "audio_vae", "video_decoder": "video_vae"}  # part → system module


@dataclass(frozen=True)
class DecoderTuneConfig:
    parts: tuple[str, ...] = PARTS
    steps: int = 100_000  # upper bound; `minutes` usually stops first
    minutes: float | None = 30.0
    lr: float = 1e-4
    warmup: int = 20
    # vocoder: stereo crops of freshly rendered sound
    audio_batch: int = 8  # stereo crops per step (each channel is one vocoder item)
    crop_frames: int = 192  # mel frames per crop (1.5 s at 128 frames/s); a multiple of the VAE's 4
    scene_seconds: float = 6.0  # each rendered scene gives audio_batch // scenes crops
    scenes: int = 2
    vae_p: float = 0.5  # share of crops vocoded from the audio VAE's reconstruction of their mel
    # video decoder: short clips at the model canvases
    video_batch: int = 4
    video_frames: int = 17  # 1 + 4k
    sizes: tuple[tuple[int, int], ...] = ((128, 72), (72, 128), (96, 96))
    size_weights: tuple[float, ...] = (0.6, 0.2, 0.2)
    motion_weight: float = 4.0  # extra L1 weight on pixels that change between frames
    edge_weight: float = 0.5
    latent_noise: float = 0.1  # std of the noise added to normalised encoder means
    # sound parts: a discriminator's hinge term (0: reconstruction losses only) and feature-matching L1
    adversarial: float = 0.0  # vocoder: multi-period wave discriminator; audio decoder: log-mel patches
    feature_matching: float = 1.0
    harmonics: int = 0  # > 0: give a vocoder without one a harmonic source of this many partials (models.vocoder)
    eval_clips: int = 8
    eval_seconds: float = 4.0
    log_every: int = 25
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.parts or set(self.parts) - set(PARTS):
            raise ValueError(f"parts must be a non-empty subset of {PARTS}, got {self.parts}")
        if self.crop_frames % 4:
            raise ValueError(f"crop_frames must be a multiple of 4 (the audio VAE's stride), got {self.crop_frames}")
        if self.audio_batch % self.scenes:
            raise ValueError(f"audio_batch {self.audio_batch} must be a multiple of scenes {self.scenes}")
        if (self.video_frames - 1) % 4:
            raise ValueError(f"video_frames must be 1 + 4k for the causal video VAE, got {self.video_frames}")
        if not 0.0 <= self.vae_p <= 1.0:
            raise ValueError(f"vae_p must be in [0, 1], got {self.vae_p}")
        if self.harmonics < 0:
            raise ValueError(f"harmonics must be >= 0, got {self.harmonics}")
        if self.harmonics and "vocoder" not in self.parts:
            raise ValueError("harmonics changes the vocoder: it needs 'vocoder' among the parts")
        if self.adversarial < 0 or self.feature_matching < 0:
            raise ValueError(f"adversarial and feature_matching must be >= 0, got {self.adversarial}, "
                             f"{self.feature_matching}")
        if len(self.sizes) != len(self.size_weights):
            raise ValueError("sizes and size_weights must have equal lengths")


# -- data ------------------------------------------------------------------------------------------------


def crop_batch(cfg: DecoderTuneConfig, hop: int, rng: np.random.Generator) -> torch.Tensor:
    """Waves [audio_batch, 2, crop_frames × hop] cut at random from freshly rendered training scenes."""
    n = cfg.crop_frames * hop
    crops = []
    for _ in range(cfg.scenes):
        wave = render_sound(int(rng.integers(0, HELD_OUT_SEED)), cfg.scene_seconds)
        for _ in range(cfg.audio_batch // cfg.scenes):
            start = int(rng.integers(0, wave.shape[-1] - n + 1))
            crops.append(torch.from_numpy(wave[:, start : start + n]))
    return torch.stack(crops)


def clip_batch(cfg: DecoderTuneConfig, rng: np.random.Generator) -> torch.Tensor:
    """Frames [video_batch, 3, video_frames, H, W] in [-1, 1] of fresh training scenes at one canvas size."""
    from phonofilm.world.make import make_clip_from_seed

    w, h = cfg.sizes[int(rng.choice(len(cfg.sizes), p=np.asarray(cfg.size_weights) / sum(cfg.size_weights)))]
    seconds = cfg.video_frames / 16.0
    clips = [make_clip_from_seed(int(rng.integers(0, HELD_OUT_SEED)), seconds, w, h).frames[: cfg.video_frames]
             for _ in range(cfg.video_batch)]
    return video_to_model(torch.from_numpy(np.stack(clips)), torch.device("cpu"))


# -- losses and steps ------------------------------------------------------------------------------------


def input_mels(system: System, wave: torch.Tensor, vae_p: float, gen: torch.Generator) -> torch.Tensor:
    """Log-mels [B·2, M, F] the vocoder learns from: clean, or (share `vae_p`) through the audio VAE."""
    vae = system.audio_vae
    with torch.no_grad():
        mel = vae.logmel(wave)  # [B, 2, M, F]
        through = torch.rand(mel.shape[0], generator=gen) < vae_p
        if through.any():
            mel[through] = vae.decode(vae.encode(mel[through]).sample(gen))
    return mel.reshape(-1, *mel.shape[-2:])


@dataclass
class _Part:
    optimizer: torch.optim.Optimizer
    step: Callable[[], dict[str, float]]
    history: list[dict[str, float]] = field(default_factory=list)


def _parts(system: System, cfg: DecoderTuneConfig, rng: np.random.Generator,
           gen: torch.Generator) -> dict[str, _Part]:
    parts: dict[str, _Part] = {}
    if "vocoder" in cfg.parts:
        voc = system.vocoder.train().requires_grad_(True)
        opt = torch.optim.AdamW(voc.parameters(), lr=cfg.lr, weight_decay=0.0)
        wave_adversary = _adversary(cfg, WaveDiscriminator())

        def vocoder_step() -> dict[str, float]:
            wave = crop_batch(cfg, voc.config.mel.hop_length, rng)
            mel = input_mels(system, wave, cfg.vae_p, gen)
            return train_vocoder_step(voc, system.audio_vae.logmel, opt, wave, VocoderLossConfig(), mel=mel,
                                      adversary=wave_adversary)

        parts["vocoder"] = _Part(opt, vocoder_step)
    if "audio_decoder" in cfg.parts:
        avae = system.audio_vae
        adec = avae.decoder.train().requires_grad_(True)
        aopt = torch.optim.AdamW(adec.parameters(), lr=cfg.lr, weight_decay=0.0)
        mel_adversary = _adversary(cfg, MelDiscriminator(avae.config.channels))

        def audio_step() -> dict[str, float]:
            with torch.no_grad():
                mel = avae.logmel(crop_batch(cfg, avae.config.mel.hop_length, rng))  # [B, 2, M, F]
                z = _jittered(avae, avae.encode(mel).mean, cfg.latent_noise, gen)
            recon = avae.decode(z)
            return _optimise(adec, aopt, reconstruction_loss(recon, mel, VAELossConfig()), mel_adversary, mel, recon)

        parts["audio_decoder"] = _Part(aopt, audio_step)
    if "video_decoder" in cfg.parts:
        vae = system.video_vae
        decoder = vae.decoder.train().requires_grad_(True)
        dopt = torch.optim.AdamW(decoder.parameters(), lr=cfg.lr, weight_decay=0.0)
        loss_cfg = VAELossConfig(motion_weight=cfg.motion_weight, edge_weight=cfg.edge_weight)

        def video_step() -> dict[str, float]:
            x = clip_batch(cfg, rng)
            with torch.no_grad():
                z = _jittered(vae, vae.encode(x).mean, cfg.latent_noise, gen)
            return _optimise(decoder, dopt, reconstruction_loss(vae.decode(z), x, loss_cfg))

        parts["video_decoder"] = _Part(dopt, video_step)
    return parts


def with_source(system: System, harmonics: int) -> None:
    """Give `system` a vocoder with a harmonic source of `harmonics` partials, keeping every trained weight
    (the new pitch head starts silent: the vocoder sounds as before until it learns to hear voices)."""
    cfg = replace(system.vocoder.config, harmonics=harmonics)
    vocoder = Vocoder(cfg)
    missing, unexpected = vocoder.load_state_dict(system.vocoder.state_dict(), strict=False)
    if unexpected or any(not k.startswith("pitch.") for k in missing):
        raise ValueError(f"cannot add a harmonic source to this vocoder (missing {missing}, unexpected {unexpected})")
    system.vocoder = vocoder
    system.config = replace(system.config, vocoder=cfg)


def _jittered(vae: torch.nn.Module, mean: torch.Tensor, std: float, gen: torch.Generator) -> torch.Tensor:
    """Encoder means with Gaussian noise of `std` in the normalised (diffusion) space, as VAE latents."""
    z = vae.normalize(mean)
    return vae.denormalize(z + std * torch.randn(z.shape, generator=gen))


def _adversary(cfg: DecoderTuneConfig, net: torch.nn.Module) -> Adversary | None:
    return Adversary(net, cfg.adversarial, cfg.feature_matching) if cfg.adversarial > 0 else None


def _optimise(module: torch.nn.Module, opt: torch.optim.Optimizer, losses: dict[str, torch.Tensor],
              adversary: Adversary | None = None, real: torch.Tensor | None = None,
              fake: torch.Tensor | None = None) -> dict[str, float]:
    """One step on `losses["loss"]`, plus the adversary's terms (after its own step on `real` vs `fake`)."""
    logs = {k: float(v.detach()) for k, v in losses.items()}
    loss = losses["loss"]
    if adversary is not None:
        adv, adv_logs = adversary.play(real, fake)
        loss = loss + adv
        logs |= adv_logs | {"loss": float(loss.detach())}
    optimizer_step(module, opt, loss, max_grad_norm=1.0)
    return logs


# -- the run ---------------------------------------------------------------------------------------------


def tune_decoders(init: str | Path, out_dir: str | Path, cfg: DecoderTuneConfig | None = None,
                  log: Callable[[str], None] = print) -> dict[str, Any]:
    """Fine-tune `init`'s decoding parts in turn, save the whole system to `out_dir` with the run recorded."""
    cfg = cfg or DecoderTuneConfig()
    ck = load_checkpoint(init)
    system, record = system_from_checkpoint(ck, init), ck.record
    if cfg.harmonics and not system.vocoder.config.harmonics:
        with_source(system, cfg.harmonics)
    rng, gen = np.random.default_rng(cfg.seed), torch.Generator().manual_seed(cfg.seed)
    before = evaluate_decoders(system, cfg.parts, cfg.eval_clips, cfg.eval_seconds)
    log(f"held-out before: {before}")
    parts = _parts(system, cfg, rng, gen)
    start, step = time.time(), 0
    budget = cfg.minutes * 60 if cfg.minutes is not None else math.inf
    while step < cfg.steps and time.time() - start < budget:
        frac = min(1.0, max((time.time() - start) / budget, step / cfg.steps))
        for part in parts.values():
            for g in part.optimizer.param_groups:  # warm-up then cosine, on whichever runs out first
                g["lr"] = cfg.lr * min(1.0, (step + 1) / cfg.warmup) * 0.5 * (1 + math.cos(math.pi * frac))
            part.history.append(part.step())
        step += 1
        if step % cfg.log_every == 0 or step == 1:
            # batches differ a lot (silence, speech, impacts; still or moving scenes): means of the last few
            text = " ".join(f"{name} {k} {np.mean([h[k] for h in p.history[-cfg.log_every:]]):.4f}"
                            for name, p in parts.items() for k in ("loss", "mel_l1", "l1", "voicing_bce", "pitch_l1", "adv", "disc")
                            if k in p.history[-1])
            log(f"step {step} {text} ({time.time() - start:.0f} s)")
    wall = time.time() - start
    system.eval().requires_grad_(False)
    after = evaluate_decoders(system, cfg.parts, cfg.eval_clips, cfg.eval_seconds)
    run = {"train_config": "decoder-tune", "decoder_tune": asdict(cfg), "steps": step, "wall_seconds": round(wall, 1),
           "hardware": torch.cuda.get_device_name() if torch.cuda.is_available()
           else f"cpu ({platform.machine()}, {torch.get_num_threads()} threads)", "torch": torch.__version__,
           "final": {name: {k: round(float(np.mean([h[k] for h in p.history[-50:]])), 4) for k in p.history[-1]}
                     for name, p in parts.items() if p.history},
           "held_out_before": before, "held_out": after}
    tuned = {**record.get("decoders", {}), **{name: run for name in parts}}
    new_record = {**record, "decoders": tuned}  # the training run is unchanged: no new history row
    save_system(out_dir, system, new_record, dtype=ck.float_dtype)  # keep fp16 if shipped
    log(f"saved {out_dir}: {step} steps in {wall:.0f} s; held-out {after}")
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m phonofilm.train.decoders",
                                     description="Fine-tune a trained system's vocoder and video decoder.")
    parser.add_argument("--init", required=True, help="trained checkpoint directory (e.g. the shipped default)")
    parser.add_argument("--out", required=True, help="directory for the new checkpoint (must differ from --init)")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated subset of {PARTS}")
    parser.add_argument("--minutes", type=float, default=DecoderTuneConfig.minutes, help="wall-time budget")
    parser.add_argument("--max-steps", type=int, default=DecoderTuneConfig.steps, help="stop after this many steps")
    parser.add_argument("--eval-clips", type=int, default=DecoderTuneConfig.eval_clips, help="held-out clips")
    parser.add_argument("--lr", type=float, default=DecoderTuneConfig.lr, help="peak learning rate (cosine decay)")
    parser.add_argument("--vae-p", type=float, default=DecoderTuneConfig.vae_p,
                        help="share of vocoder crops vocoded from the audio VAE's reconstruction of their mel")
    parser.add_argument("--harmonics", type=int, default=0,
                        help="give the vocoder a harmonic source of this many partials (0: keep it as it is)")
    parser.add_argument("--adversarial", type=float, default=0.0,
                        help="weight of a discriminator's hinge term for the sound parts (0: none)")
    parser.add_argument("--feature-matching", type=float, default=DecoderTuneConfig.feature_matching,
                        help="with --adversarial: weight of the feature-matching L1")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.max_steps < 1 or args.eval_clips < 1:
        parser.error("--minutes must be positive, --max-steps and --eval-clips at least 1")
    if args.adversarial < 0 or args.feature_matching < 0 or args.harmonics < 0 or args.lr <= 0:
        parser.error("--adversarial, --feature-matching and --harmonics must be >= 0, --lr positive")
    if Path(args.init).resolve() == Path(args.out).resolve():
        parser.error("--out must differ from --init (the input checkpoint is never overwritten)")
    try:
        cfg = DecoderTuneConfig(parts=tuple(p.strip() for p in args.parts.split(",") if p.strip()),
                                steps=args.max_steps, minutes=args.minutes, eval_clips=args.eval_clips,
                                adversarial=args.adversarial, feature_matching=args.feature_matching,
                                harmonics=args.harmonics, lr=args.lr, vae_p=args.vae_p)
        tune_decoders(args.init, args.out, cfg)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
