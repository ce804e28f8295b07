"""One optimisation step of each training stage, as functions of (models, batch) → logged floats."""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass

import torch
from torch import Tensor

from phonofilm.diffusion.flow import (
    change_weights,
    condition_dropout,
    flow_loss,
    noise_latents,
    sample_timesteps,
    velocity_target,
)
from phonofilm.diffusion.noise import shot_correlated_batch
from phonofilm.diffusion.patchify import TimeLayout
from phonofilm.models.reference import CameoInput
from phonofilm.models.system import System
from phonofilm.models.text import TextEncoder, pooled_embeddings
from phonofilm.models.transformer import ModalityInput
from phonofilm.train.autoencoders import (
    VAELossConfig,
    VocoderLossConfig,
    train_audio_vae_step,
    train_video_vae_step,
    train_vocoder_step,
)
from phonofilm.train.config import AUTOENCODERS, TrainConfig
from phonofilm.train.optim import optimizer_step


def video_to_model(video_uint8: Tensor, device: torch.device) -> Tensor:
    """uint8 [B, T, H, W, 3] → float [B, 3, T, H, W] in [-1, 1] on `device`."""
    return video_uint8.to(device, non_blocking=True).permute(0, 4, 1, 2, 3).float().div_(127.5).sub_(1.0)


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    if precision == "bf16" and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@dataclass
class AutoencoderModels:
    video_vae: torch.nn.Module
    audio_vae: torch.nn.Module
    vocoder: torch.nn.Module


def autoencoder_step(models: AutoencoderModels, logmel: torch.nn.Module, opts: dict[str, torch.optim.Optimizer],
                     batch: dict, gen: torch.Generator, max_grad_norm: float, device: torch.device,
                     motion_weight: float = 0.0, edge_weight: float = 0.0,
                     audio_edge_weight: float = 0.0, parts: tuple[str, ...] = AUTOENCODERS) -> dict[str, float]:
    """Each autoencoder in `parts` (video VAE, audio VAE, vocoder) takes one step on the same batch
    (fp32 / TF32); the video loss's `motion_weight` and `edge_weight` and the audio loss's
    `audio_edge_weight` as in `train.autoencoders.VAELossConfig`."""
    logs: dict[str, float] = {}
    vae_cfg = VAELossConfig(max_grad_norm=max_grad_norm)
    if "video_vae" in parts:
        frames = video_to_model(batch["video"], device)
        video_cfg = dataclasses.replace(vae_cfg, motion_weight=motion_weight, edge_weight=edge_weight)
        v = train_video_vae_step(models.video_vae, opts["video_vae"], frames, video_cfg, gen)
        logs |= {"video_l1": v["l1"], "video_kl": v["kl"]}
    if "audio_vae" not in parts and "vocoder" not in parts:
        return logs  # no sound to move to the device
    wave = batch["audio"].to(device, non_blocking=True)
    if "audio_vae" in parts:
        with torch.no_grad():
            mel = logmel(wave)
        audio_cfg = dataclasses.replace(vae_cfg, edge_weight=audio_edge_weight)
        logs["audio_l1"] = train_audio_vae_step(models.audio_vae, opts["audio_vae"], mel, audio_cfg, gen)["l1"]
    if "vocoder" in parts:
        # the vocoder learns on 1 s crops: its receptive field is short and crops keep the STFT losses cheap
        crop = min(wave.shape[-1], 16000)
        voc = train_vocoder_step(models.vocoder, logmel, opts["vocoder"], wave[..., :crop],
                                 VocoderLossConfig(max_grad_norm=max_grad_norm))
        logs |= {"vocoder": voc["loss"], "vocoder_mel_l1": voc["mel_l1"]}
    return logs


@torch.no_grad()
def encode_latents(system: System, batch: dict, device: torch.device, chunk: int = 8) -> tuple[Tensor, Tensor]:
    """Normalised diffusion latents (video [B,Cv,F,h,w], audio [B,Ca,L]) of a batch (posterior means).

    Encoded `chunk` clips at a time: the 3D VAE's full-resolution activations of a whole batch of 8 s
    clips would not fit an 80 GB GPU."""
    zvs, zas = [], []
    for video, audio in zip(batch["video"].split(chunk), batch["audio"].split(chunk), strict=True):
        frames = video_to_model(video, device)
        wave = audio.to(device, non_blocking=True)
        zvs.append(system.video_vae.normalize(system.video_vae.encode(frames).mean))
        zas.append(system.audio_vae.normalize(system.audio_vae.encode_audio(wave).mean))
    return torch.cat(zvs), torch.cat(zas)


