"""Causal 3D convolutional video VAE: 8× spatial, 4× (or 2×, 1×) temporal, first frame encoded on its own.

Layout: frames [B, 3, T, H, W] in [-1, 1] with T = 1 + s·k (s = `temporal_factor`, 4 in the shipped
model), H and W divisible by 8  ⇄ latents [B, Cv, 1 + k, H/8, W/8].

Causality: every conv pads time at the front by replicating frame 0, and no norm spans frames, so
latent frame j depends only on frames ≤ s·j; latent 0 is exactly the latent of frame 0 alone (what
image-to-video and extension condition on). Decoding is causal the same way.

Spatial ×8 comes from three stride-2 stages: a 2×2 space-to-depth patchify (as LTX-Video does, so no
full-resolution feature map is ever built — that is what keeps the CPU decoder cheap) and two strided
causal convs; each of those also halves time (1 + 2m frames -> 1 + m) while the temporal factor asks for
it — the deeper one first, so a 2× VAE keeps every frame at 1/4 resolution.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import torch
from einops import rearrange
from torch import Tensor, nn

from phonofilm.models.layers import (
    CausalConv3d,
    ChannelRMSNorm,
    DiagonalGaussian,
    ResBlock3d,
    StreamCache,
    affine_latent,
    check_latent_stats,
    config_from_dict,
)

SPATIAL_FACTOR = 8
TEMPORAL_FACTOR = 4  # the default; a config may ask for 2 or 1 (`VideoVAEConfig.temporal_factor`)
TEMPORAL_FACTORS = (1, 2, 4)
PATCH = 2  # the first spatial stride-2 stage is a space-to-depth patchify


@dataclass(frozen=True)
class VideoVAEConfig:
    """Sizes of the video VAE; `latent_mean`/`latent_std` map latents to unit scale for diffusion."""

    latent_channels: int = 16
    channels: tuple[int, int, int] = (32, 64, 128)  # widths at 1/2, 1/4, 1/8 resolution
    encoder_blocks: int = 1  # residual blocks per resolution level
    decoder_blocks: int = 1
    latent_mean: float | tuple[float, ...] = 0.0  # set from data statistics after training
    latent_std: float | tuple[float, ...] = 1.0
    temporal_factor: int = TEMPORAL_FACTOR  # frames per latent frame after the first

    def __post_init__(self) -> None:
        if self.temporal_factor not in TEMPORAL_FACTORS:
            raise ValueError(
                f"VideoVAEConfig.temporal_factor is {self.temporal_factor}; allowed: {TEMPORAL_FACTORS}"
            )
        if len(self.channels) != 3:
            raise ValueError(
                f"VideoVAEConfig.channels needs 3 widths (1/2, 1/4, 1/8 resolution), got {self.channels}"
            )
        check_latent_stats("VideoVAEConfig.latent_mean", self.latent_mean, self.latent_channels)
        check_latent_stats("VideoVAEConfig.latent_std", self.latent_std, self.latent_channels)

    def latent_shape(self, frames: int, height: int, width: int) -> tuple[int, int, int, int]:
        """(Cv, 1 + (T - 1) / s, H / 8, W / 8) for a clip of T frames at H × W."""
        check_video_shape(frames, height, width, self.temporal_factor)
        return (
            self.latent_channels,
            1 + (frames - 1) // self.temporal_factor,
            height // SPATIAL_FACTOR,
            width // SPATIAL_FACTOR,
        )

    def architecture(self) -> VideoVAEConfig:
        """This config without its temporal factor and latent statistics: what must match for one VAE's
        weights to serve another (`warm_start`, `tools/merge_modules.py`)."""
        return dataclasses.replace(self, temporal_factor=TEMPORAL_FACTOR, latent_mean=0.0, latent_std=1.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for checkpoint metadata."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VideoVAEConfig:
        """Inverse of `to_dict`."""
        return config_from_dict(cls, data)


PRESETS: MappingProxyType[str, VideoVAEConfig] = MappingProxyType(
    {
        "tiny": VideoVAEConfig(latent_channels=8, channels=(16, 24, 32)),
        "small": VideoVAEConfig(latent_channels=16, channels=(32, 64, 128)),
        "base": VideoVAEConfig(
            latent_channels=16, channels=(64, 128, 256), encoder_blocks=2, decoder_blocks=2
        ),
    }
)


def check_video_shape(frames: int, height: int, width: int, temporal_factor: int = TEMPORAL_FACTOR) -> None:
    """Raise with the allowed sizes unless T = 1 + s·k and H, W are positive multiples of 8."""
    s = temporal_factor
    if frames < 1 or (frames - 1) % s:
        raise ValueError(
            f"video has {frames} frames; the video VAE needs T = 1 + {s}k ({', '.join(str(1 + s * i) for i in range(4))}, ...)"
        )
    if height < SPATIAL_FACTOR or width < SPATIAL_FACTOR or height % SPATIAL_FACTOR or width % SPATIAL_FACTOR:
        raise ValueError(f"video is {height}×{width} (H×W); the video VAE needs H and W divisible by 8")


class CausalUpsample3d(nn.Module):
    """×2 in space (and time) by conv + depth-to-space; time keeps frame 0 single (n -> 2n - 1)."""

    def __init__(self, in_channels: int, out_channels: int, time: bool) -> None:
        super().__init__()
        self.pt = 2 if time else 1
        factor = self.pt * 4
        self.conv = CausalConv3d(in_channels, out_channels * factor)
        # ICNR init: every sub-pixel shares one kernel, so the block starts as a nearest upsample
        # (no checkerboard at the start of training).
        conv = self.conv.conv
        with torch.no_grad():
            conv.weight.copy_(conv.weight[:out_channels].repeat_interleave(factor, dim=0))
            conv.bias.copy_(conv.bias[:out_channels].repeat_interleave(factor, dim=0))

    def forward(self, x: Tensor, cache: StreamCache | None = None) -> Tensor:
        """[B, Cin, n, h, w] -> [B, Cout, 2n - 1 (or n), 2h, 2w]; later chunks of a stream give 2n."""
        first_chunk = cache is None or self.conv not in cache
        x = self.conv(x, cache)
        x = rearrange(x, "b (c pt ph pw) t h w -> b c (t pt) (h ph) (w pw)", pt=self.pt, ph=2, pw=2)
        # frame 0 produced pt frames; keep only its last so the decoded clip is 1 + s·k long
        return x[:, :, self.pt - 1 :] if first_chunk else x


class VideoEncoder(nn.Module):
    """[B, 3, 1 + s·k, H, W] -> moments [B, 2·Cv, 1 + k, H/8, W/8] (s = the temporal factor)."""

    def __init__(self, cfg: VideoVAEConfig) -> None:
        super().__init__()
        c0, c1, c2 = cfg.channels
        self.conv_in = CausalConv3d(3 * PATCH * PATCH, c0)
        self.level0 = nn.Sequential(*[ResBlock3d(c0, c0) for _ in range(cfg.encoder_blocks)])
        self.down0 = CausalConv3d(c0, c1, stride=(2 if cfg.temporal_factor >= 4 else 1, 2, 2))
        self.level1 = nn.Sequential(*[ResBlock3d(c1, c1) for _ in range(cfg.encoder_blocks)])
        self.down1 = CausalConv3d(c1, c2, stride=(2 if cfg.temporal_factor >= 2 else 1, 2, 2))
        self.level2 = nn.Sequential(*[ResBlock3d(c2, c2) for _ in range(cfg.encoder_blocks + 1)])
        self.norm_out = ChannelRMSNorm(c2)
        self.conv_out = CausalConv3d(c2, 2 * cfg.latent_channels)

    def forward(self, x: Tensor) -> Tensor:
        """Frames in [-1, 1] to Gaussian moments."""
        x = rearrange(x, "b c t (h ph) (w pw) -> b (c ph pw) t h w", ph=PATCH, pw=PATCH)
        x = self.level0(self.conv_in(x))  # [B, c0, T, H/2, W/2]
        x = self.level1(self.down0(x))  # [B, c1, 1 + 2k (s = 4) or T, H/4, W/4]
        x = self.level2(self.down1(x))  # [B, c2, 1 + k, H/8, W/8]
        return self.conv_out(nn.functional.silu(self.norm_out(x)))


class VideoDecoder(nn.Module):
    """[B, Cv, 1 + k, H/8, W/8] -> frames [B, 3, 1 + s·k, H, W] (unclamped)."""

    def __init__(self, cfg: VideoVAEConfig) -> None:
        super().__init__()
        c0, c1, c2 = cfg.channels
        self.conv_in = CausalConv3d(cfg.latent_channels, c2)
        self.level2 = nn.ModuleList(ResBlock3d(c2, c2) for _ in range(cfg.decoder_blocks + 1))
        self.up1 = CausalUpsample3d(c2, c1, time=cfg.temporal_factor >= 2)
        self.level1 = nn.ModuleList(ResBlock3d(c1, c1) for _ in range(cfg.decoder_blocks))
        self.up0 = CausalUpsample3d(c1, c0, time=cfg.temporal_factor >= 4)
        self.level0 = nn.ModuleList(ResBlock3d(c0, c0) for _ in range(cfg.decoder_blocks))
        self.norm_out = ChannelRMSNorm(c0)
        self.conv_out = CausalConv3d(c0, 3 * PATCH * PATCH)

    def forward(self, z: Tensor, cache: StreamCache | None = None) -> Tensor:
        """Latents to frames; pass one `cache` across consecutive latent chunks to stream."""
        x = self.conv_in(z, cache)  # [B, c2, 1 + k, h, w]
        for block in self.level2:
            x = block(x, cache)
        x = self.up1(x, cache)  # [B, c1, 1 + 2k (s = 4) or 1 + s·k, 2h, 2w]
        for block in self.level1:
            x = block(x, cache)
        x = self.up0(x, cache)  # [B, c0, 1 + s·k, 4h, 4w]
        for block in self.level0:
            x = block(x, cache)
        x = self.conv_out(nn.functional.silu(self.norm_out(x)), cache)
        return rearrange(x, "b (c ph pw) t h w -> b c t (h ph) (w pw)", ph=PATCH, pw=PATCH)


class VideoVAE(nn.Module):
    """Causal video VAE: `encode` -> DiagonalGaussian, `decode` -> frames; see the module docstring."""

    def __init__(self, config: VideoVAEConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = VideoEncoder(config)
        self.decoder = VideoDecoder(config)

    def encode(self, x: Tensor) -> DiagonalGaussian:
        """Frames [B, 3, 1 + s·k, H, W] in [-1, 1] -> posterior over [B, Cv, 1 + k, H/8, W/8]."""
        if x.ndim != 5 or x.shape[1] != 3:
            raise ValueError(f"video VAE expects frames [B, 3, T, H, W], got shape {tuple(x.shape)}")
        check_video_shape(*x.shape[2:], self.config.temporal_factor)
        return DiagonalGaussian.from_moments(self.encoder(x))

    def decode(self, z: Tensor, chunk: int | None = None, cuts: Sequence[int] = ()) -> Tensor:
        """Latents [B, Cv, 1 + k, h, w] -> frames [B, 3, 1 + s·k, 8h, 8w] (not clamped to [-1, 1]).

        `chunk` decodes that many latent frames at a time, carrying each causal conv's last frames
        over (same frames as one pass, bounded memory for long clips).

        `cuts` are latent frames (1 ≤ j ≤ k) where a new shot starts. The causal context is cut there:
        the shot's first latent is decoded as if it began a clip (once as a still first frame, which is
        dropped, then as its s frames), so no frame of a shot sees the shot before it. Without this a
        hard cut leaks into the next shot's frames as a fade that no cut detector sees.
        """
        cv = self.config.latent_channels
        if z.ndim != 5 or z.shape[1] != cv:
            raise ValueError(
                f"video VAE expects latents [B, {cv}, 1 + k, H/8, W/8], got shape {tuple(z.shape)}"
            )
        if chunk is not None and chunk < 1:
            raise ValueError(f"decode chunk is {chunk} latent frames; it must be at least 1")
        n = z.shape[2]
        starts = sorted(set(int(j) for j in cuts))
        if starts and (starts[0] < 1 or starts[-1] >= n):
            raise ValueError(f"decode cuts {starts} must lie in 1..{n - 1} (latent frames after the first)")
        pieces = []
        for a, b in itertools.pairwise([0, *starts, n]):
            part = z[:, :, a:b] if a == 0 else torch.cat([z[:, :, a : a + 1], z[:, :, a:b]], dim=2)
            frames = self._decode_stream(part, chunk)
            pieces.append(frames if a == 0 else frames[:, :, 1:])
        return pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=2)

    def _decode_stream(self, z: Tensor, chunk: int | None) -> Tensor:
        """One causal stream of latents to frames, in `chunk`-latent pieces when asked."""
        if chunk is None:
            return self.decoder(z)
        cache: StreamCache = {}
        return torch.cat([self.decoder(part, cache) for part in z.split(chunk, dim=2)], dim=2)

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, DiagonalGaussian]:
        """Training pass: encode, sample, decode -> (reconstruction, posterior)."""
        posterior = self.encode(x)
        return self.decode(posterior.sample(generator)), posterior

    def normalize(self, z: Tensor) -> Tensor:
        """VAE latents -> diffusion space (about zero mean, unit std) using the config statistics."""
        return affine_latent(z, self.config.latent_mean, self.config.latent_std, inverse=False)

    def denormalize(self, z: Tensor) -> Tensor:
        """Diffusion space -> VAE latents (inverse of `normalize`)."""
        return affine_latent(z, self.config.latent_mean, self.config.latent_std, inverse=True)


def warm_start(target: VideoVAE, source: VideoVAE) -> None:
    """Copy `source`'s weights into `target`, whose temporal factor may be smaller (4 → 2 → 1): an
    upsampling conv that no longer doubles time keeps the sub-pixel kernels of the later of its two
    frames; every other weight has the same shape in both and is copied as it is."""
    s, t = source.config.temporal_factor, target.config.temporal_factor
    if t > s or source.config.architecture() != target.config.architecture():
        raise ValueError(f"a video VAE with temporal factor {t} cannot start from one with {s} "
                         "(only a smaller factor, everything else alike)")
    src = source.state_dict()
    state = {}
    for key, value in target.state_dict().items():
        w = src[key]
        if w.shape != value.shape:  # conv out channels (c pt ph pw) with pt 2 → 1: keep pt = 1
            c = value.shape[0] // 4
            w = w.reshape(c, 2, 4, *w.shape[1:])[:, 1].reshape(value.shape)
        state[key] = w
    target.load_state_dict(state)
