"""Latents ↔ token sequences, and each token's position (seconds, y, x).

Video latents [B, C, F, h, w] are cut into (pf, ph, pw) patches; h and w are zero-padded up to a
multiple of the patch and cropped back on the way out, so odd grids (9x16, 16x9) work. Audio latents
[B, C, L] are cut into runs of p latents along time. Token order is (frame, row, column) for video and
time for audio; positions are computed from shapes alone, so any duration, size or aspect works.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor


@dataclass(frozen=True)
class VideoGrid:
    """Token grid of a patchified video: (frames, rows, cols) of tokens plus the unpadded latent size."""

    frames: int
    rows: int
    cols: int
    latent_height: int
    latent_width: int

    @property
    def num_tokens(self) -> int:
        """Tokens in the grid."""
        return self.frames * self.rows * self.cols


@dataclass(frozen=True)
class TimeLayout:
    """Where latent positions sit in time, shared by training, the pipeline and long videos.

    The causal video VAE codes frame 0 alone, then `frames_per_latent` frames (its temporal factor s)
    per latent frame: latent j ≥ 1 covers frames s(j−1)+1 … sj. Audio has `audio_per_frame` latents per
    video frame (2: 1000 samples per frame at 16 fps / 16 kHz, 500 per audio latent). So k latent frames
    cover 1 + s(k − 1) frames and a(1 + s(k − 1)) audio latents (0 ↔ 0): for s = 4, a = 2 that is
    2 + 8(k − 1), the audio given clean with k clean video latent frames.
    """

    frames_per_latent: int = 4
    audio_per_frame: int = 2

    def __post_init__(self) -> None:
        if self.frames_per_latent < 1 or self.audio_per_frame < 1:
            raise ValueError(f"TimeLayout needs positive rates, got {self}")

    def frames_for(self, latent_frames: int) -> int:
        """Video frames covered by the first `latent_frames` latent frames (0 → 0)."""
        return 0 if latent_frames <= 0 else 1 + self.frames_per_latent * (latent_frames - 1)

    def latent_frames_for(self, frames: int) -> int:
        """Fewest latent frames covering `frames` video frames (at least 1)."""
        return 1 + _ceil_div(max(frames - 1, 0), self.frames_per_latent)

    def latent_frames_within(self, frames: int) -> int:
        """Latent frames whose frames all lie within the first `frames` frames (≥ 1 frame: at least 1)."""
        return 1 + (max(frames, 1) - 1) // self.frames_per_latent

    def first_frame(self, latent_frame: int) -> int:
        """The frame a latent frame ends on (and the first frame of a window starting there)."""
        return self.frames_per_latent * latent_frame

    def audio_under(self, latent_frames):
        """Audio latents under the first `latent_frames` latent frames (int or integer tensor)."""
        return self.audio_per_frame * (1 + self.frames_per_latent * (latent_frames - 1)) * (latent_frames > 0)

    def audio_offset(self, latent_frame: int) -> int:
        """The global audio latent where a window starting at global latent frame `latent_frame` starts."""
        return self.audio_per_frame * self.first_frame(latent_frame)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def video_grid(latent_shape: tuple[int, ...], patch: tuple[int, int, int]) -> VideoGrid:
    """The token grid for a video latent of shape [..., F, h, w]."""
    f, h, w = latent_shape[-3:]
    pf, ph, pw = patch
    if f % pf:
        raise ValueError(f"latent frames ({f}) must be a multiple of the temporal patch ({pf})")
    return VideoGrid(f // pf, _ceil_div(h, ph), _ceil_div(w, pw), h, w)


def patchify_video(latent: Tensor, patch: tuple[int, int, int]) -> tuple[Tensor, VideoGrid]:
    """[B, C, F, h, w] → tokens [B, N, C*pf*ph*pw] and the grid needed to undo it."""
    grid = video_grid(tuple(latent.shape), patch)
    pf, ph, pw = patch
    pad_h, pad_w = grid.rows * ph - grid.latent_height, grid.cols * pw - grid.latent_width
    if pad_h or pad_w:
        latent = F.pad(latent, (0, pad_w, 0, pad_h))  # zero rows/cols at the bottom/right
    tokens = rearrange(latent, "b c (f pf) (h ph) (w pw) -> b (f h w) (c pf ph pw)", pf=pf, ph=ph, pw=pw)
    return tokens, grid


def unpatchify_video(tokens: Tensor, grid: VideoGrid, patch: tuple[int, int, int]) -> Tensor:
    """tokens [B, N, C*pf*ph*pw] → [B, C, F, h, w], cropping the padding added by `patchify_video`."""
    pf, ph, pw = patch
    latent = rearrange(
        tokens,
        "b (f h w) (c pf ph pw) -> b c (f pf) (h ph) (w pw)",
        f=grid.frames,
        h=grid.rows,
        w=grid.cols,
        pf=pf,
        ph=ph,
        pw=pw,
    )
    return latent[..., : grid.latent_height, : grid.latent_width]


def patchify_audio(latent: Tensor, patch: int) -> tuple[Tensor, int]:
    """[B, C, L] → tokens [B, ceil(L/p), C*p] (zero-padded at the end) and L."""
    length = latent.shape[-1]
    pad = _ceil_div(length, patch) * patch - length
    if pad:
        latent = F.pad(latent, (0, pad))
    return rearrange(latent, "b c (n p) -> b n (c p)", p=patch), length


def unpatchify_audio(tokens: Tensor, length: int, patch: int) -> Tensor:
    """tokens [B, N, C*p] → [B, C, length]."""
    return rearrange(tokens, "b n (c p) -> b c (n p)", p=patch)[..., :length]


def video_positions(grid: VideoGrid, patch: tuple[int, int, int], latent_rate: float) -> Tensor:
    """Positions [N, 3] = (seconds, row, col) of video tokens; token frame k starts at k*pf/rate s."""
    seconds = torch.arange(grid.frames, dtype=torch.float32) * (patch[0] / latent_rate)
    t, y, x = torch.meshgrid(
        seconds,
        torch.arange(grid.rows, dtype=torch.float32),
        torch.arange(grid.cols, dtype=torch.float32),
        indexing="ij",
    )
    return torch.stack([t, y, x], dim=-1).reshape(-1, 3)


def audio_positions(num_tokens: int, patch: int, latent_rate: float) -> Tensor:
    """Positions [N, 3] = (seconds, 0, 0) of audio tokens: y = x = 0 leaves spatial pairs unrotated."""
    seconds = torch.arange(num_tokens, dtype=torch.float32) * (patch / latent_rate)
    zeros = torch.zeros_like(seconds)
    return torch.stack([seconds, zeros, zeros], dim=-1)


def frames_to_tokens(per_frame: Tensor, grid: VideoGrid, patch: tuple[int, int, int]) -> Tensor:
    """Per-latent-frame values [B, F] → per-token values [B, N] (a token takes its first frame's value)."""
    per_token_frame = per_frame[:, :: patch[0]]  # [B, F/pf]
    return per_token_frame.repeat_interleave(grid.rows * grid.cols, dim=1)


def steps_to_tokens(per_step: Tensor, patch: int) -> Tensor:
    """Per-audio-latent values [B, L] → per-token values [B, ceil(L/p)] (a token takes its first latent's)."""
    return per_step[:, ::patch]
