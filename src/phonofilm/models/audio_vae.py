"""Audio VAE over log-mel: 128 mel frames/s ⇄ 32 latents/s, so 8 audio latents per video latent frame.

Layout: log-mel [B, C, M, F] (C audio channels, M = 64 mel bins, F divisible by 4)
  ⇄ latents [B, Ca, F / 4].

Channels are stacked with mel bins as the conv's input channels ("b c m f -> b (c m) f"), so one latent
describes the whole stereo (or mono) image at that instant and the transformer sees one audio token
stream whatever the channel count. Waves go through `LogMel` on the way in and a `Vocoder` on the way
out (`encode_audio` / `decode_audio`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import torch
from einops import rearrange
from torch import Tensor, nn

from phonofilm.models.layers import (
    ChannelRMSNorm,
    DiagonalGaussian,
    ResBlock1d,
    affine_latent,
    check_latent_stats,
    config_from_dict,
)
from phonofilm.models.mel import LogMel, MelConfig
from phonofilm.models.vocoder import Vocoder

TIME_FACTOR = 4


@dataclass(frozen=True)
class AudioVAEConfig:
    """Sizes of the audio VAE; `latent_mean`/`latent_std` map latents to unit scale for diffusion."""

    channels: int = 2  # audio channels (1 mono, 2 stereo)
    latent_channels: int = 16
    widths: tuple[int, int, int] = (128, 192, 256)  # at 128, 64 and 32 frames per second
    blocks: int = 1  # residual blocks per level
    mel: MelConfig = field(default_factory=MelConfig)
    latent_mean: float | tuple[float, ...] = 0.0
    latent_std: float | tuple[float, ...] = 1.0

    def __post_init__(self) -> None:
        if self.channels not in (1, 2):
            raise ValueError(f"AudioVAEConfig.channels is {self.channels}; allowed: 1 (mono) or 2 (stereo)")
        if len(self.widths) != 3:
            raise ValueError(f"AudioVAEConfig.widths needs 3 entries (÷1, ÷2, ÷4 time), got {self.widths}")
        check_latent_stats("AudioVAEConfig.latent_mean", self.latent_mean, self.latent_channels)
        check_latent_stats("AudioVAEConfig.latent_std", self.latent_std, self.latent_channels)

    @property
    def latents_per_second(self) -> float:
        """Audio latent rate (32 for 16 kHz, hop 125)."""
        return self.mel.frames_per_second / TIME_FACTOR

    def latent_frames(self, samples: int) -> int:
        """Number of latents for a wave of `samples` samples (which must be a whole number of latents)."""
        return check_mel_frames(samples // self.mel.hop_length) // TIME_FACTOR

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for checkpoint metadata."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AudioVAEConfig:
        """Inverse of `to_dict`."""
        return config_from_dict(cls, data, nested={"mel": MelConfig})


PRESETS: MappingProxyType[str, AudioVAEConfig] = MappingProxyType(
    {
        "tiny": AudioVAEConfig(channels=2, latent_channels=8, widths=(32, 48, 64)),
        "small": AudioVAEConfig(channels=2, latent_channels=16, widths=(128, 192, 256)),
        "base": AudioVAEConfig(channels=2, latent_channels=16, widths=(256, 384, 512), blocks=2),
    }
)


def check_mel_frames(frames: int) -> int:
    """Return `frames`, or raise unless it is a positive multiple of 4 (one latent = 4 mel frames)."""
    if frames < TIME_FACTOR or frames % TIME_FACTOR:
        raise ValueError(
            f"audio has {frames} mel frames; the audio VAE needs a positive multiple of {TIME_FACTOR} "
            "(at 16 kHz: a multiple of 500 samples, 1/32 s)"
        )
    return frames


def _level(width: int, blocks: int) -> nn.Sequential:
    return nn.Sequential(*[ResBlock1d(width, width, dilation=3**i) for i in range(blocks)])


class AudioEncoder(nn.Module):
    """Log-mel [B, C·M, F] -> moments [B, 2·Ca, F/4]."""

    def __init__(self, cfg: AudioVAEConfig) -> None:
        super().__init__()
        w0, w1, w2 = cfg.widths
        self.conv_in = nn.Conv1d(cfg.channels * cfg.mel.n_mels, w0, 3, padding=1)
        self.level0 = _level(w0, cfg.blocks)
        self.down0 = nn.Conv1d(w0, w1, 4, stride=2, padding=1)
        self.level1 = _level(w1, cfg.blocks)
        self.down1 = nn.Conv1d(w1, w2, 4, stride=2, padding=1)
        self.level2 = _level(w2, cfg.blocks + 1)
        self.norm_out = ChannelRMSNorm(w2)
        self.conv_out = nn.Conv1d(w2, 2 * cfg.latent_channels, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        """Stacked log-mel to Gaussian moments."""
        x = self.level0(self.conv_in(x))  # [B, w0, F]
        x = self.level1(self.down0(x))  # [B, w1, F/2]
        x = self.level2(self.down1(x))  # [B, w2, F/4]
        return self.conv_out(nn.functional.silu(self.norm_out(x)))


class Upsample1d(nn.Module):
    """Nearest ×2 in time, then a k=3 conv (no checkerboard)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        """[B, Cin, T] -> [B, Cout, 2T]."""
        return self.conv(x.repeat_interleave(2, dim=-1))


