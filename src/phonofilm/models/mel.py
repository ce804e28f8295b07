"""Log-mel frontend as a torch module (no numpy): the one audio representation every audio model shares.

At 16 kHz with hop 125 there are exactly 128 mel frames per second, so an audio latent at ÷4 is 1/32 s
and 8 audio latents span one 4-frame video latent at 16 fps. A wave of S samples gives S // hop frames
(the centred STFT's extra last frame is dropped), so frames × hop = samples and the vocoder can invert
exactly that many frames back to the same length.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from phonofilm.models.layers import config_from_dict


@dataclass(frozen=True)
class MelConfig:
    """STFT and mel parameters; log(clamp(mel_magnitude, log_floor))."""

    sample_rate: int = 16000
    n_fft: int = 1024
    hop_length: int = 125
    n_mels: int = 64
    fmin: float = 0.0
    fmax: float = 8000.0
    log_floor: float = 1e-5

    def __post_init__(self) -> None:
        if not 0 <= self.fmin < self.fmax <= self.sample_rate / 2:
            raise ValueError(
                f"MelConfig needs 0 <= fmin < fmax <= sample_rate / 2, got fmin={self.fmin}, "
                f"fmax={self.fmax}, sample_rate={self.sample_rate}"
            )
        if self.hop_length > self.n_fft // 2:
            raise ValueError(
                f"MelConfig hop_length {self.hop_length} must be at most n_fft / 2 = {self.n_fft // 2}"
            )

    @property
    def frames_per_second(self) -> float:
        """Mel frames per second (128 for the defaults)."""
        return self.sample_rate / self.hop_length

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for checkpoint metadata."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MelConfig:
        """Inverse of `to_dict`."""
        return config_from_dict(cls, data)


def hz_to_mel(hz: Tensor) -> Tensor:
    """HTK mel scale."""
    return 2595.0 * torch.log10(1.0 + hz / 700.0)


def mel_to_hz(mel: Tensor) -> Tensor:
    """Inverse of `hz_to_mel`."""
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def mel_filterbank(cfg: MelConfig) -> Tensor:
    """Triangular HTK mel filters [n_mels, n_fft // 2 + 1] (peak 1, no area normalisation)."""
    freqs = torch.linspace(0.0, cfg.sample_rate / 2, cfg.n_fft // 2 + 1, dtype=torch.float64)
    lo, hi = (
        hz_to_mel(torch.tensor(cfg.fmin, dtype=torch.float64)),
        hz_to_mel(torch.tensor(cfg.fmax, dtype=torch.float64)),
    )
    edges = mel_to_hz(torch.linspace(float(lo), float(hi), cfg.n_mels + 2, dtype=torch.float64))
    left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None] - left) / (centre - left)
    falling = (right - freqs[None]) / (right - centre)
    return torch.clamp(torch.minimum(rising, falling), min=0.0).to(torch.float32)


def stft_magnitude(
    wave: Tensor, n_fft: int, hop: int, win_length: int | None = None, pad_mode: str = "constant"
) -> Tensor:
    """|STFT| [N, n_fft // 2 + 1, S // hop] of waves [N, S] (centred, zero-padded, last frame dropped)."""
    win_length = win_length or n_fft
    window = torch.hann_window(win_length, device=wave.device, dtype=wave.dtype)
    spec = torch.stft(
        wave, n_fft, hop, win_length, window, center=True, pad_mode=pad_mode, return_complex=True
    )
    return spec.abs()[..., : wave.shape[-1] // hop]


class LogMel(nn.Module):
    """Wave [..., S] -> log-mel [..., n_mels, S // hop]; filterbank and window are not saved weights."""

    def __init__(self, config: MelConfig | None = None) -> None:
        super().__init__()
        self.config = config or MelConfig()
        self.register_buffer("filterbank", mel_filterbank(self.config), persistent=False)

    def forward(self, wave: Tensor) -> Tensor:
        """Leading axes are kept: [B, S] -> [B, M, F]; [B, C, S] -> [B, C, M, F]."""
        cfg = self.config
        if wave.shape[-1] < cfg.hop_length:
            raise ValueError(f"audio has {wave.shape[-1]} samples; need at least one hop ({cfg.hop_length})")
        lead = wave.shape[:-1]
        mag = stft_magnitude(wave.reshape(-1, wave.shape[-1]), cfg.n_fft, cfg.hop_length)  # [N, K, F]
        mel = torch.einsum("mk,nkf->nmf", self.filterbank.to(mag.dtype), mag)
        logmel = torch.log(torch.clamp(mel, min=cfg.log_floor))
        return logmel.reshape(*lead, cfg.n_mels, logmel.shape[-1])


def silence_level(config: MelConfig) -> float:
    """The log-mel value of digital silence (log of the floor)."""
    return math.log(config.log_floor)
