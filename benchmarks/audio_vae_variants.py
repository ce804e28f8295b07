"""Whether speech survives the audio autoencoder, and which training lets it.

Usage:
    python benchmarks/audio_vae_variants.py probe [--checkpoint DIR] [--out FILE]
    python benchmarks/audio_vae_variants.py pitch [--checkpoint DIR] [--out FILE]
    python benchmarks/audio_vae_variants.py train --minutes 40 --edge-weight 1 --out-dir runs/avae-edge
        [--checkpoint DIR] [--threads 1] [--from-scratch] [--latent-channels 32] [--spectral-width 16]
        [--decoder-only] [--adversarial 0.1 --feature-matching 1]

The benchmark hears speech the way `eval.perception.audio.speech_activity` does: voiced frames (a clear
pitch in 50–400 Hz) whose pitch moves. `probe` takes held-out world scenes with speech (seeds ≥ 2·10⁹,
4 s, stereo 16 kHz) and reports, for the original sound, the vocoder alone on its log-mel, and the audio
VAE + vocoder: the share of time heard as speech, the share of voiced frames, the cameo metric's voice
similarity to the original (`eval.metrics.identity`) and the log-mel L1 (all bins, and the 16 lowest,
where the voice's harmonics are).

With `--decoder-only` the encoder is frozen and its means are decoded, so the latents (and their
normalisation) stay those the shipped transformer was trained on and the result can be merged into a
generator (`tools/merge_modules.py`); `--adversarial W` adds a patch discriminator over log-mel (hinge
loss, weight W) with feature matching (`--feature-matching`) — the losses neural codecs use to keep
harmonics that a regression loss averages away (`train.adversarial`; `python -m phonofilm.train.decoders
--adversarial W` does the same for the audio decoder and, with a multi-period wave discriminator, the vocoder).

`pitch` asks whether the latents still hold the voice's pitch: a small MLP learns log F0 of voiced
latent frames (30 training scenes with speech) from the latents, and from the log-mel under them, and is
scored on the held-out scenes (R², median error in semitones).

`train` trains one audio VAE (encoder and decoder) for a fixed wall time on crops of freshly rendered
training scenes (`train.decoders.crop_batch`) with L1 + L2 on log-mel, optional L1 between its gradients
along frequency and time (`--edge-weight`: harmonics and onsets, which averaging blurs) and a small KL,
warm-started from the checkpoint's audio VAE unless `--from-scratch` (with `--latent-channels` every weight
but the two latent-facing convs; `--spectral-width` adds the 2D stem and head of `models.audio_vae`,
which start at zero contribution). It writes the probe before/after to
OUT_DIR/result.json and the whole system with this VAE (and its own latent statistics) to
OUT_DIR/checkpoint — for `phonofilm eval --world --through OUT_DIR/checkpoint --through-parts audio`, or
as `--init` of a run that trains the transformer on the new latents; its transformer was trained on the
old ones.
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

from phonofilm.eval.metrics.identity import voice_profile
from phonofilm.eval.perception.audio import voice_pitch
from phonofilm.models.audio_vae import AudioVAE, AudioVAEConfig
from phonofilm.models.checkpoint import load_checkpoint
from phonofilm.models.system import System, save_system, system_from_checkpoint
from phonofilm.train.adversarial import Adversary, MelDiscriminator
from phonofilm.train.autoencoders import VAELossConfig, reconstruction_loss, train_vae_step, vae_loss
from phonofilm.train.decoders import DecoderTuneConfig, crop_batch
from phonofilm.train.held_out import held_out_speech, speech_scenes
from phonofilm.train.optim import optimizer_step
from phonofilm.train.recon_metrics import hearing
from phonofilm.train.steps import channel_stats

SR = 16000
LOW_BINS = 16  # the lowest log-mel bins (0 – ~600 Hz): where the first harmonics of a voice lie


@torch.no_grad()
def measure(system: System, vae: AudioVAE, waves: list[np.ndarray]) -> dict[str, float]:
    """Mean speech / voicing / voice similarity / log-mel L1 of the original, vocoder alone, VAE + vocoder."""
    vae.eval()
    voc = system.vocoder.eval()
    acc: dict[str, list[float]] = {}
    for wave in waves:
        x = torch.from_numpy(wave)[None]
        mel = vae.logmel(x)  # [1, 2, M, F]
        recon = vae.decode(vae.encode(mel).mean)
        reference = voice_profile(wave, SR)
        paths = {"original": wave,
                 "vocoder": voc(mel.flatten(0, 1)).reshape(2, -1).numpy(),
                 "vae": voc(recon.flatten(0, 1)).reshape(2, -1).numpy()}
        for name, out in paths.items():
            for key, value in hearing(out, SR, reference).items():
                acc.setdefault(f"{name}_{key}", []).append(value)
        acc.setdefault("vae_mel_l1", []).append(float((recon - mel).abs().mean()))
        acc.setdefault("vae_low_mel_l1", []).append(float((recon - mel)[:, :, :LOW_BINS].abs().mean()))
    return {k: round(float(np.nanmean(v)), 4) for k, v in acc.items()}


def _voiced_frames(vae: AudioVAE, waves: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Voiced latent frames of `waves`: (latents of the frame and its neighbours [N, 3·Ca], the log-mel
    under it [N, C·M·4], log2 F0 [N])."""
    latents, mels, pitch = [], [], []
    for wave in waves:
        with torch.no_grad():
            mel = vae.logmel(torch.from_numpy(wave)[None])
            z = vae.encode(mel).mean[0].numpy()  # [Ca, L]
        times, f0 = voice_pitch(wave, SR)
        m = mel[0].flatten(0, 1).numpy()  # [C·M, F]
        rate = vae.config.latents_per_second
        for j in range(1, z.shape[1] - 1):
            near = np.abs(times - (j + 0.5) / rate) < 0.5 / rate
            if near.any() and (f0[near] > 0).all():
                latents.append(z[:, j - 1 : j + 2].ravel())
                mels.append(m[:, 4 * j : 4 * j + 4].ravel())
                pitch.append(np.log2(np.median(f0[near])))
    return np.array(latents), np.array(mels), np.array(pitch)