class AudioDecoder(nn.Module):
    """Latents [B, Ca, F/4] -> stacked log-mel [B, C·M, F]."""

    def __init__(self, cfg: AudioVAEConfig) -> None:
        super().__init__()
        w0, w1, w2 = cfg.widths
        self.conv_in = nn.Conv1d(cfg.latent_channels, w2, 3, padding=1)
        self.level2 = _level(w2, cfg.blocks + 1)
        self.up1 = Upsample1d(w2, w1)
        self.level1 = _level(w1, cfg.blocks)
        self.up0 = Upsample1d(w1, w0)
        self.level0 = _level(w0, cfg.blocks)
        self.norm_out = ChannelRMSNorm(w0)
        self.conv_out = nn.Conv1d(w0, cfg.channels * cfg.mel.n_mels, 3, padding=1)

    def forward(self, z: Tensor) -> Tensor:
        """Latents to stacked log-mel."""
        x = self.level2(self.conv_in(z))  # [B, w2, F/4]
        x = self.level1(self.up1(x))  # [B, w1, F/2]
        x = self.level0(self.up0(x))  # [B, w0, F]
        return self.conv_out(nn.functional.silu(self.norm_out(x)))


class AudioVAE(nn.Module):
    """Log-mel VAE with wave conveniences; see the module docstring for layouts."""

    def __init__(self, config: AudioVAEConfig) -> None:
        super().__init__()
        self.config = config
        self.logmel = LogMel(config.mel)
        self.encoder = AudioEncoder(config)
        self.decoder = AudioDecoder(config)

    def encode(self, mel: Tensor) -> DiagonalGaussian:
        """Log-mel [B, C, M, F] (F divisible by 4) -> posterior over [B, Ca, F/4]."""
        cfg = self.config
        if mel.ndim != 4 or mel.shape[1] != cfg.channels or mel.shape[2] != cfg.mel.n_mels:
            raise ValueError(
                f"audio VAE expects log-mel [B, {cfg.channels}, {cfg.mel.n_mels}, F], "
                f"got shape {tuple(mel.shape)}"
            )
        check_mel_frames(mel.shape[-1])
        return DiagonalGaussian.from_moments(self.encoder(rearrange(mel, "b c m f -> b (c m) f")))

    def decode(self, z: Tensor) -> Tensor:
        """Latents [B, Ca, L] -> log-mel [B, C, M, 4L]."""
        ca = self.config.latent_channels
        if z.ndim != 3 or z.shape[1] != ca:
            raise ValueError(f"audio VAE expects latents [B, {ca}, L], got shape {tuple(z.shape)}")
        return rearrange(self.decoder(z), "b (c m) f -> b c m f", c=self.config.channels)

    def forward(
        self, mel: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, DiagonalGaussian]:
        """Training pass: encode, sample, decode -> (reconstructed log-mel, posterior)."""
        posterior = self.encode(mel)
        return self.decode(posterior.sample(generator)), posterior

    def encode_audio(self, wave: Tensor) -> DiagonalGaussian:
        """Wave [B, C, S] (S // 125 divisible by 4) -> posterior over [B, Ca, S // 500]."""
        if wave.ndim != 3:
            raise ValueError(f"encode_audio expects wave [B, C, S], got shape {tuple(wave.shape)}")
        return self.encode(self.logmel(wave))

    def decode_audio(self, z: Tensor, vocoder: Vocoder) -> Tensor:
        """Latents [B, Ca, L] -> wave [B, C, 4L × hop] through `vocoder` (each channel vocoded alone)."""
        if vocoder.config.mel != self.config.mel:
            raise ValueError(
                f"vocoder was built for {vocoder.config.mel} but this audio VAE uses "
                f"{self.config.mel}; pair models trained on the same mel frontend"
            )
        return vocoder(self.decode(z))

    def normalize(self, z: Tensor) -> Tensor:
        """VAE latents -> diffusion space using the config statistics."""
        return affine_latent(z, self.config.latent_mean, self.config.latent_std, inverse=False)

    def denormalize(self, z: Tensor) -> Tensor:
        """Diffusion space -> VAE latents (inverse of `normalize`)."""
        return affine_latent(z, self.config.latent_mean, self.config.latent_std, inverse=True)
