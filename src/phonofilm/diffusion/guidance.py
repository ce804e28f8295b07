"""From a transformer and its conditioning to the `model_fn` the samplers call, guidance included.

`TransformerDenoiser` binds the model to one request's conditioning (caption, clean-frame masks, shots,
reference). `ClassifierFreeGuidance` combines a conditional and an unconditional model_fn with one
scale per stream: v = v_u + s·(v_c − v_u). Video and audio want different strengths (a sharp picture
and a natural voice rarely peak at the same scale); s = 1 returns v_c exactly, skipping the extra pass.
`ImageGuidance` does the same with a held clean frame (image-to-video) in place of the caption.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from torch import Tensor, nn

from phonofilm.diffusion.samplers import Latents, ModelFn
from phonofilm.models.text import TextConditioning
from phonofilm.models.transformer import ModalityInput, ReferenceInput


@dataclass(frozen=True)
class TransformerDenoiser:
    """A model_fn: the joint transformer with one request's conditioning bound in.

    Streams absent from x are not generated (video-only or audio-only runs). cond masks are [B, F]
    (video) and [B, L] (audio): those latents must already hold their clean values in x; the model
    returns zero velocity there, so every sampler keeps them.
    """

    model: nn.Module
    text: TextConditioning
    video_cond_mask: Tensor | None = None
    audio_cond_mask: Tensor | None = None
    shot_ids: Tensor | None = None
    cuts: Tensor | None = None
    reference: ReferenceInput | None = None

    def __call__(self, x: Mapping[str, Tensor], t: Tensor, step_size: Tensor | None = None) -> Latents:
        """Velocity for every stream in x at noise level t [B]."""
        unknown = set(x) - {"video", "audio"}
        if unknown:
            raise ValueError(f"unknown streams {sorted(unknown)} in x; allowed: 'video', 'audio'")
        video = None
        if "video" in x:
            video = ModalityInput(x["video"], self.video_cond_mask, self.shot_ids, self.cuts)
        audio = ModalityInput(x["audio"], self.audio_cond_mask) if "audio" in x else None
        v_video, v_audio = self.model(
            video, audio, self.text, t, step_size=step_size, reference=self.reference
        )
        out = {}
        if v_video is not None:
            out["video"] = v_video
        if v_audio is not None:
            out["audio"] = v_audio
        return out

    def unconditional(self) -> TransformerDenoiser:
        """The same denoiser with caption and dialogue dropped (as in training's condition dropout)."""
        return replace(self, text=self.text.null())


@dataclass(frozen=True)
class ClassifierFreeGuidance:
    """A model_fn applying classifier-free guidance with a separate scale per stream."""

    conditional: ModelFn
    unconditional: ModelFn
    video_scale: float = 1.0
    audio_scale: float = 1.0

    def scale(self, stream: str) -> float:
        """Guidance scale of `stream` ('video' or 'audio')."""
        return {"video": self.video_scale, "audio": self.audio_scale}[stream]

    def __call__(self, x: Mapping[str, Tensor], t: Tensor, step_size: Tensor | None = None) -> Latents:
        """v_u + s·(v_c − v_u) per stream; streams with s = 1 get v_c unchanged."""
        v_cond = self.conditional(x, t, step_size)
        if all(self.scale(name) == 1.0 for name in v_cond):
            return v_cond
        v_uncond = self.unconditional(x, t, step_size)
        out = {}
        for name, vc in v_cond.items():
            s = self.scale(name)
            out[name] = vc if s == 1.0 else v_uncond[name] + s * (vc - v_uncond[name])
        return out


def guided(denoiser: TransformerDenoiser, video_scale: float = 1.0, audio_scale: float = 1.0) -> ModelFn:
    """The denoiser under classifier-free guidance against its own unconditional version."""
    return ClassifierFreeGuidance(denoiser, denoiser.unconditional(), video_scale, audio_scale)


@dataclass(frozen=True)
class ImageGuidance:
    """A model_fn guiding the video toward the clean latents it is given (image-to-video's first frame).

    `with_image` holds `frame` clean in the first latent frames of x["video"]; `without_image` is the same
    model_fn with those latents left free (their clean mask off). For the second pass the held latents are
    noised to the current level, (1 − t)·frame + t·noise, as a free latent on its way to that frame would be.
    Video: v = v_n + s·(v_i − v_n) on the free latents; the held ones keep v_i (zero: they stay clean).
    Audio keeps v_i. s = 1 returns v_i exactly, skipping the extra pass, and so does a step above `below`
    (t > below: guidance only toward the end of sampling, where details rather than layout and motion are
    decided).
    """

    with_image: ModelFn
    without_image: ModelFn
    frame: Tensor  # [B, C, k, h, w] clean latents held in x["video"][:, :, :k]
    noise: Tensor  # [B, C, k, h, w]: the noise they are drawn toward in the pass without them
    scale: float = 1.0
    below: float = 1.0  # guide only at noise levels t ≤ below

    def __call__(self, x: Mapping[str, Tensor], t: Tensor, step_size: Tensor | None = None) -> Latents:
        """Velocity of every stream in x at noise level t [B], guided by the held frame on the video."""
        v_i = self.with_image(x, t, step_size)
        if self.scale == 1.0 or "video" not in v_i or float(t.max()) > self.below + 1e-6:
            return v_i
        k, tt = self.frame.shape[2], t.view(-1, 1, 1, 1, 1).to(self.frame.dtype)
        free = dict(x)
        free["video"] = x["video"].clone()
        free["video"][:, :, :k] = (1 - tt) * self.frame + tt * self.noise
        v_n = self.without_image(free, t, step_size)["video"]
        video = v_n + self.scale * (v_i["video"] - v_n)
        video[:, :, :k] = v_i["video"][:, :, :k]
        return {**v_i, "video": video}


def image_guided(denoiser: TransformerDenoiser, video_scale: float, audio_scale: float, frame: Tensor,
                 noise: Tensor, scale: float, below: float = 1.0) -> ModelFn:
    """`guided(denoiser, ...)` pushed toward the clean first latent frames it holds (`ImageGuidance`); the
    pass without them is the same denoiser with their clean mask off. Scale 1 is `guided` itself."""
    fn = guided(denoiser, video_scale, audio_scale)
    if scale == 1.0 or denoiser.video_cond_mask is None:
        return fn
    free = denoiser.video_cond_mask.clone()
    free[:, : frame.shape[2]] = False
    without = replace(denoiser, video_cond_mask=free if free.any() else None)
    return ImageGuidance(fn, guided(without, video_scale, audio_scale), frame, noise, scale, below)