def _pitch_probe(train: np.ndarray, y: np.ndarray, test: np.ndarray, y_test: np.ndarray) -> dict[str, float]:
    """A small MLP from features to log2 F0: R² and median error (semitones) on the test frames."""
    torch.manual_seed(0)
    mu, sd = train.mean(0), train.std(0) + 1e-6
    a, b = (torch.tensor((x - mu) / sd, dtype=torch.float32) for x in (train, test))
    target = torch.tensor(y - y.mean(), dtype=torch.float32)
    net = torch.nn.Sequential(torch.nn.Linear(a.shape[1], 128), torch.nn.GELU(), torch.nn.Dropout(0.2),
                              torch.nn.Linear(128, 1))
    opt = torch.optim.AdamW(net.parameters(), 1e-3, weight_decay=1e-2)
    for _ in range(3000):
        loss = (net(a)[:, 0] - target).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = net.eval()(b)[:, 0].numpy() + y.mean()
    r2 = 1.0 - float(((pred - y_test) ** 2).mean() / y_test.var())
    return {"r2": round(r2, 3), "median_error_semitones": round(float(np.median(np.abs(pred - y_test))) * 12, 2)}


def pitch(args: argparse.Namespace) -> dict:
    """How much of the voice's pitch the latents keep, against the log-mel they came from."""
    torch.set_num_threads(1)
    vae = system_from_checkpoint(load_checkpoint(args.checkpoint), args.checkpoint).audio_vae.eval()
    z, m, y = _voiced_frames(vae, speech_scenes(args.train_scenes, 0))
    z_test, m_test, y_test = _voiced_frames(vae, held_out_speech(args.scenes))
    return {"checkpoint": args.checkpoint, "train_frames": len(y), "test_frames": len(y_test),
            "f0_std_semitones": round(float(y_test.std()) * 12, 2),
            "from_latents": _pitch_probe(z, y, z_test, y_test), "from_log_mel": _pitch_probe(m, y, m_test, y_test)}


