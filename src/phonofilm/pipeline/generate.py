"""The learned generator: prompt (+ image / source clip) → joint latents → frames and waveform → Clip.

Stages, each a method: conditioning (`_text`, `_first_frame`, `_source_latents`), diffusion (`_denoise`),
decoding (`_decode`), delivery (`_deliver`: trim to the requested duration, resize to the requested size).
The model works at 16 fps / 16 kHz on a canvas of about 128×72 pixels; the delivered size is reached by
resizing, and the result's metadata says so (`resized_from`, `upsampler`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from phonofilm.diffusion.flow import get_schedule
from phonofilm.diffusion.guidance import TransformerDenoiser, guided
from phonofilm.diffusion.samplers import SAMPLERS
from phonofilm.models.system import System, load_system
from phonofilm.models.text import TextEncoder
from phonofilm.pipeline.presets import GenerationPreset, generation_preset, working_size
from phonofilm.pipeline.request import GenerationRequest, GenerationResult, ProgressFn, UnsupportedRequest
from phonofilm.pipeline.validate import validate_request
from phonofilm.world.clip import Clip


@dataclass(frozen=True)
class Canvas:
    """The model-side shape of one generation."""

    width: int
    height: int
    frames: int  # 1 + 4k model frames at 16 fps (≥ the requested frames)
    out_frames: int  # requested frames at 16 fps

    @property
    def latent_frames(self) -> int:
        return 1 + (self.frames - 1) // 4

    @property
    def audio_latents(self) -> int:
        return self.frames * 2  # 1000 samples per frame, 500 per audio latent


class Pipeline:
    """Loads a checkpoint once; `generate` may be called many times (it is the `Generator` protocol)."""

    def __init__(self, system: System, record: dict, checkpoint: str = "", device: str = "cpu"):
        self.system = system
        self.record = record
        self.checkpoint = checkpoint
        self.device = torch.device(device)
        self.text_encoder = TextEncoder(device=device, max_tokens=system.config.text_tokens, cache_size=256)

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> Pipeline:
        system, record = load_system(path, device)
        return cls(system, record, str(path), device)

    # -- public -------------------------------------------------------------------------------------------
    @torch.inference_mode()
    def generate(self, request: GenerationRequest, progress: ProgressFn | None = None,
                 mode: str = "joint") -> GenerationResult:
        """Make one clip. mode "separate" = video alone, then audio from the finished video (ablation)."""
        validate_request(request)
        if request.cameos:
            raise UnsupportedRequest("cameo_unsupported", "this model has no cameo (reference) encoder yet; "
                                     "remove `characters`/--cameo or use a checkpoint trained with cameos")
        preset = generation_preset(request.preset)
        started = time.time()
        report = progress or (lambda f, s: None)
        seed = request.seed if request.seed is not None else int(np.random.SeedSequence().entropy % 2**31)
        if request.extend is not None:
            return self._extend(request, preset, seed, report)
        canvas = self._canvas(request, preset)
        clip, meta = self._run(request, preset, canvas, seed, report, mode)
        meta["seconds_wall"] = f"{time.time() - started:.2f}"
        return GenerationResult(clip, meta)

    # -- stages -------------------------------------------------------------------------------------------
    def _canvas(self, request: GenerationRequest, preset: GenerationPreset) -> Canvas:
        w, h = working_size(request.width, request.height, preset.model_area)
        out = max(1, round(request.seconds * self.system.config.fps))
        return Canvas(w, h, 1 + 4 * math.ceil((out - 1) / 4), out)

    def _run(self, request: GenerationRequest, preset: GenerationPreset, canvas: Canvas, seed: int,
             report: ProgressFn, mode: str, audio_prefix: torch.Tensor | None = None) -> tuple[Clip, dict]:
        report(0.0, "conditioning")
        x, cond_v, cond_a, start_t = self._initial_latents(request, canvas, seed, audio_prefix)
        text = self.text_encoder.encode([request.prompt]).to(self.device)
        few = bool(self.record.get("few_step")) and preset.few_steps is not None
        sampler_name = "shortcut" if few else preset.sampler
        steps = request.steps or (preset.few_steps if few else preset.steps)
        n_tokens = canvas.latent_frames * math.ceil(canvas.height / 16) * math.ceil(canvas.width / 16)
        sigmas = get_schedule(steps, n_tokens + canvas.audio_latents)
        if start_t < 1.0:  # remix/edit: start part-way down the schedule, from the re-noised source
            sigmas = torch.cat([torch.tensor([start_t]), sigmas[sigmas < start_t]])
        denoiser = TransformerDenoiser(self.system.transformer, text, cond_v, cond_a)
        sampler = SAMPLERS[sampler_name]

        def callback(info: dict) -> None:
            report(0.05 + 0.85 * (info["i"] + 1) / (len(sigmas) - 1), "denoising")

        if mode == "separate":
            # video alone, then audio conditioned on the finished (clean) video
            x_video = sampler(guided(denoiser, preset.video_guidance, 1.0), {"video": x["video"]}, sigmas, callback)
            b, f = x["video"].shape[0], x["video"].shape[2]
            full = torch.ones(b, f, dtype=torch.bool, device=self.device)  # the whole video is given
            d2 = TransformerDenoiser(self.system.transformer, text, full, cond_a)
            out = sampler(guided(d2, 1.0, preset.audio_guidance), {"video": x_video["video"], "audio": x["audio"]},
                          sigmas, None)
        elif mode == "joint":
            out = sampler(guided(denoiser, preset.video_guidance, preset.audio_guidance), x, sigmas, callback)
        else:
            raise ValueError(f"mode must be 'joint' or 'separate', got {mode!r}")
        report(0.9, "decoding")
        frames, audio = self._decode(out["video"], out["audio"], canvas)
        clip, meta = self._deliver(frames, audio, request, canvas)
        meta.update({"seed": str(seed), "steps": str(steps), "sampler": sampler_name, "preset": preset.name,
                     "mode": mode})
        report(1.0, "done")
        return clip, meta

    def _initial_latents(self, request: GenerationRequest, canvas: Canvas, seed: int,
                         audio_prefix: torch.Tensor | None):
        """Noise (seeded), clean first-frame / audio-prefix latents, and the starting noise level."""
        s = self.system
        cv, ca = s.config.video_vae.latent_channels, s.config.audio_vae.latent_channels
        g = torch.Generator("cpu").manual_seed(seed)
        nv = torch.randn(1, cv, canvas.latent_frames, canvas.height // 8, canvas.width // 8, generator=g)
        na = torch.randn(1, ca, canvas.audio_latents, generator=g)
        x = {"video": nv.to(self.device), "audio": na.to(self.device)}
        cond_v = cond_a = None
        start_t = 1.0
        if request.source is not None:
            zv, za = self._source_latents(request.source, canvas)
            start_t = float(request.strength)
            x = {"video": (1 - start_t) * zv + start_t * x["video"], "audio": (1 - start_t) * za + start_t * x["audio"]}
        if request.image is not None:
            z0 = self._first_frame(request.image, canvas)
            x["video"][:, :, :1] = z0
            cond_v = torch.zeros(1, canvas.latent_frames, dtype=torch.bool, device=self.device)
            cond_v[:, 0] = True
        if audio_prefix is not None:
            n = audio_prefix.shape[-1]
            x["audio"][..., :n] = audio_prefix
            cond_a = torch.zeros(1, canvas.audio_latents, dtype=torch.bool, device=self.device)
            cond_a[:, :n] = True
        return x, cond_v, cond_a, start_t

    def _first_frame(self, image: np.ndarray, canvas: Canvas) -> torch.Tensor:
        """Clean latent of the first frame [1, Cv, 1, h, w] (normalised)."""
        from phonofilm.train.batches import conform
        from phonofilm.train.steps import video_to_model

        video, _ = conform(image[None], self.system.config.fps, None, None, canvas.width, canvas.height, 1)
        vae = self.system.video_vae
        return vae.normalize(vae.encode(video_to_model(torch.from_numpy(video)[None], self.device)).mean)

    def _source_latents(self, source: Clip, canvas: Canvas) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised (video, audio) latents of a clip conformed to the canvas (remix, edit, extension)."""
        from phonofilm.train.batches import conform
        from phonofilm.train.steps import encode_latents

        video, wave = conform(source.frames, source.fps, source.audio, source.sample_rate,
                              canvas.width, canvas.height, canvas.frames)
        batch = {"video": torch.from_numpy(video)[None], "audio": torch.from_numpy(wave)[None]}
        return encode_latents(self.system, batch, self.device)

    def _decode(self, zv: torch.Tensor, za: torch.Tensor, canvas: Canvas) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.system
        frames = s.video_vae.decode(s.video_vae.denormalize(zv), chunk=4)  # [1,3,T,h,w]
        audio = s.audio_vae.decode_audio(s.audio_vae.denormalize(za), s.vocoder)  # [1,C,S]
        return frames[0], audio[0]

    def _deliver(self, frames: torch.Tensor, audio: torch.Tensor, request: GenerationRequest,
                 canvas: Canvas) -> tuple[Clip, dict]:
        """Trim to the requested duration, resize to the requested size, to uint8 / float32 numpy."""
        fps, sr = self.system.config.fps, self.system.config.sample_rate
        frames = frames[:, : canvas.out_frames].clamp(-1, 1)
        out = []
        for chunk in frames.split(16, dim=1):  # bounded memory at 1080p
            big = F.interpolate(chunk.transpose(0, 1).float(), size=(request.height, request.width),
                                mode="bicubic", align_corners=False)
            out.append(((big.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy())
        video = np.concatenate(out)
        n = round(canvas.out_frames / fps * sr)
        wave = audio[:, :n].clamp(-1, 1).float().cpu().numpy()
        wave = np.pad(wave, ((0, 0), (0, n - wave.shape[1])))
        meta = {"model": self.system.config.preset, "checkpoint": self.checkpoint,
                "resized_from": f"{canvas.width}x{canvas.height}", "upsampler": "bicubic resize",
                "model_fps": f"{fps:g}", "model_sample_rate": str(sr)}
        return Clip(video, wave.astype(np.float32), fps, sr, request.prompt), meta

    def _extend(self, request: GenerationRequest, preset: GenerationPreset, seed: int,
                report: ProgressFn) -> GenerationResult:
        """Continue `request.extend`: its last frame and last 0.25 s of audio condition a new window."""
        src = request.extend
        canvas = self._canvas(request, preset)
        # the new window starts on the source's last frame: its audio (one frame long) is given clean
        tail_audio = src.audio[:, -round(src.sample_rate / src.fps):]
        _, prefix = self._source_latents(Clip(src.frames[-1:], tail_audio, src.fps, src.sample_rate, ""),
                                         Canvas(canvas.width, canvas.height, 1, 1))
        req = GenerationRequest(request.prompt, request.seconds + 1 / self.system.config.fps, request.width,
                                request.height, seed, request.steps, request.preset, image=src.frames[-1])
        clip, meta = self._run(req, preset, self._canvas(req, preset), seed, report, "joint", prefix)
        new_frames = clip.frames[1:]
        skip = round(clip.sample_rate / clip.fps)
        audio_src = _resample(src.audio, src.sample_rate, clip.sample_rate)
        audio = np.concatenate([audio_src, clip.audio[:, skip:]], axis=1)
        frames = np.concatenate([_resize_frames(src.frames, request.width, request.height), new_frames])
        meta["extended_from_seconds"] = f"{src.duration:.3f}"
        return GenerationResult(Clip(frames, audio, clip.fps, clip.sample_rate, request.prompt), meta)


def _resample(audio: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    if sr_from == sr_to:
        return audio
    from scipy.signal import resample_poly

    return resample_poly(audio, sr_to, sr_from, axis=-1).astype(np.float32)


def _resize_frames(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    if frames.shape[1:3] == (height, width):
        return frames
    t = torch.from_numpy(frames).permute(0, 3, 1, 2).float()
    t = F.interpolate(t, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
    return t.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()


def default_checkpoint() -> Path:
    """The model shipped inside the package (trained by `phonofilm train`, see docs/model-card.md)."""
    return Path(__file__).resolve().parents[1] / "assets" / "default"


def load_generator(path: str | Path, device: str = "cpu") -> Pipeline:
    """The `Generator` for a checkpoint directory (used by `phonofilm generate` and server workers)."""
    return Pipeline.load(path, device)
