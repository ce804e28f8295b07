"""Losses and one-step trainers for the video VAE, the audio VAE and the vocoder.

Each `train_*_step` does forward, loss, backward, gradient clip and optimizer step on one batch and
returns plain floats for logging; the loop, data and checkpoints belong to the trainer.
No adversarial term yet: reconstruction (L1 + L2) with a small KL for the VAEs, multi-resolution
STFT + log-mel L1 for the vocoder. For video, the L1 can be weighted up where pixels move and an L1 of
image gradients added against blur (`motion_weight`, `edge_weight`): the benchmark tracks moving objects,
and an unweighted loss lets a small decoder smear them (docs/model-card.md, "autoencoder ceiling"). For
the audio VAE the same `edge_weight` compares the log-mel's gradients along frequency and time: the
harmonics that make a voice voiced (and heard as speech) are what an averaging decoder blurs first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from phonofilm.models.audio_vae import AudioVAE
from phonofilm.models.layers import DiagonalGaussian
from phonofilm.models.mel import LogMel, stft_magnitude
from phonofilm.models.video_vae import VideoVAE
from phonofilm.models.vocoder import Vocoder, VocoderConfig
from phonofilm.train.adversarial import Adversary
from phonofilm.train.optim import optimizer_step


@dataclass(frozen=True)
class VAELossConfig:
    """Weights of the VAE loss; every term is a per-element mean, so weights are comparable across sizes."""

    l1_weight: float = 1.0
    l2_weight: float = 1.0
    kl_weight: float = 1e-6  # on per-element means; ≈ 5e-5 in LDM's summed convention (LDM: 1e-6)
    max_grad_norm: float = 1.0
    motion_weight: float = 0.0  # video: extra L1 weight on pixels that change between frames
    edge_weight: float = 0.0  # video: weight of the L1 between image gradients


@dataclass(frozen=True)
class VocoderLossConfig:
    """Weights of the vocoder loss and the (n_fft, hop, win) of each STFT resolution."""

    stft_weight: float = 1.0
    mel_weight: float = 1.0
    resolutions: tuple[tuple[int, int, int], ...] = ((256, 64, 256), (512, 128, 512), (1024, 256, 1024))
    max_grad_norm: float = 1.0
    pitch_weight: float = 1.0  # a vocoder with a harmonic source: voicing BCE + L1 of its log-F0 position


def motion_map(x: Tensor) -> Tensor:
    """Frames [B, 3, T, H, W] → [B, 1, T, H, W] in [0, 1]: how much each pixel changes to or from a
    neighbouring frame (a change of a tenth of the [-1, 1] range counts fully)."""
    d = (x[:, :, 1:] - x[:, :, :-1]).abs().amax(dim=1, keepdim=True)  # [B, 1, T - 1, H, W]
    zero = torch.zeros_like(d[:, :, :1])
    return (torch.maximum(torch.cat([zero, d], dim=2), torch.cat([d, zero], dim=2)) / 0.2).clamp(max=1.0)


def reconstruction_loss(recon: Tensor, target: Tensor, cfg: VAELossConfig) -> dict[str, Tensor]:
    """L1 (motion-weighted for video when `cfg.motion_weight`) + L2 (+ edge L1 of the last two axes'
    gradients when `cfg.edge_weight`) → terms and "loss"."""
    video = recon.ndim == 5
    if video and cfg.motion_weight > 0:
        weight = 1.0 + cfg.motion_weight * motion_map(target)
        l1 = (weight * (recon - target).abs()).mean() / weight.mean()
    else:
        l1 = F.l1_loss(recon, target)
    l2 = F.mse_loss(recon, target)
    terms = {"l1": l1, "l2": l2}
    loss = cfg.l1_weight * l1 + cfg.l2_weight * l2
    if cfg.edge_weight > 0:  # video: along W and H; log-mel: along time and frequency (onsets, harmonics)
        terms["edge"] = sum(F.l1_loss(torch.diff(recon, dim=d), torch.diff(target, dim=d)) for d in (-1, -2))
        loss = loss + cfg.edge_weight * terms["edge"]
    return {"loss": loss, **terms}


def vae_loss(
    recon: Tensor, target: Tensor, posterior: DiagonalGaussian, cfg: VAELossConfig
) -> tuple[Tensor, dict[str, float]]:
    """Reconstruction (`reconstruction_loss`) + KL(q || N(0, I)) -> (loss, logged terms)."""
    terms = reconstruction_loss(recon, target, cfg)
    terms["kl"] = posterior.kl()
    terms["loss"] = terms["loss"] + cfg.kl_weight * terms["kl"]
    return terms["loss"], {k: v.item() for k, v in terms.items()}


def train_vae_step(
    model: VideoVAE | AudioVAE,
    optimizer: torch.optim.Optimizer,
    x: Tensor,
    cfg: VAELossConfig | None = None,
    generator: torch.Generator | None = None,
) -> dict[str, float]:
    """One optimisation step of either VAE on its input (frames [B, 3, 1 + 4k, H, W] in [-1, 1], or
    log-mel [B, C, M, F] made with `model.logmel(wave)`); returns the logged terms."""
    cfg = cfg or VAELossConfig()
    model.train()
    recon, posterior = model(x, generator)
    loss, logs = vae_loss(recon, x, posterior, cfg)
    logs["grad_norm"] = optimizer_step(model, optimizer, loss, cfg.max_grad_norm)
    return logs


# the two VAEs train the same way; the names say which input each call site passes
train_video_vae_step = train_vae_step
train_audio_vae_step = train_vae_step


def multi_resolution_stft_loss(
    pred: Tensor,
    target: Tensor,
    resolutions: tuple[tuple[int, int, int], ...] = VocoderLossConfig.resolutions,
) -> Tensor:
    """Mean over resolutions of spectral convergence + L1 of log-magnitudes, for waves [N, S]."""
    total = pred.new_zeros(())
    for n_fft, hop, win in resolutions:
        p = stft_magnitude(pred, n_fft, hop, win)
        t = stft_magnitude(target, n_fft, hop, win)
        convergence = torch.linalg.norm(t - p) / torch.linalg.norm(t).clamp(min=1e-7)
        log_mag = F.l1_loss(torch.log(p.clamp(min=1e-5)), torch.log(t.clamp(min=1e-5)))
        total = total + convergence + log_mag
    return total / len(resolutions)


def vocoder_loss(
    pred: Tensor, target: Tensor, logmel: LogMel, cfg: VocoderLossConfig
) -> tuple[Tensor, dict[str, float]]:
    """Multi-resolution STFT + log-mel L1 between waves [N, S] -> (loss, logged terms)."""
    stft = multi_resolution_stft_loss(pred, target, cfg.resolutions)
    mel = F.l1_loss(logmel(pred), logmel(target))
    loss = cfg.stft_weight * stft + cfg.mel_weight * mel
    return loss, {"loss": loss.item(), "mr_stft": stft.item(), "mel_l1": mel.item()}


def pitch_targets(wave: Tensor, cfg: VocoderConfig) -> tuple[Tensor, Tensor]:
    """What a harmonic vocoder's pitch head should say for waves [N, S]: per mel frame (centred, hop
    apart) whether the benchmark's pitch tracker finds a voice there (`eval.perception.audio.voice_pitch`)
    and its log-F0 position between cfg.f0_min and cfg.f0_max; both [N, S // hop]."""
    from phonofilm.eval.perception.audio import voice_pitch

    sr, hop = cfg.mel.sample_rate, cfg.mel.hop_length
    frames = wave.shape[-1] // hop
    centres = np.arange(frames) * hop / sr
    hz = np.zeros((len(wave), frames), np.float32)  # 0: unvoiced
    for i, w in enumerate(wave.detach().cpu().numpy()):
        times, f0 = voice_pitch(w, sr, sr / hop)
        if len(times):
            hz[i] = f0[np.rint(np.interp(centres, times, np.arange(len(times)))).astype(int)]  # edges: end frames
    hz_t = torch.from_numpy(hz).to(wave.device)
    return hz_t > 0, cfg.position_of(hz_t)


def train_vocoder_step(
    vocoder: Vocoder,
    logmel: LogMel,
    optimizer: torch.optim.Optimizer,
    wave: Tensor,
    cfg: VocoderLossConfig | None = None,
    mel: Tensor | None = None,
    adversary: Adversary | None = None,
) -> dict[str, float]:
    """One optimisation step on waves [N, S] (or [B, C, S], channels batched), vocoded from their own
    log-mels or from `mel` [N, M, S // hop] (e.g. an autoencoder's reconstruction of them); with an
    `adversary` (a `WaveDiscriminator`), its hinge and feature-matching terms join the loss."""
    cfg = cfg or VocoderLossConfig()
    vocoder.train()
    wave = wave.reshape(-1, wave.shape[-1])
    if mel is None:
        with torch.no_grad():
            mel = logmel(wave)  # [N, M, S // hop]
    pred, pitch = vocoder(mel, with_pitch=True)  # [N, (S // hop) × hop]; through DDP's forward when wrapped
    target = wave[:, : pred.shape[-1]]
    loss, logs = vocoder_loss(pred, target, logmel, cfg)
    if pitch is not None:
        voiced, position = pitch_targets(target, getattr(vocoder, "module", vocoder).config)
        voicing = F.binary_cross_entropy_with_logits(pitch.voicing, voiced.float())
        pitch_l1 = F.l1_loss(pitch.position[voiced], position[voiced]) if voiced.any() else voicing.new_zeros(())
        loss = loss + cfg.pitch_weight * (voicing + pitch_l1)
        logs |= {"voicing_bce": float(voicing.detach()), "pitch_l1": float(pitch_l1.detach()),
                 "loss": float(loss.detach())}
    if adversary is not None:
        adv, adv_logs = adversary.play(target, pred)
        loss = loss + adv
        logs |= adv_logs | {"loss": float(loss.detach())}
    logs["grad_norm"] = optimizer_step(vocoder, optimizer, loss, cfg.max_grad_norm)
    return logs