def _decoder_step(vae: AudioVAE, opt: torch.optim.Optimizer, mel: torch.Tensor, loss_cfg: VAELossConfig,
                  adversary: Adversary | None, decoder_only: bool, gen: torch.Generator) -> dict[str, float]:
    """One step with the adversarial terms, and/or with the encoder frozen (its means decoded: the
    latents the transformer was trained on stay exactly as they were)."""
    if decoder_only:
        with torch.no_grad():
            z = vae.encode(mel).mean
        fake = vae.decode(z)
        terms = reconstruction_loss(fake, mel, loss_cfg)
        loss, logs = terms["loss"], {k: float(v.detach()) for k, v in terms.items()}
    else:
        posterior = vae.encode(mel)
        fake = vae.decode(posterior.sample(gen))
        loss, logs = vae_loss(fake, mel, posterior, loss_cfg)
    if adversary is not None:
        adv, adv_logs = adversary.play(mel, fake)
        loss = loss + adv
        logs |= adv_logs
    optimizer_step(vae.decoder if decoder_only else vae, opt, loss, loss_cfg.max_grad_norm)
    return {**logs, "loss": float(loss)}


def _load_fitting(module: torch.nn.Module, source: dict[str, torch.Tensor]) -> None:
    """Load every tensor of `source` whose name and shape still fit `module`; the rest keep their init."""
    module.load_state_dict({k: source[k] if k in source and source[k].shape == v.shape else v
                            for k, v in module.state_dict().items()})


def _with_audio_channels(system: System, cfg: AudioVAEConfig) -> System:
    """The system rebuilt for audio latents of `cfg.latent_channels`: every weight that still fits is
    kept; the transformer's audio patch embedding and output layer start fresh."""
    config = dataclasses.replace(system.config, audio_vae=cfg, transformer=dataclasses.replace(
        system.config.transformer, audio_channels=cfg.latent_channels))
    rebuilt = System(config)
    _load_fitting(rebuilt, system.state_dict())
    return rebuilt


