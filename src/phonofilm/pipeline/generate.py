"""The learned generator: prompt (+ storyboard, image, source clip) → joint latents → frames and sound → Clip.

Every request is one global latent sequence made in one or more windows ("chunks", `long.py`): a
request up to the preset's `single_pass_seconds` is one chunk; a longer one (up to `max_seconds`) and
every extension continue window after window from the last latents given clean. Stages, each a method:
conditioning (`_text`, `_first_frame`, `_source_latents`, storyboard shots), diffusion (`_denoise`),
decoding (`_decode`, streamed), delivery (`_deliver`: trim, resize; an extension's splice: `deliver.py`).
The model works at 16 fps / 16 kHz on a canvas of about 128×72 pixels; the delivered size is reached by
resizing, and the result's metadata says so (`resized_from`, `upsampler`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from phonofilm.diffusion.flow import get_schedule
from phonofilm.diffusion.guidance import TransformerDenoiser, guided, image_guided
from phonofilm.diffusion.noise import shot_correlated
from phonofilm.diffusion.patchify import TimeLayout
from phonofilm.diffusion.samplers import SAMPLERS
from phonofilm.media.conform import conform
from phonofilm.models.reference import CameoInput
from phonofilm.models.system import System, load_system
from phonofilm.models.text import TextConditioning, TextEncoder, parse_dialogue
from phonofilm.models.upsampler import Upsampler, load_upsampler
from phonofilm.pipeline import long
from phonofilm.pipeline.cameo import encode_cameos
from phonofilm.pipeline.deliver import CROSSFADE_SECONDS, splice_extension
from phonofilm.pipeline.long import Chunk, LongConfig
from phonofilm.pipeline.presets import (
    GenerationPreset,
    generation_preset,
    sampling_guidance,
    sampling_noise_correlation,
    working_size,
)
from phonofilm.pipeline.request import GenerationRequest, GenerationResult, ProgressFn, UnsupportedRequest
from phonofilm.pipeline.storyboard import Storyboard, clip_storyboard, resolve_storyboard
from phonofilm.pipeline.upsample import upsample_to
from phonofilm.pipeline.validate import validate_request
from phonofilm.world.clip import Clip

MAX_TOTAL_SECONDS = 120.0  # an extension's source plus its new seconds


@dataclass(frozen=True)
class Canvas:
    """The model-side shape of one generation (all its chunks)."""

    width: int
    height: int
    frames: int  # 1 + s·k model frames at 16 fps (≥ the requested frames; s = the VAE's temporal factor)
    out_frames: int  # requested frames at 16 fps
    layout: TimeLayout

    @property
    def latent_frames(self) -> int:
        return self.layout.latent_frames_for(self.frames)

    @property
    def audio_latents(self) -> int:
        return self.frames * self.layout.audio_per_frame


@dataclass(frozen=True)
class Plan:
    """Everything fixed before denoising: canvas, chunks, shots, seed, sampler settings."""

    canvas: Canvas
    chunks: tuple[Chunk, ...]
    storyboard: Storyboard
    seed: int
    preset: GenerationPreset
    sampler: str
    steps: int
    verbatim_prompt: str | None  # the user's prompt, when one window sees all of it unchanged
    origin: int = 0  # global frame where the request's time 0 is (after an extension's source tail)
    cuts: tuple[int, ...] = ()  # global latent frames where the storyboard starts a shot (noise, decoding)
    reference: CameoInput | None = None  # the request's cameo recordings, encoded


class Pipeline:
    """Loads a checkpoint once; `generate` may be called many times (it is the `Generator` protocol)."""

    def __init__(self, system: System, record: dict, checkpoint: str = "", device: str = "cpu",
                 long_config: LongConfig | None = None, upsampler: Upsampler | None = None):
        self.system = system
        self.upsampler = upsampler  # None: bicubic resize to the delivered size
        self.record = record
        self.checkpoint = checkpoint
        self.device = torch.device(device)
        self.long = long_config or LongConfig()
        self.text_encoder = TextEncoder(device=device, max_tokens=system.config.text_tokens, cache_size=256)
        self.last_chunks: list[dict] = []  # per chunk: the Chunk, its input x, masks, output (tests, benchmarks)

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu", long_config: LongConfig | None = None) -> Pipeline:
        system, record = load_system(path, device)
        ups = Path(path) / "upsampler"  # a learned upsampler ships beside the model when it was trained
        upsampler = load_upsampler(ups, device)[0] if ups.is_dir() else None
        return cls(system, record, str(path), device, long_config, upsampler)

    # -- public -------------------------------------------------------------------------------------------
    @torch.inference_mode()
    def generate(self, request: GenerationRequest, progress: ProgressFn | None = None,
                 mode: str = "joint") -> GenerationResult:
        """Make one clip. mode "separate" = video alone, then audio from the finished video (ablation)."""
        validate_request(request)
        started = time.time()
        report = progress or (lambda f, s: None)
        plan, context = self._plan(request)
        if request.cameos:
            report(0.0, "cameos")
            plan = replace(plan, reference=encode_cameos(self.system, self.text_encoder, request.cameos,
                                                         self.device))
        if len(plan.chunks) > 1 and (request.source is not None or mode != "joint"):
            what = "remix/edit" if request.source is not None else f"mode {mode!r}"
            raise UnsupportedRequest("too_long_for_mode", f"{what} works on one window of at most "
                                     f"{self.long.single_pass_seconds or plan.preset.single_pass_seconds:g} s; asked for {request.seconds:g} s")
        zv, za = self._denoise(request, plan, context, report, mode)
        report(0.9, "decoding")
        frames, audio = self._decode(zv, za, plan.cuts)
        if request.extend is not None:
            clip, meta = self._deliver_extension(frames, audio, request, plan.canvas, context[0].shape[2])
        else:
            clip, meta = self._deliver(frames, audio, request, plan.canvas)
        meta.update({"seed": str(plan.seed), "steps": str(plan.steps), "sampler": plan.sampler,
                     "preset": plan.preset.name, "mode": mode, "chunks": str(len(plan.chunks)),
                     "guidance": f"{plan.preset.video_guidance:g},{plan.preset.audio_guidance:g}",
                     "noise_correlation": f"{plan.preset.noise_correlation:g}",
                     "noise_correlation_cutoff": f"{plan.preset.noise_correlation_cutoff:g}",
                     **({"image_guidance": f"{plan.preset.image_guidance:g}"} if request.image is not None else {}),
                     "shots": str(len(plan.storyboard.shots)), "seconds_wall": f"{time.time() - started:.2f}"})
        if request.cameos:
            meta["cameos"] = ", ".join(c.name for c in request.cameos)
        report(1.0, "done")
        return GenerationResult(clip, meta)

    # -- reconstruction (no diffusion) --------------------------------------------------------------------
    def reconstruct(self, clip: Clip, width: int, height: int, preset: str = "sora-2",
                    parts: tuple[str, ...] = ("video", "audio")) -> tuple[Clip, dict]:
        """`clip` through this model's delivery path without diffusion: conformed to the canvas `preset`
        uses for width × height, through the autoencoders named in `parts` ("video": the video VAE,
        "audio": the audio VAE and vocoder; none: the canvas alone), upsampled. The best a generation
        can look and sound; each part's share of the loss shows when they are taken one at a time."""
        if unknown := set(parts) - {"video", "audio"}:
            raise ValueError(f"reconstruct parts must be 'video' and/or 'audio', got {sorted(unknown)}")
        fps, vae, avae = self.system.config.fps, self.system.video_vae, self.system.audio_vae
        canvas, frames, audio = self.on_canvas(clip, width, height, preset)
        with torch.inference_mode():
            if "video" in parts:
                board = clip_storyboard(clip, self.system.config.transformer.max_shots)
                cuts = board.latent_cuts(canvas.latent_frames, fps, canvas.layout)
                frames = vae.decode(vae.encode(frames[None]).mean, chunk=4, cuts=cuts)[0]
            if "audio" in parts:
                audio = avae.decode_audio(avae.encode_audio(audio[None]).mean, self.system.vocoder)[0]
            request = GenerationRequest(clip.caption or "reconstruction", clip.duration, width, height)
            result, meta = self._deliver(frames, audio, request, canvas)
        how = " + ".join(parts) + " autoencoders" if parts else "canvas"
        return result, {**meta, "reconstruction": f"{how} only (no diffusion)"}

    def on_canvas(self, clip: Clip, width: int, height: int, preset: str = "sora-2"
                  ) -> tuple[Canvas, torch.Tensor, torch.Tensor]:
        """`clip` conformed to the canvas `preset` uses for width × height: (canvas, frames [3, T, h, w]
        in [-1, 1], wave [C, S]) on this pipeline's device, ready for the autoencoders."""
        from phonofilm.train.steps import video_to_model

        fps, layout = self.system.config.fps, self.system.config.layout
        w, h = working_size(width, height, generation_preset(preset).model_area)
        out = max(1, round(clip.duration * fps))
        canvas = Canvas(w, h, layout.frames_for(layout.latent_frames_for(out)), out, layout)
        video, wave = conform(clip.frames, clip.fps, clip.audio, clip.sample_rate, w, h, canvas.frames)
        frames = video_to_model(torch.from_numpy(video)[None], self.device)[0]
        return canvas, frames, torch.from_numpy(wave).to(self.device)

    # -- planning -----------------------------------------------------------------------------------------
    def _plan(self, request: GenerationRequest) -> tuple[Plan, tuple[torch.Tensor, torch.Tensor] | None]:
        """Canvas, chunks and storyboard; for an extension also the source tail's clean latents."""
        cfg, layout = self.system.config, self.system.config.layout
        preset = generation_preset(request.preset)
        seed = request.seed if request.seed is not None else int(np.random.SeedSequence().entropy % 2**31)
        board = resolve_storyboard(request.prompt, request.seconds, request.storyboard,
                                   cfg.transformer.max_shots, cfg.fps)
        few = bool(self.record.get("few_step")) and preset.few_steps is not None
        scales = sampling_guidance(preset, few, bool(parse_dialogue(board.script())), request.guidance)
        rho, cutoff = sampling_noise_correlation(preset, len(board.shots), request.noise_correlation,
                                                 request.noise_correlation_cutoff)
        preset = replace(preset, video_guidance=scales[0], audio_guidance=scales[1], noise_correlation=rho,
                         noise_correlation_cutoff=cutoff, image_guidance=preset.image_guidance
                         if request.image_guidance is None else float(request.image_guidance))
        w, h = working_size(request.width, request.height, preset.model_area)
        out = max(1, round(request.seconds * cfg.fps))
        per_second = cfg.fps / layout.frames_per_latent
        single_pass = self.long.single_pass_seconds or preset.single_pass_seconds
        window = max(2, round(min(self.long.window_seconds, single_pass) * per_second) + 1)
        k = max(1, min(window - 1, round(self.long.context_seconds * per_second) + 1))
        context = None
        first = 0
        if request.extend is not None:
            src = request.extend
            if src.duration + request.seconds > MAX_TOTAL_SECONDS + 1e-6:
                raise ValueError(f"extending a {src.duration:.2f} s video by {request.seconds:g} s would make it "
                                 f"{src.duration + request.seconds:.2f} s long; at most {MAX_TOTAL_SECONDS:g} s "
                                 "in total are allowed")
            first = min(k, layout.latent_frames_within(round(src.duration * cfg.fps)))  # never more than the source
            context = self._source_latents(src, w, h, layout.frames_for(first), tail=True)
            out += layout.frames_for(first)  # the window starts on the source's tail
        total = layout.latent_frames_for(out)
        single = total <= round(single_pass * per_second) + 1 and request.extend is None
        chunks = [Chunk(0, 0, total, 0, layout)] if single else long.plan_chunks(total, window, k, layout, first)
        canvas = Canvas(w, h, layout.frames_for(total), out, layout)
        verbatim = request.prompt if len(chunks) == 1 and request.storyboard is None and context is None else None
        origin = layout.frames_for(first)
        cuts = tuple(board.latent_cuts(total, cfg.fps, layout, -origin / cfg.fps))
        plan = Plan(canvas, tuple(chunks), board, seed, preset, "shortcut" if few else preset.sampler,
                    request.steps or (preset.few_steps if few else preset.steps), verbatim, origin, cuts=cuts)
        return plan, context

    # -- diffusion ----------------------------------------------------------------------------------------
    def _denoise(self, request: GenerationRequest, plan: Plan, context, report: ProgressFn,
                 mode: str) -> tuple[torch.Tensor, torch.Tensor]:
        """All chunks, in order, into one global latent pair (video [1,Cv,F,h,w], audio [1,Ca,L])."""
        c = plan.canvas
        s = self.system.config
        g = torch.Generator("cpu").manual_seed(plan.seed)  # one noise draw for the whole video
        zv = torch.randn(1, s.video_vae.latent_channels, c.latent_frames, c.height // 8, c.width // 8, generator=g)
        za = torch.randn(1, s.audio_vae.latent_channels, c.audio_latents, generator=g)
        clean = range(context[0].shape[2]) if context is not None else (0,) if request.image is not None else ()
        zv = shot_correlated(zv, plan.preset.noise_correlation, plan.cuts, g, plan.preset.noise_correlation_cutoff,
                             anchored=clean)  # a shot a clean latent anchors keeps its own noise
        zv, za = zv.to(self.device), za.to(self.device)
        if context is not None:  # an extension: the source's tail is the first chunk's context
            zv[:, :, : context[0].shape[2]], za[..., : context[1].shape[-1]] = context
        self.last_chunks = []
        reference = ref_image = ref_audio = None
        for chunk in plan.chunks:
            def chunk_report(f: float, stage: str, i: int = chunk.index) -> None:
                n = len(plan.chunks)
                report(0.05 + 0.85 * (i + f) / n, stage if n == 1 else f"{stage} (chunk {i + 1}/{n})")

            x, cond_v, cond_a, start_t = self._chunk_inputs(request, plan, chunk, zv, za)
            image = chunk.index == 0 and request.image is not None and chunk.context == 0
            anchor = (x["video"][:, :, :1], zv[:, :, :1]) if image else None  # the given frame, its noise
            out = self._sample(plan, chunk, x, cond_v, cond_a, start_t, chunk_report, mode, anchor)
            v, a = out["video"], out["audio"]
            if chunk.index == 0:  # the first window sets the look (and level) every later one keeps
                reference = long.channel_statistics(v[:, :, 1:] if v.shape[2] > 1 else v, (0, 2, 3, 4))
                ref_image = (v[:, :, 1:] if v.shape[2] > 1 else v).mean(dim=2, keepdim=True)
                ref_audio = long.channel_statistics(a, (0, 2))
            else:
                if self.long.match_video_stats and v.shape[2] > 1:
                    v = long.match_new(v, reference, (0, 2, 3, 4), chunk.context, skip=1)
                if self.long.match_mean_image and v.shape[2] > 1:
                    v = long.match_mean_image(v, ref_image, chunk.context, skip=1)
                if self.long.match_audio_stats:
                    a = long.match_new(a, ref_audio, (0, 2), chunk.audio_context)
            self.last_chunks.append({"chunk": chunk, "x": x, "cond_v": cond_v, "cond_a": cond_a,
                                     "video": v, "audio": a})
            zv[:, :, chunk.start + chunk.context : chunk.end] = v[:, :, chunk.context :]
            za[..., chunk.audio_start + chunk.audio_context : chunk.audio_start + chunk.audio_length] = \
                a[..., chunk.audio_context :]
        return zv, za

    def _chunk_inputs(self, request: GenerationRequest, plan: Plan, chunk: Chunk, zv: torch.Tensor,
                      za: torch.Tensor):
        """One chunk's starting latents and clean masks; the global noise/context slices it reads."""
        c = plan.canvas
        v = zv[:, :, chunk.start : chunk.end].clone()
        a = za[..., chunk.audio_start : chunk.audio_start + chunk.audio_length].clone()
        cond_v = torch.zeros(1, chunk.length, dtype=torch.bool, device=self.device)
        cond_a = torch.zeros(1, chunk.audio_length, dtype=torch.bool, device=self.device)
        cond_v[:, : chunk.context], cond_a[:, : chunk.audio_context] = True, True
        if chunk.context and chunk.index > 0:  # local frame 0 must be a lone-frame latent (causal VAE)
            v[:, :, :1] = self._lone_frame(zv, chunk.start, plan.cuts)
        start_t = 1.0
        if chunk.index == 0 and request.source is not None:  # remix/edit: partial re-noising of the source
            sv, sa = self._source_latents(request.source, c.width, c.height, c.frames)
            start_t = float(request.strength)
            v, a = (1 - start_t) * sv + start_t * v, (1 - start_t) * sa + start_t * a
        if chunk.index == 0 and request.image is not None and chunk.context == 0:
            v[:, :, :1] = self._first_frame(request.image, c)
            cond_v[:, 0] = True
        return ({"video": v, "audio": a}, cond_v if cond_v.any() else None, cond_a if cond_a.any() else None,
                start_t)

    def _sample(self, plan: Plan, chunk: Chunk, x, cond_v, cond_a, start_t: float, report: ProgressFn,
                mode: str, anchor: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
        """Integrate one chunk from noise (or a re-noised source) to clean latents. `anchor` (the given first
        frame's clean latent and its noise) enables the preset's image guidance."""
        c, fps = plan.canvas, self.system.config.fps
        offset = (c.layout.first_frame(chunk.start) - plan.origin) / fps  # the chunk's first frame in the request's time
        seen = plan.storyboard.window(max(offset, 0.0), c.layout.frames_for(chunk.length) / fps + min(offset, 0.0))
        text = self._text(plan.verbatim_prompt or seen.script())
        shot_ids, cuts = plan.storyboard.conditioning(chunk.length, fps, c.layout, self.device,
                                                      self.system.config.transformer.max_shots, offset)
        n_tokens = chunk.length * math.ceil(c.height / 16) * math.ceil(c.width / 16)
        sigmas = get_schedule(plan.steps, n_tokens + chunk.audio_length)
        if start_t < 1.0:  # remix/edit: start part-way down the schedule, from the re-noised source
            sigmas = torch.cat([torch.tensor([start_t]), sigmas[sigmas < start_t]])
        model, p = self.system.transformer, plan.preset
        denoiser = TransformerDenoiser(model, text, cond_v, cond_a, shot_ids, cuts, plan.reference)
        sampler = SAMPLERS[plan.sampler]

        def guided_video(d: TransformerDenoiser, video_scale: float, audio_scale: float):
            if anchor is None:
                return guided(d, video_scale, audio_scale)
            return image_guided(d, video_scale, audio_scale, *anchor, p.image_guidance, p.image_guidance_below)

        def callback(info: dict) -> None:
            report((info["i"] + 1) / (len(sigmas) - 1), "denoising")

        if mode == "separate":  # video alone, then audio conditioned on the finished (clean) video
            x_video = sampler(guided_video(denoiser, p.video_guidance, 1.0), {"video": x["video"]}, sigmas, callback)
            full = torch.ones(1, chunk.length, dtype=torch.bool, device=self.device)
            d2 = TransformerDenoiser(model, text, full, cond_a, shot_ids, cuts, plan.reference)
            return sampler(guided(d2, 1.0, p.audio_guidance), {"video": x_video["video"], "audio": x["audio"]},
                           sigmas, None)
        if mode != "joint":
            raise ValueError(f"mode must be 'joint' or 'separate', got {mode!r}")
        return sampler(guided_video(denoiser, p.video_guidance, p.audio_guidance), x, sigmas, callback)

    # -- conditioning -------------------------------------------------------------------------------------
    def _text(self, prompt: str) -> TextConditioning:
        return self.text_encoder.encode([prompt]).to(self.device)

    def _first_frame(self, image: np.ndarray, canvas: Canvas) -> torch.Tensor:
        """Clean latent of the first frame [1, Cv, 1, h, w] (normalised)."""
        from phonofilm.train.steps import video_to_model

        video, _ = conform(image[None], self.system.config.fps, None, None, canvas.width, canvas.height, 1)
        vae = self.system.video_vae
        return vae.normalize(vae.encode(video_to_model(torch.from_numpy(video)[None], self.device)).mean)

    def _lone_frame(self, zv: torch.Tensor, index: int, cuts: Sequence[int] = ()) -> torch.Tensor:
        """Global latent `index` re-encoded as a lone first frame: its last decoded frame (decoded as the
        whole clip will be, cut at the storyboard's `cuts`), encoded alone."""
        vae = self.system.video_vae
        lo = max(0, index - 3)  # a few latents of causal history are enough for the decoder
        cut = [j - lo for j in cuts if lo < j <= index]
        frame = vae.decode(vae.denormalize(zv[:, :, lo : index + 1]), cuts=cut)[:, :, -1:].clamp(-1, 1)
        return vae.normalize(vae.encode(frame).mean)

    def _source_latents(self, source: Clip, width: int, height: int, frames: int,
                        tail: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised (video, audio) latents of a clip's first (or, `tail`, last) `frames` frames at 16 fps."""
        from phonofilm.train.steps import encode_latents

        src_frames, audio = source.frames, source.audio
        if tail:
            seconds = frames / self.system.config.fps
            src_frames = source.frames[max(0, len(source.frames) - round(seconds * source.fps)) :]
            audio = source.audio[:, max(0, source.audio.shape[1] - round(seconds * source.sample_rate)) :]
        video, wave = conform(src_frames, source.fps, audio, source.sample_rate, width, height, frames)
        batch = {"video": torch.from_numpy(video)[None], "audio": torch.from_numpy(wave)[None]}
        return encode_latents(self.system, batch, self.device)

    # -- decoding and delivery ----------------------------------------------------------------------------
    def _decode(self, zv: torch.Tensor, za: torch.Tensor, cuts: Sequence[int] = ()) -> tuple[torch.Tensor, torch.Tensor]:
        """Frames [3, T, h, w] (the picture cut at the storyboard's latent `cuts`) and wave [C, S], both
        decoded in bounded-memory pieces."""
        s = self.system
        frames = s.video_vae.decode(s.video_vae.denormalize(zv), chunk=4, cuts=cuts)  # streamed: [1,3,T,h,w]
        samples = round(s.config.sample_rate / s.config.fps / 2)  # per audio latent

        def decode(z: torch.Tensor) -> torch.Tensor:
            return s.audio_vae.decode_audio(s.audio_vae.denormalize(z), s.vocoder)

        audio = long.decode_audio_windows(decode, za, self.long.audio_decode_window, self.long.audio_decode_margin,
                                          samples)
        return frames[0], audio[0]

    def _deliver(self, frames: torch.Tensor, audio: torch.Tensor, request: GenerationRequest,
                 canvas: Canvas, skip: int = 0) -> tuple[Clip, dict]:
        """Frames [skip, skip + out) resized to the requested size (uint8) and their sound (float32)."""
        fps, sr = self.system.config.fps, self.system.config.sample_rate
        n_out = canvas.out_frames - skip
        video, how = upsample_to(frames[:, skip : canvas.out_frames], request.width, request.height,
                                 self.upsampler)
        first, n = round(skip / fps * sr), round(n_out / fps * sr)
        wave = audio[:, first : first + n].clamp(-1, 1).float().cpu().numpy()
        wave = np.pad(wave, ((0, 0), (0, n - wave.shape[1])))
        meta = {"model": self.system.config.preset, "checkpoint": self.checkpoint,
                "resized_from": f"{canvas.width}x{canvas.height}", "upsampler": how,
                "model_fps": f"{fps:g}", "model_sample_rate": str(sr)}
        return Clip(video, wave.astype(np.float32), fps, sr, request.prompt), meta

    def _deliver_extension(self, frames: torch.Tensor, audio: torch.Tensor, request: GenerationRequest,
                           canvas: Canvas, context: int) -> tuple[Clip, dict]:
        """The source (at 16 fps, requested size) followed by the new frames; the sound crossfades in."""
        assert request.extend is not None
        skip = canvas.layout.frames_for(context)  # the decoded source tail: already in the source itself
        clip, meta = self._deliver(frames, audio, request, canvas, skip)
        start = round(skip / self.system.config.fps * clip.sample_rate)
        lead_in = audio[:, max(0, start - round(CROSSFADE_SECONDS * clip.sample_rate)) : start].float().cpu().numpy()
        meta["extended_from_seconds"] = f"{request.extend.duration:.3f}"
        return splice_extension(request.extend, clip, lead_in), meta


def default_checkpoint() -> Path:
    """The model shipped inside the package (trained by `phonofilm train`, see docs/model-card.md)."""
    return Path(__file__).resolve().parents[1] / "assets" / "default"


def load_generator(path: str | Path, device: str = "cpu") -> Pipeline:
    """The `Generator` for a checkpoint directory (used by `phonofilm generate` and server workers)."""
    return Pipeline.load(path, device)
