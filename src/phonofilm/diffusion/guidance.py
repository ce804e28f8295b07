"""From a transformer and its conditioning to the `model_fn` the samplers call, guidance included.

`TransformerDenoiser` binds the model to one request's conditioning (caption, clean-frame masks, shots,
reference). `ClassifierFreeGuidance` combines a conditional and an unconditional model_fn with one
scale per stream: v = v_u + s·(v_c − v_u). Video and audio want different strengths (a sharp picture
and a natural voice rarely peak at the same scale); s = 1 returns v_c exactly, skipping the extra pass.
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