def train(args: argparse.Namespace) -> dict:
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    ck = load_checkpoint(args.checkpoint)
    system: System = system_from_checkpoint(ck, args.checkpoint)
    cfg = system.audio_vae.config
    if args.latent_channels:
        cfg = dataclasses.replace(cfg, latent_channels=args.latent_channels, latent_mean=0.0, latent_std=1.0)
    if args.spectral_width:
        cfg = dataclasses.replace(cfg, spectral_width=args.spectral_width)
    vae = AudioVAE(cfg)
    if not args.from_scratch:  # every tensor that still fits (not the latent-facing convs, new 2D layers)
        _load_fitting(vae, system.audio_vae.state_dict())
    waves = held_out_speech(args.eval_scenes)
    before = measure(system, vae, waves)
    print(f"before: {before}", flush=True)
    data = DecoderTuneConfig(audio_batch=args.batch, crop_frames=args.crop_frames, seed=args.seed)
    rng, gen = np.random.default_rng(args.seed), torch.Generator().manual_seed(args.seed)
    trained = vae.decoder if args.decoder_only else vae
    opt = torch.optim.AdamW(trained.parameters(), lr=args.lr, weight_decay=0.0, betas=(0.8, 0.99))
    loss_cfg = VAELossConfig(edge_weight=args.edge_weight, kl_weight=args.kl_weight)
    adversary = (Adversary(MelDiscriminator(cfg.channels), args.adversarial, args.feature_matching)
                 if args.adversarial else None)
    vae.train().requires_grad_(True)
    if args.decoder_only:
        vae.encoder.eval().requires_grad_(False)
    start, step, history = time.time(), 0, []
    while time.time() - start < args.minutes * 60:
        for group in opt.param_groups:
            group["lr"] = args.lr * min(1.0, (step + 1) / 20)
        with torch.no_grad():
            mel = vae.logmel(crop_batch(data, vae.config.mel.hop_length, rng))
        if adversary is None and not args.decoder_only:
            history.append(train_vae_step(vae, opt, mel, loss_cfg, gen))
        else:
            history.append(_decoder_step(vae, opt, mel, loss_cfg, adversary, args.decoder_only, gen))
        step += 1
        if step % 50 == 0:
            keys = [k for k in ("loss", "l1", "edge", "kl", "adv", "fm", "disc") if k in history[-1]]
            tail = {k: round(float(np.mean([h[k] for h in history[-50:]])), 4) for k in keys}
            print(f"step {step} {time.time() - start:.0f}s {tail}", flush=True)
    after = measure(system, vae, waves)
    print(f"after: {after}", flush=True)
    if cfg.latent_channels != system.config.audio_vae.latent_channels:
        system = _with_audio_channels(system, cfg)
    system.config = dataclasses.replace(system.config, audio_vae=cfg)
    system.audio_vae = vae.eval().requires_grad_(False)
    stats = (cfg.latent_mean, cfg.latent_std)  # decoder-only: the same encoder, the same normalisation
    if not args.decoder_only:
        with torch.no_grad():  # this VAE's own latent statistics (a transformer trained on it needs them)
            z = torch.cat([vae.encode(vae.logmel(crop_batch(data, vae.config.mel.hop_length, rng))).mean
                           .transpose(0, 1).flatten(1) for _ in range(8)], 1)
        stats = channel_stats(z)
    video = system.config.video_vae
    system.with_latent_stats((video.latent_mean, video.latent_std), stats)
    out = Path(args.out_dir)
    settings = {"warm_start": not args.from_scratch, "latent_channels": cfg.latent_channels,
                "spectral_width": cfg.spectral_width,
                "edge_weight": args.edge_weight, "decoder_only": args.decoder_only,
                "adversarial": args.adversarial, "feature_matching": args.feature_matching if args.adversarial else 0.0,
                "kl_weight": args.kl_weight, "steps": step, "batch": args.batch, "crop_frames": args.crop_frames,
                "lr": args.lr, "minutes": args.minutes, "threads": args.threads}
    note = ("encoder frozen: the transformer's latents are unchanged, its audio_vae can be merged into it"
            if args.decoder_only else "transformer not retrained: for --through evaluation or --init only")
    record = {**ck.record, "audio_vae_variant": {**settings, "note": note}}
    save_system(out / "checkpoint", system, record)
    result = {**settings, "host": platform.node(), "eval_scenes": len(waves),
              "held_out_before": before, "held_out_after": after}
    (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    probe = sub.add_parser("probe", help="whether a checkpoint's audio path keeps speech")
    probe.add_argument("--checkpoint", default=None)
    probe.add_argument("--scenes", type=int, default=8)
    probe.add_argument("--out", type=Path, default=Path("benchmarks/results/audio_vae_probe.json"))
    pp = sub.add_parser("pitch", help="how much of the pitch the latents keep (MLP probe vs the log-mel)")
    pp.add_argument("--checkpoint", default=None)
    pp.add_argument("--train-scenes", type=int, default=30)
    pp.add_argument("--scenes", type=int, default=8)
    pp.add_argument("--out", type=Path, default=Path("benchmarks/results/audio_latent_pitch.json"))
    tr = sub.add_parser("train", help="train one audio VAE variant for a fixed wall time")
    tr.add_argument("--checkpoint", default=None)
    tr.add_argument("--from-scratch", action="store_true")
    tr.add_argument("--minutes", type=float, default=30.0)
    tr.add_argument("--batch", type=int, default=8, help="stereo crops per step")
    tr.add_argument("--crop-frames", type=int, default=192, help="log-mel frames per crop (128 per second)")
    tr.add_argument("--latent-channels", type=int, default=0, help="0: the checkpoint's")
    tr.add_argument("--spectral-width", type=int, default=0, help="2D stem/head channels (0: the checkpoint's)")
    tr.add_argument("--edge-weight", type=float, default=0.0)
    tr.add_argument("--kl-weight", type=float, default=VAELossConfig.kl_weight)
    tr.add_argument("--decoder-only", action="store_true",
                    help="freeze the encoder: the latents (and the transformer trained on them) stay valid")
    tr.add_argument("--adversarial", type=float, default=0.0, help="weight of a patch discriminator's hinge loss")
    tr.add_argument("--feature-matching", type=float, default=1.0, help="with --adversarial: feature-matching L1")
    tr.add_argument("--lr", type=float, default=1e-4)
    tr.add_argument("--threads", type=int, default=1)
    tr.add_argument("--eval-scenes", type=int, default=8)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--out-dir", type=Path, required=True)
    args = ap.parse_args()
    from phonofilm.pipeline.generate import default_checkpoint

    args.checkpoint = args.checkpoint or str(default_checkpoint())
    if args.command == "train":
        train(args)
        return
    torch.set_num_threads(1)
    if args.command == "pitch":
        report = pitch(args)
    else:
        system = system_from_checkpoint(load_checkpoint(args.checkpoint), args.checkpoint)
        report = {"checkpoint": args.checkpoint, "scenes": args.scenes,
                  **measure(system, system.audio_vae, held_out_speech(args.scenes))}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
