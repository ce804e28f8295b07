"""What the decoder tunes (`train.decoders`) and the autoencoder benchmarks measure on: world scenes from
seeds ≥ HELD_OUT_SEED, never trained on — their sound alone, 128×72 clips, scenes with speech — and the
before/after scores of a system's decoding parts on them."""

from __future__ import annotations

import numpy as np
import torch

from phonofilm.models.system import System
from phonofilm.train.autoencoders import motion_map
from phonofilm.train.recon_metrics import hearing, mel_distance, onset_f1, psnr
from phonofilm.train.steps import video_to_model

HELD_OUT_SEED = 2_000_000_000  # seeds at or above are never trained on


def render_sound(seed: int, seconds: float, sample_rate: int = 16000) -> np.ndarray:
    """A world scene's stereo sound alone (no picture is drawn): float32 [2, seconds × rate]."""
    from phonofilm.world.physics import simulate
    from phonofilm.world.sampler import sample_scene
    from phonofilm.world.sound.mix import render_audio
    from phonofilm.world.sound.speech import synthesize_dialogue

    scene = sample_scene(seed, duration=seconds)
    return np.asarray(render_audio(scene, simulate(scene), synthesize_dialogue(scene, sample_rate),
                                   sample_rate, 2), dtype=np.float32)


def held_out_clip(i: int, seconds: float):
    """The i-th held-out world clip at 128×72 (seed ≥ HELD_OUT_SEED: never trained on)."""
    from phonofilm.world.make import make_clip_from_seed

    return make_clip_from_seed(HELD_OUT_SEED + 7919 * i, seconds, 128, 72)


def speech_scenes(n: int, first_seed: int, seconds: float = 4.0, min_speech: float = 0.1) -> list[np.ndarray]:
    """The sound of the first `n` scenes from `first_seed` on heard as speech ≥ `min_speech` of the time."""
    from phonofilm.eval.perception.audio import speech_activity

    waves, seed = [], first_seed
    while len(waves) < n:
        wave = render_sound(seed, seconds)
        seed += 1
        if speech_activity(wave, 16000)[1].mean() >= min_speech:
            waves.append(wave)
    return waves


def held_out_speech(n: int) -> list[np.ndarray]:
    """The first `n` held-out scenes with speech (seeds from HELD_OUT_SEED on: never trained on), 4 s stereo."""
    return speech_scenes(n, HELD_OUT_SEED)


def held_out_video(frames: np.ndarray) -> torch.Tensor:
    """uint8 frames [T, H, W, 3] → the model's input [1, 3, 1 + 4k, H, W] in [-1, 1] (the tail cut)."""
    n = 1 + 4 * ((len(frames) - 1) // 4)
    return video_to_model(torch.from_numpy(frames[:n])[None], torch.device("cpu"))


def video_scores(recon: torch.Tensor, x: torch.Tensor) -> dict[str, float]:
    """PSNR of a reconstruction over all pixels and (where any move) over moving ones (`motion_map` > 0.5)."""
    moving = motion_map(x).expand_as(x) > 0.5
    scores = {"psnr": psnr(recon, x)}
    if moving.any():
        scores["moving_psnr"] = psnr(recon[moving], x[moving])
    return scores


def evaluate_decoders(system: System, parts: tuple[str, ...], clips: int, seconds: float) -> dict[str, float]:
    """Held-out world clips: for the sound parts, log-mel L1 / onset F1 (vocoder on the clean mel, audio VAE
    + vocoder, Griffin-Lim on the clean mel) and the audio VAE's log-mel L1, and on held-out scenes with
    speech how the vocoder alone and audio VAE + vocoder are heard (`recon_metrics.hearing`: speech share,
    voiced share, voice similarity); for the video decoder, PSNR over all pixels and over moving ones."""
    from phonofilm.eval.metrics.identity import voice_profile
    from phonofilm.models.vocoder import griffin_lim

    vae, avae, voc = system.video_vae, system.audio_vae, system.vocoder
    scores: dict[str, list[float]] = {}
    with torch.no_grad():
        for i in range(clips):
            clip = held_out_clip(i, seconds)
            if {"vocoder", "audio_decoder"} & set(parts):
                ref = torch.from_numpy(clip.audio)
                mel = avae.logmel(ref[None])
                recon = avae.decode(avae.encode(mel).mode())  # what the audio VAE gives the vocoder
                scores.setdefault("audio_vae_logmel_l1", []).append(float((recon - mel).abs().mean()))
                outs = {"vocoder": voc(mel[0]), "vae_vocoder": voc(recon[0]), "griffin_lim": griffin_lim(mel[0])}
                for name, w in outs.items():
                    scores.setdefault(f"{name}_mel_l1", []).append(mel_distance(w, ref, 16000))
                    scores.setdefault(f"{name}_onset_f1", []).append(onset_f1(ref[0, : w.shape[-1]], w[0], 16000))
            if "video_decoder" in parts:
                x = held_out_video(clip.frames)
                recon = vae.decode(vae.encode(x).mean, chunk=4).clamp(-1, 1)
                for name, value in video_scores(recon, x).items():
                    scores.setdefault(f"video_{name}", []).append(value)
        if {"vocoder", "audio_decoder"} & set(parts):
            for wave in held_out_speech(clips):  # is a voice still heard as one?
                mel = avae.logmel(torch.from_numpy(wave)[None])
                recon = avae.decode(avae.encode(mel).mode())
                reference = voice_profile(wave, 16000)
                for name, m in (("vocoder", mel), ("vae_vocoder", recon)):
                    for key, value in hearing(voc(m[0]).numpy(), 16000, reference).items():
                        scores.setdefault(f"{name}_{key}", []).append(value)
    return {k: round(float(np.mean(v)), 4) for k, v in scores.items()}