@torch.no_grad()
def encode_cameos(system: System, text_encoder: TextEncoder, cameos: dict | None, batch_size: int,
                  device: torch.device) -> CameoInput | None:
    """A batch's cameo recordings (see train.cameos.collate_cameos) → the transformer's CameoInput."""
    if cameos is None or system.transformer.reference_encoder is None:
        return None
    where = cameos["where"].to(device)
    zv, za = encode_latents(system, {"video": cameos["video"], "audio": cameos["audio"]}, device)
    names = pooled_embeddings(text_encoder, cameos["names"]).to(device)
    k = system.config.transformer.max_cameos
    video = zv.new_zeros(batch_size, k, *zv.shape[1:])
    audio = za.new_zeros(batch_size, k, *za.shape[1:])
    name = names.new_zeros(batch_size, k, names.shape[-1])
    mask = torch.zeros(batch_size, k, dtype=torch.bool, device=device)
    b, slot = where[:, 0], where[:, 1]
    video[b, slot], audio[b, slot], name[b, slot], mask[b, slot] = zv, za, names, True
    return CameoInput(video, audio, name, mask)


def shot_conditioning(shots: Tensor, latent_frames: int, layout: TimeLayout) -> tuple[Tensor, Tensor]:
    """Per-frame shot indices [B, T] → per-latent-frame (shot_ids [B, F], cuts [B, F] bool).

    Latent frame j summarises frames s(j−1)+1..sj, so it takes the shot of frame sj; a cut marks the
    first latent frame of each shot after the first.
    """
    idx = torch.arange(latent_frames, device=shots.device) * layout.frames_per_latent
    ids = shots[:, idx.clamp(max=shots.shape[1] - 1)]
    cuts = torch.zeros_like(ids, dtype=torch.bool)
    cuts[:, 1:] = ids[:, 1:] != ids[:, :-1]
    return ids, cuts


def choose_mode(cfg: TrainConfig, gen: torch.Generator) -> str:
    """joint | video_to_audio | video_only, per batch (all samples of a batch share the streams)."""
    u = float(torch.rand((), generator=gen, device=gen.device))
    if u < cfg.p_video_to_audio:
        return "video_to_audio"
    if u < cfg.p_video_to_audio + cfg.p_video_only:
        return "video_only"
    return "joint"


def batch_latents(system: System, text_encoder: TextEncoder, batch: dict, precision: str,
                  device: torch.device) -> tuple[Tensor, Tensor, CameoInput | None]:
    """(video, audio, cameo) latents of a batch, encoded once per rendered batch: data echo reuses them
    (encoding 65 frames through the 3D VAE costs more than a transformer step of the small model)."""
    if "_latents" not in batch:
        with autocast(device, precision):
            zv, za = encode_latents(system, batch, device)
            cameo = encode_cameos(system, text_encoder, batch.get("cameos"), zv.shape[0], device)
        if cameo is not None:
            cameo = CameoInput(cameo.video.float(), cameo.audio.float(), cameo.names.float(), cameo.mask)
        batch["_latents"] = (zv.float(), za.float(), cameo)
    return batch["_latents"]


