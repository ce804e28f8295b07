"""The joint audio-video diffusion transformer: video and audio latents denoised by one network.

    video latent [B,16,F,h,w] ─patchify (1,2,2)─▶ tokens ─┐                     ┌─▶ video velocity
    reference tokens [B,R,Cref] ─project + type─▶ tokens ─┤ N × JointBlock      │   (clean tokens: 0)
    audio latent [B,16,L] ─patchify (p)─▶ tokens ─────────┘ (joint attention,   └─▶ audio velocity
                                                            text cross-attn, MLP)
Conditioning: one embedding of the noise level t (+ shortcut step size d + pooled caption) drives
adaLN-Zero in every block, with separate modulation weights per stream. Tokens marked clean (first-frame
latents, audio to continue, reference tokens) are modulated as t = 0 and get zero velocity, so any
sampler leaves them untouched. Positions come from shapes alone (RoPE in seconds, y, x): any duration,
size and aspect ratio runs through the same weights.

Few-step mode (designed in, trained later): `step_size` d is embedded next to t, shortcut-model style.
d = 0 is plain flow matching; the embedder's output layer starts at zero so d changes nothing until a
shortcut/consistency distillation run trains it to predict the average velocity over a step of size d.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from phonofilm.config import TransformerConfig
from phonofilm.diffusion.patchify import (
    VideoGrid,
    audio_positions,
    frames_to_tokens,
    patchify_audio,
    patchify_video,
    steps_to_tokens,
    unpatchify_audio,
    unpatchify_video,
    video_positions,
)
from phonofilm.models.blocks import FinalLayer, JointBlock, ScalarEmbedder, StreamCond
from phonofilm.models.reference import CameoInput, ReferenceEncoder
from phonofilm.models.rope import rope_cos_sin
from phonofilm.models.text import TextConditioning


@dataclass(frozen=True)
class ModalityInput:
    """One stream's input. latent: video [B, C, F, h, w] or audio [B, C, L], noisy where not clean.

    cond_mask: video [B, F] / audio [B, L] bool, True where the latent is given clean (image-to-video,
    extension); those positions are modulated as t = 0, returned as zero velocity and left out of the loss.
    shot_ids / cuts (video only): [B, F] shot index and True on a shot's first latent frame.
    """

    latent: Tensor
    cond_mask: Tensor | None = None
    shot_ids: Tensor | None = None
    cuts: Tensor | None = None


@dataclass(frozen=True)
class ReferenceInput:
    """Cameo reference tokens [B, R, reference_dim] (appearance + voice); mask [B, R], True = real."""

    tokens: Tensor
    mask: Tensor | None = None


class JointAVTransformer(nn.Module):
    """MM-DiT over video and audio latent tokens; predicts flow-matching velocity for both."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = config
        d = config.dim
        self.video_in = nn.Linear(config.video_token_channels, d)
        self.audio_in = nn.Linear(config.audio_token_channels, d)
        self.reference_encoder = ReferenceEncoder(config) if config.reference_width > 0 else None
        self.reference_in = nn.Linear(config.reference_dim, d)
        self.reference_type = nn.Parameter(torch.randn(d) * 0.02)
        self.shot_embed = nn.Embedding(config.max_shots, d)
        self.cut_embed = nn.Embedding(2, d)
        self.time_embed = ScalarEmbedder(d, config.frequency_dim)
        self.step_embed = ScalarEmbedder(d, config.frequency_dim, zero_init=True)
        self.text_pool = nn.Sequential(nn.Linear(config.text_dim, d), nn.SiLU(), nn.Linear(d, d))
        self.text_proj = nn.Sequential(
            nn.LayerNorm(config.text_dim),
            nn.Linear(config.text_dim, d),
            nn.GELU(approximate="tanh"),
            nn.Linear(d, d),
        )
        self.dialogue_char = nn.Embedding(config.dialogue_vocab, d)
        self.dialogue_speaker = nn.Embedding(config.max_speakers, d)
        self.dialogue_line = nn.Embedding(config.max_lines, d)
        self.dialogue_position = nn.Embedding(config.max_dialogue_tokens, d)
        self.null_context = nn.Parameter(torch.randn(1, 1, d) * 0.02)  # keeps cross-attention defined
        self.blocks = nn.ModuleList(
            JointBlock(d, config.heads, config.mlp_ratio, ("video", "audio")) for _ in range(config.depth)
        )
        self.final = nn.ModuleDict(
            {
                "video": FinalLayer(d, config.video_token_channels),
                "audio": FinalLayer(d, config.audio_token_channels),
            }
        )
        for emb in (
            self.shot_embed,
            self.cut_embed,
            self.dialogue_char,
            self.dialogue_speaker,
            self.dialogue_line,
            self.dialogue_position,
        ):
            nn.init.normal_(emb.weight, std=0.02)

    def num_parameters(self) -> int:
        """Trainable parameter count."""
        return sum(p.numel() for p in self.parameters())

    def forward(
        self,
        video: ModalityInput | None,
        audio: ModalityInput | None,
        text: TextConditioning,
        t: Tensor,
        step_size: Tensor | None = None,
        reference: ReferenceInput | CameoInput | None = None,
    ) -> tuple[Tensor | None, Tensor | None]:
        """Velocity for each present stream (same shape as its latent); an absent stream gives None.

        t [B]: noise level in [0, 1] (1 = pure noise); step_size [B]: shortcut step d (None = 0).
        reference: ready tokens, or cameo recordings' latents for this model's reference encoder.
        """
        if video is None and audio is None:
            raise ValueError("forward needs at least one of video or audio")
        if isinstance(reference, CameoInput):
            if self.reference_encoder is None:
                raise ValueError("this model has no cameo reference encoder (config.reference_width = 0)")
            reference = ReferenceInput(*self.reference_encoder(reference))
        conds = self._stream_conditions(text, t, step_size)
        context, context_mask = self.embed_context(text)
        x, stream_conds, positions = {}, {}, []
        grid, n_video = None, 0
        if video is not None or reference is not None:
            x["video"], stream_conds["video"], pos, grid, n_video = self._video_stream(
                video, reference, conds
            )
            positions.append(pos)
        if audio is not None:
            x["audio"], stream_conds["audio"], pos = self._audio_stream(audio, conds)
            positions.append(pos)
        # Tables are built on the CPU in float64 (exact phases for long clips, any accelerator) and moved.
        cos, sin = rope_cos_sin(
            torch.cat(positions), self.config.head_dim, self.config.rope_theta, self.config.rope_time_scale
        )
        rope = (cos.to(t.device, context.dtype), sin.to(t.device, context.dtype))
        key_mask = _key_mask(x, n_video, reference)
        for block in self.blocks:
            x = block(x, stream_conds, rope, key_mask, context, context_mask)
        video_out = audio_out = None
        if video is not None:
            out = self.final["video"](x["video"], stream_conds["video"])[:, :n_video]  # drop reference tokens
            video_out = _zero_clean(unpatchify_video(out, grid, self.config.video_patch), video.cond_mask)
        if audio is not None:
            out = self.final["audio"](x["audio"], stream_conds["audio"])
            out = unpatchify_audio(out, audio.latent.shape[-1], self.config.audio_patch)
            audio_out = _zero_clean(out, audio.cond_mask)
        return video_out, audio_out

    def _stream_conditions(
        self, text: TextConditioning, t: Tensor, step_size: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        """(noisy, clean) conditioning vectors [B, D]: embeddings of t and of t = 0, + d + pooled caption."""
        if step_size is None:
            step_size = torch.zeros_like(t)
        shared = self.step_embed(step_size) + self.text_pool(_masked_mean(text.tokens, text.mask))
        return self.time_embed(t) + shared, self.time_embed(torch.zeros_like(t)) + shared

    def embed_context(self, text: TextConditioning) -> tuple[Tensor, Tensor]:
        """Cross-attention context [B, 1 + N + M, D] = [null; caption tokens; dialogue tokens] and its mask."""
        b, m = text.dialogue_ids.shape
        positions = torch.arange(m, device=text.dialogue_ids.device).clamp(
            max=self.config.max_dialogue_tokens - 1
        )
        dialogue = (
            self.dialogue_char(text.dialogue_ids.clamp(max=self.config.dialogue_vocab - 1))
            + self.dialogue_speaker(text.speaker_ids.clamp(max=self.config.max_speakers - 1))
            + self.dialogue_line(text.line_ids.clamp(max=self.config.max_lines - 1))
            + self.dialogue_position(positions)[None]
        )
        caption = self.text_proj(text.tokens.to(self.text_proj[1].weight.dtype))
        context = torch.cat(
            [self.null_context.expand(b, -1, -1).to(caption.dtype), caption, dialogue.to(caption.dtype)], 1
        )
        always = torch.ones(b, 1, dtype=torch.bool, device=text.mask.device)
        return context, torch.cat([always, text.mask.bool(), text.dialogue_mask.bool()], dim=1)

    def _video_stream(
        self, video: ModalityInput | None, reference: ReferenceInput | None, conds: tuple[Tensor, Tensor]
    ) -> tuple[Tensor, StreamCond, Tensor, VideoGrid | None, int]:
        """The "video" stream: video tokens (+ shot embeddings), then reference tokens.

        Returns tokens [B, N + R, D], their conditioning, positions [N + R, 3], the video grid and N.
        """
        cfg = self.config
        parts, clean, positions, grid, n_video = [], [], [], None, 0
        if video is not None:
            patches, grid = patchify_video(video.latent, cfg.video_patch)  # [B, N, C*pf*ph*pw]
            n_video = patches.shape[1]
            frames = video.latent.shape[:1] + video.latent.shape[2:3]  # (B, F)
            no = torch.zeros(frames, dtype=torch.bool, device=patches.device)
            shots = video.shot_ids if video.shot_ids is not None else no.long()
            cuts = video.cuts if video.cuts is not None else no
            shot_embed = self.shot_embed(shots.clamp(max=cfg.max_shots - 1))  # [B, F, D]
            frame_embed = shot_embed + self.cut_embed(cuts.long())
            parts.append(self.video_in(patches) + frames_to_tokens(frame_embed, grid, cfg.video_patch))
            positions.append(video_positions(grid, cfg.video_patch, cfg.video_latent_rate))
            cond_mask = video.cond_mask if video.cond_mask is not None else no
            clean.append(frames_to_tokens(cond_mask.bool(), grid, cfg.video_patch))
        if reference is not None:
            r = self.reference_in(reference.tokens) + self.reference_type  # [B, R, D]
            parts.append(r)
            # Outside time and space: relative positions make t = 0 mean "the start of this chunk".
            positions.append(torch.zeros(r.shape[1], 3))
            clean.append(torch.ones(r.shape[:2], dtype=torch.bool, device=r.device))
        any_clean = reference is not None or (video is not None and video.cond_mask is not None)
        cond = StreamCond(*conds, torch.cat(clean, dim=1) if any_clean else None)
        return torch.cat(parts, dim=1), cond, torch.cat(positions), grid, n_video

    def _audio_stream(
        self, audio: ModalityInput, conds: tuple[Tensor, Tensor]
    ) -> tuple[Tensor, StreamCond, Tensor]:
        """The "audio" stream: tokens [B, N, D], their conditioning and positions [N, 3]."""
        cfg = self.config
        patches, _ = patchify_audio(audio.latent, cfg.audio_patch)  # [B, N, C*p]
        clean = None if audio.cond_mask is None else steps_to_tokens(audio.cond_mask.bool(), cfg.audio_patch)
        positions = audio_positions(patches.shape[1], cfg.audio_patch, cfg.audio_latent_rate)
        return self.audio_in(patches), StreamCond(*conds, clean), positions


def _key_mask(x: dict[str, Tensor], n_video: int, reference: ReferenceInput | None) -> Tensor | None:
    """[B, sum N_s] attend mask over the joint sequence; None unless reference tokens are padded."""
    if reference is None or reference.mask is None:
        return None
    first = next(iter(x.values()))
    b, device = first.shape[0], first.device
    n_audio = x["audio"].shape[1] if "audio" in x else 0
    video_ones = torch.ones(b, n_video, dtype=torch.bool, device=device)
    audio_ones = torch.ones(b, n_audio, dtype=torch.bool, device=device)
    return torch.cat([video_ones, reference.mask.bool().to(device), audio_ones], dim=1)


def _masked_mean(tokens: Tensor, mask: Tensor) -> Tensor:
    """Mean of tokens [B, N, C] over mask [B, N]; zeros where nothing is kept (dropped caption)."""
    weights = mask.to(tokens.dtype)[..., None]
    return (tokens * weights).sum(1) / weights.sum(1).clamp(min=1.0)


def _zero_clean(velocity: Tensor, cond_mask: Tensor | None) -> Tensor:
    """Zero velocity along time where cond_mask [B, T] marks clean latents (velocity [B, C, T, ...])."""
    if cond_mask is None:
        return velocity
    keep = (~cond_mask.bool()).to(velocity.dtype)
    return velocity * keep.view(keep.shape[0], 1, keep.shape[1], *([1] * (velocity.dim() - 3)))
