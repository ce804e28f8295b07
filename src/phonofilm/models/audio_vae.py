"""Audio VAE over log-mel: 128 mel frames/s ⇄ 32 latents/s, so 8 audio latents per video latent frame.

Layout: log-mel [B, C, M, F] (C audio channels, M = 64 mel bins, F divisible by 4)
  ⇄ latents [B, Ca, F / 4].

Channels are stacked with mel bins as the conv's input channels ("b c m f -> b (c m) f"), so one latent
describes the whole stereo (or mono) image at that instant and the transformer sees one audio token
stream whatever the channel count. Waves go through `LogMel` on the way in and a `Vocoder` on the way
out (`encode_audio` / `decode_audio`).

With `spectral_width` > 0 the 1D stack gains 2D convs over (frequency, time) at both ends: a stem whose
flattened features are added to the encoder's first layer, and a head that refines the decoded log-mel
from per-bin features. A 1D conv over stacked bins must learn a harmonic once for every pitch it sits
at; a 2D conv learns its shape once. Both start at zero contribution, so a 1D VAE warm-starts into the
wider one unchanged (`benchmarks/audio_vae_variants.py`).
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
    ResBlock2d,
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
    spectral_width: int = 0  # channels of the 2D (frequency × time) stem and head; 0: none
    mel: MelConfig = field(default_factory=MelConfig)
    latent_mean: float | tuple[float, ...] = 0.0
    latent_std: float | tuple[float, ...] = 1.0

    def __post_init__(self) -> None:
        if self.channels not in (1, 2):
            raise ValueError(f"AudioVAEConfig.channels is {self.channels}; allowed: 1 (mono) or 2 (stereo)")
        if self.spectral_width < 0:
            raise ValueError(f"AudioVAEConfig.spectral_width is {self.spectral_width}; allowed: 0 (none) or more")
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


class SpectralStem(nn.Module):
    """Log-mel [B, C, M, F] -> [B, out, F]: 2D convs over (frequency, time), flattened over frequency and
    projected (zero-initialised: adding it leaves the encoder unchanged until it learns)."""

    def __init__(self, cfg: AudioVAEConfig, out: int) -> None:
        super().__init__()
        k = cfg.spectral_width
        self.conv_in = nn.Conv2d(cfg.channels, k, 3, padding=1)
        self.block = ResBlock2d(k, k)
        self.norm = ChannelRMSNorm(k)
        self.proj = nn.Conv1d(k * cfg.mel.n_mels, out, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, mel: Tensor) -> Tensor:
        """[B, C, M, F] -> [B, out, F]."""
        h = nn.functional.silu(self.norm(self.block(self.conv_in(mel))))
        return self.proj(rearrange(h, "b k m f -> b (k m) f"))


class SpectralHead(nn.Module):
    """Decoder features [B, w, F] + coarse log-mel [B, C, M, F] -> refined log-mel [B, C, M, F]: per-bin
    features and the coarse log-mel through 2D convs, added as a residual (zero-initialised)."""

    def __init__(self, cfg: AudioVAEConfig, width: int) -> None:
        super().__init__()
        k, self.n_mels = cfg.spectral_width, cfg.mel.n_mels
        self.proj = nn.Conv1d(width, k * cfg.mel.n_mels, 1)
        self.block = ResBlock2d(k + cfg.channels, k)
        self.norm = ChannelRMSNorm(k)
        self.conv_out = nn.Conv2d(k, cfg.channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, h: Tensor, coarse: Tensor) -> Tensor:
        """Refine `coarse` [B, C, M, F] with features `h` [B, w, F]."""
        per_bin = rearrange(self.proj(h), "b (k m) f -> b k m f", m=self.n_mels)
        x = self.block(torch.cat([per_bin, coarse], dim=1))
        return coarse + self.conv_out(nn.functional.silu(self.norm(x)))


def _level(width: int, blocks: int) -> nn.Sequential:
    return nn.Sequential(*[ResBlock1d(width, width, dilation=3**i) for i in range(blocks)])


class AudioEncoder(nn.Module):
    """Log-mel [B, C, M, F] -> moments [B, 2·Ca, F/4]."""

    def __init__(self, cfg: AudioVAEConfig) -> None:
        super().__init__()
        w0, w1, w2 = cfg.widths
        self.conv_in = nn.Conv1d(cfg.channels * cfg.mel.n_mels, w0, 3, padding=1)
        self.stem = SpectralStem(cfg, w0) if cfg.spectral_width else None
        self.level0 = _level(w0, cfg.blocks)
        self.down0 = nn.Conv1d(w0, w1, 4, stride=2, padding=1)
        self.level1 = _level(w1, cfg.blocks)
        self.down1 = nn.Conv1d(w1, w2, 4, stride=2, padding=1)
        self.level2 = _level(w2, cfg.blocks + 1)
        self.norm_out = ChannelRMSNorm(w2)
        self.conv_out = nn.Conv1d(w2, 2 * cfg.latent_channels, 3, padding=1)

    def forward(self, mel: Tensor) -> Tensor:
        """Log-mel to Gaussian moments."""
        x = self.conv_in(rearrange(mel, "b c m f -> b (c m) f"))  # [B, w0, F]
        if self.stem is not None:
            x = x + self.stem(mel)
        x = self.level0(x)
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
    """Latents [B, Ca, F/4] -> log-mel [B, C, M, F]."""

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
        self.head = SpectralHead(cfg, w0) if cfg.spectral_width else None
        self.channels = cfg.channels

    def forward(self, z: Tensor) -> Tensor:
        """Latents to log-mel."""
        x = self.level2(self.conv_in(z))  # [B, w2, F/4]
        x = self.level1(self.up1(x))  # [B, w1, F/2]
        x = self.level0(self.up0(x))  # [B, w0, F]
        mel = rearrange(self.conv_out(nn.functional.silu(self.norm_out(x))), "b (c m) f -> b c m f", c=self.channels)
        return mel if self.head is None else self.head(x, mel)


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
        return DiagonalGaussian.from_moments(self.encoder(mel))

    def decode(self, z: Tensor) -> Tensor:
        """Latents [B, Ca, L] -> log-mel [B, C, M, 4L]."""
        ca = self.config.latent_channels
        if z.ndim != 3 or z.shape[1] != ca:
            raise ValueError(f"audio VAE expects latents [B, {ca}, L], got shape {tuple(z.shape)}")
        return self.decoder(z)

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