def clean_masks(cfg: TrainConfig, gen: torch.Generator, b: int, f: int, n_audio: int,
                device: torch.device, layout: TimeLayout) -> tuple[Tensor, Tensor | None]:
    """Which latents are given clean: the first frame (image-to-video) for some samples, and for others a
    continuation prefix — the first k latent frames of video *and* their audio (long videos, extension)."""
    cond_v = torch.zeros(b, f, dtype=torch.bool, device=device)
    cond_v[:, 0] = torch.rand(b, generator=gen, device=device) < cfg.p_first_frame
    if f < 3 or cfg.p_continue <= 0:
        return cond_v, None
    cont = torch.rand(b, generator=gen, device=device) < cfg.p_continue
    k = torch.randint(1, f // 2 + 1, (b,), generator=gen, device=device)
    frames = torch.arange(f, device=device)[None]
    cond_v |= cont[:, None] & (frames < k[:, None])
    cond_a = cont[:, None] & (torch.arange(n_audio, device=device)[None] < layout.audio_under(k)[:, None])
    return cond_v, cond_a


def transformer_step(system: System, transformer: torch.nn.Module, text_encoder: TextEncoder,
                     opt: torch.optim.Optimizer, batch: dict, cfg: TrainConfig, gen: torch.Generator,
                     device: torch.device) -> dict[str, float]:
    """One flow-matching step of the joint transformer on frozen-autoencoder latents."""
    zv, za, cameo = batch_latents(system, text_encoder, batch, cfg.precision, device)
    b, f = zv.shape[0], zv.shape[2]
    mode = choose_mode(cfg, gen)
    cond_v, cond_a = clean_masks(cfg, gen, b, f, za.shape[-1], device, system.config.layout)
    if mode == "video_to_audio":
        cond_v, cond_a = torch.ones(b, f, dtype=torch.bool, device=device), None
    n_tokens = f * -(-zv.shape[3] // 2) * -(-zv.shape[4] // 2) + za.shape[-1]  # video (1,2,2) patches + audio
    t = sample_timesteps(b, gen, n_tokens)
    shot_ids, cuts = shot_conditioning(batch["shots"].to(device), f, system.config.layout)
    nv = shot_correlated_batch(torch.randn(zv.shape, generator=gen, device=device), cfg.noise_correlation, cuts, gen,
                               anchored=cond_v)  # a shot given a clean latent keeps its own noise, as sampled
    na = torch.randn(za.shape, generator=gen, device=device)
    text = text_encoder.encode(batch["captions"]).to(device)
    text = text.drop(*condition_dropout(b, gen))
    video_in = ModalityInput(noise_latents(zv, nv, t, cond_v), cond_v, shot_ids, cuts)
    audio_in = None if mode == "video_only" else ModalityInput(noise_latents(za, na, t, cond_a), cond_a)
    with autocast(device, cfg.precision):
        v_pred, a_pred = transformer(video_in, audio_in, text, t, reference=cameo)
    pred, target, masks = {}, {}, {}
    if mode != "video_to_audio":
        pred["video"], target["video"], masks["video"] = v_pred, velocity_target(zv, nv), cond_v
    if a_pred is not None:
        pred["audio"], target["audio"] = a_pred, velocity_target(za, na)
        if cond_a is not None:
            masks["audio"] = cond_a
    emphasis = {}
    if cfg.flow_change_weight > 0:  # only for the streams in the loss
        clean = {"video": zv, "audio": za}
        emphasis = {k: change_weights(clean[k], cfg.flow_change_weight) for k in pred}
    loss, parts = flow_loss(pred, target, masks, position_weights=emphasis)
    grad = optimizer_step(transformer, opt, loss, cfg.transformer.max_grad_norm)
    logs = {"loss": float(loss.detach()), "grad_norm": grad}
    logs.update({f"loss_{k}": float(v.detach()) for k, v in parts.items()})
    return logs


@torch.no_grad()
def latent_statistics(system: System, batches: list[dict], device: torch.device) -> tuple[tuple, tuple]:
    """Per-channel (mean, std) of raw VAE latents over some batches (set before the transformer trains)."""
    vs, as_ = [], []
    for batch in batches:
        frames = video_to_model(batch["video"], device)
        vs.append(system.video_vae.encode(frames).mean.transpose(0, 1).flatten(1))  # [Cv, N]
        as_.append(system.audio_vae.encode_audio(batch["audio"].to(device)).mean.transpose(0, 1).flatten(1))
    return channel_stats(torch.cat(vs, 1)), channel_stats(torch.cat(as_, 1))


def channel_stats(x: Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel (mean, std) of latents gathered as [C, N], as a VAE config stores them (std ≥ 1e-3)."""
    return (tuple(round(float(m), 5) for m in x.mean(1)),
            tuple(round(max(float(s), 1e-3), 5) for s in x.std(1)))
