"""Vocos-style vocoder (log-mel -> ConvNeXt-1D -> STFT magnitude + phase -> iSTFT) and a Griffin-Lim baseline.

The network never produces samples directly: it predicts one STFT frame per mel frame (n_fft 512,
win 500, hop 125, centred) and torch.istft turns them into F × hop samples. That is why it is fast on a
CPU — the work is a few small matmuls per frame at 128 frames/s, not per-sample convolutions.

With `harmonics` > 0 a source-filter path keeps voices voiced (neural source-filter vocoders, NSF/DDSP):

    features ─► pitch head ─► F0, voicing per frame ─► harmonic source (sum of partials, phase carried
                                                         │   sample by sample) ─► STFT ─► comb E
    network spectrum S ───────────────────────────────────┴─► (1 − v)·S + v·|S|·E   below `harmonic_band`

so where the head hears a voice the frame's magnitude envelope is laid on harmonics of one F0 — a
periodic wave the ear (and the benchmark's pitch tracker) hears as voiced even when the log-mel it came
from was smoothed by the audio VAE. The head learns F0 and voicing from the pitch of the training wave
(`train.autoencoders.pitch_targets`); v is used detached, so the spectrum losses never teach it to hide.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import torch
from torch import Tensor, nn

from phonofilm.models.layers import config_from_dict
from phonofilm.models.mel import MelConfig, mel_filterbank


@dataclass(frozen=True)
class VocoderConfig:
    """Vocoder sizes; `mel` must be the frontend that made its input (hop sets the output rate)."""

    mel: MelConfig = field(default_factory=MelConfig)
    dim: int = 192
    intermediate: int = 576
    blocks: int = 8
    n_fft: int = 512
    win_length: int = 500
    max_log_magnitude: float = math.log(100.0)  # Vocos clips magnitudes at 1e2
    harmonics: int = 0  # partials of the harmonic source for voiced frames; 0: none (the network's phase)
    f0_min: float = 50.0  # Hz: the pitch range the head can say (the benchmark tracks 50–400 Hz)
    f0_max: float = 400.0
    harmonic_band: float = 4000.0  # Hz: the source shapes voiced frames below this (fading over the last quarter)

    def __post_init__(self) -> None:
        if not self.mel.hop_length <= self.win_length <= self.n_fft:
            raise ValueError(
                f"VocoderConfig needs hop ({self.mel.hop_length}) <= win_length ({self.win_length}) "
                f"<= n_fft ({self.n_fft})"
            )
        if self.harmonics < 0 or not 0 < self.f0_min < self.f0_max < self.harmonic_band <= self.mel.sample_rate / 2:
            raise ValueError(
                f"VocoderConfig needs harmonics >= 0 and 0 < f0_min < f0_max < harmonic_band <= sample_rate / 2, "
                f"got {self.harmonics}, {self.f0_min}, {self.f0_max}, {self.harmonic_band}"
            )

    def f0_of(self, position: Tensor) -> Tensor:
        """The pitch head's log-F0 position (clipped to [0, 1]) -> F0 in Hz."""
        return self.f0_min * (self.f0_max / self.f0_min) ** position.clamp(0, 1)

    def position_of(self, hz: Tensor) -> Tensor:
        """The inverse of `f0_of`: F0 in Hz (clipped to [f0_min, f0_max]) -> log-F0 position in [0, 1]."""
        return torch.log(hz.clamp(self.f0_min, self.f0_max) / self.f0_min) / math.log(self.f0_max / self.f0_min)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for checkpoint metadata."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VocoderConfig:
        """Inverse of `to_dict`."""
        return config_from_dict(cls, data, nested={"mel": MelConfig})


PRESETS: MappingProxyType[str, VocoderConfig] = MappingProxyType(
    {
        "tiny": VocoderConfig(dim=64, intermediate=192, blocks=2),
        "small": VocoderConfig(dim=192, intermediate=576, blocks=8),
        "base": VocoderConfig(dim=384, intermediate=1152, blocks=8),
    }
)


class ConvNeXtBlock1d(nn.Module):
    """Depthwise k=7 conv -> LayerNorm -> MLP (GELU) -> layer-scaled residual, over [B, C, T]."""

    def __init__(self, dim: int, intermediate: int, layer_scale: float) -> None:
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, intermediate)
        self.fc2 = nn.Linear(intermediate, dim)
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: Tensor) -> Tensor:
        """[B, C, T] -> [B, C, T]."""
        h = self.dwconv(x).transpose(1, 2)  # [B, T, C]
        h = self.fc2(nn.functional.gelu(self.fc1(self.norm(h)))) * self.gamma
        return x + h.transpose(1, 2)


@dataclass(frozen=True)
class Pitch:
    """The pitch head's output per frame: `position` of log F0 between f0_min (0) and f0_max (1), and the
    voicing logit; both [N, F]."""

    position: Tensor
    voicing: Tensor


class Vocoder(nn.Module):
    """Log-mel [..., n_mels, F] -> wave [..., F × hop]; extra leading axes (e.g. channels) are batched."""

    def __init__(self, config: VocoderConfig | None = None) -> None:
        super().__init__()
        self.config = cfg = config or VocoderConfig()
        self.bins = cfg.n_fft // 2 + 1
        self.conv_in = nn.Conv1d(cfg.mel.n_mels, cfg.dim, 7, padding=3)
        self.norm_in = nn.LayerNorm(cfg.dim, eps=1e-6)
        self.blocks = nn.ModuleList(
            ConvNeXtBlock1d(cfg.dim, cfg.intermediate, 1.0 / cfg.blocks) for _ in range(cfg.blocks)
        )
        self.norm_out = nn.LayerNorm(cfg.dim, eps=1e-6)
        self.head = nn.Linear(
            cfg.dim, 3 * self.bins
        )  # log-magnitude, and two outputs whose angle is the phase
        self.register_buffer("window", torch.hann_window(cfg.win_length), persistent=False)
        self.register_buffer("mel_inverse", _mel_inverse(cfg), persistent=False)
        self.apply(_init_weights)
        if cfg.harmonics:
            self.pitch = nn.Linear(cfg.dim, 2)  # (log-F0 position, voicing logit)
            nn.init.zeros_(self.pitch.weight)
            with torch.no_grad():  # mid-range F0, voicing ≈ 0.02: starts as the plain vocoder
                self.pitch.bias.copy_(torch.tensor([0.5, -4.0]))
            freqs = torch.linspace(0, cfg.mel.sample_rate / 2, self.bins)
            band = ((cfg.harmonic_band - freqs) / (0.25 * cfg.harmonic_band)).clamp(0, 1)
            self.register_buffer("band", band[:, None], persistent=False)  # [K, 1]

    def spectrogram(self, logmel: Tensor) -> Tensor:
        """Log-mel [N, n_mels, F] -> complex STFT [N, n_fft // 2 + 1, F]."""
        return self.analyse(logmel)[0]

    def analyse(self, logmel: Tensor) -> tuple[Tensor, Pitch | None]:
        """Log-mel [N, n_mels, F] -> (complex STFT [N, n_fft // 2 + 1, F], the pitch head's output or None)."""
        x = self.conv_in(logmel)
        x = self.norm_in(x.transpose(1, 2)).transpose(1, 2)  # LayerNorm over channels of [N, C, F]
        for block in self.blocks:
            x = block(x)
        h = self.head(self.norm_out(x.transpose(1, 2))).transpose(1, 2)  # [N, 3K, F]
        log_mag, re, im = h.split(self.bins, dim=1)
        # the head predicts a correction to the filterbank's pseudo-inverse, so training starts from
        # Griffin-Lim-quality magnitudes and spends its steps on phase and detail
        prior = torch.log(torch.clamp(self.mel_inverse @ torch.exp(logmel), min=self.config.mel.log_floor))
        magnitude = torch.exp((prior + log_mag).clamp(max=self.config.max_log_magnitude))
        # (re, im) / |(re, im)| is (cos, sin) of atan2(im, re) — without atan2's infinite gradient at 0
        norm = torch.rsqrt(re.pow(2) + im.pow(2) + 1e-9)
        spec = torch.complex(magnitude * re * norm, magnitude * im * norm)
        if not self.config.harmonics:
            return spec, None
        position, voicing = self.pitch(x.transpose(1, 2)).permute(2, 0, 1)  # each [N, F]
        pitch = Pitch(position, voicing)
        comb = self._comb(self.f0(pitch).detach())
        v = torch.sigmoid(voicing.detach())[:, None, :] * self.band  # [N, K, F]
        return (1 - v) * spec + v * magnitude * comb, pitch

    def f0(self, pitch: Pitch) -> Tensor:
        """F0 in Hz [N, F] that the head says (whether or not a frame is voiced)."""
        return self.config.f0_of(pitch.position)

    def _comb(self, f0: Tensor) -> Tensor:
        """STFT [N, K, F] of a harmonic source following `f0` [N, F], scaled to RMS 1 over the band's bins."""
        cfg = self.config
        frames, hop = f0.shape[-1], cfg.mel.hop_length
        wave = harmonic_source(f0, hop, cfg.mel.sample_rate, cfg.harmonics, cfg.harmonic_band)
        comb = torch.stft(wave, cfg.n_fft, hop, cfg.win_length, self.window.float(), center=True,
                          return_complex=True)[..., :frames]
        inside = self.band[:, 0] > 0
        rms = comb[:, inside].abs().pow(2).mean(dim=1, keepdim=True).sqrt()
        return comb / (rms + 1e-6)

    def forward(self, logmel: Tensor, with_pitch: bool = False) -> Tensor | tuple[Tensor, Pitch | None]:
        """Log-mel [..., n_mels, F] -> wave [..., F × hop]; with `with_pitch`, `synthesize`'s pair (the
        way a training step asks for it through a DistributedDataParallel wrapper)."""
        wave, pitch = self.synthesize(logmel)
        return (wave, pitch) if with_pitch else wave

    def synthesize(self, logmel: Tensor) -> tuple[Tensor, Pitch | None]:
        """Log-mel [..., n_mels, F] -> (wave [..., F × hop], the pitch head's output over the batched
        leading axes [N, F] or None without a harmonic source)."""
        cfg = self.config
        if logmel.ndim < 2 or logmel.shape[-2] != cfg.mel.n_mels:
            raise ValueError(
                f"vocoder expects log-mel [..., {cfg.mel.n_mels}, F], got shape {tuple(logmel.shape)}"
            )
        lead, frames = logmel.shape[:-2], logmel.shape[-1]
        spec, pitch = self.analyse(logmel.reshape(-1, cfg.mel.n_mels, frames))
        wave = torch.istft(
            spec,
            cfg.n_fft,
            cfg.mel.hop_length,
            cfg.win_length,
            self.window.to(logmel.dtype),
            center=True,
            length=frames * cfg.mel.hop_length,
        )
        return wave.reshape(*lead, wave.shape[-1]), pitch


def harmonic_source(f0: Tensor, hop: int, sample_rate: int, harmonics: int, band: float) -> Tensor:
    """Sum of the first `harmonics` partials (those under `band` Hz) of a pitch track `f0` [N, F] (Hz per
    frame, linearly interpolated to samples) -> wave [N, F × hop]. The phase is carried sample by sample
    (in float64, so long clips do not drift), so the wave stays periodic across frame edges."""
    f0 = f0.float()  # a half-precision phase would smear the upper partials
    f0_samples = nn.functional.interpolate(f0[:, None], scale_factor=hop, mode="linear", align_corners=False)[:, 0]
    phase = torch.remainder(2 * math.pi * torch.cumsum(f0_samples.double() / sample_rate, dim=-1), 2 * math.pi)
    phase = phase.float()
    wave = torch.zeros_like(f0_samples)
    # sin((k + 1)φ) = 2 cos φ · sin(kφ) − sin((k − 1)φ): one multiply-add per partial instead of a sine
    two_cos, previous, current = 2 * torch.cos(phase), torch.zeros_like(phase), torch.sin(phase)
    for k in range(1, min(harmonics, math.ceil(band / max(float(f0.min()), 1.0))) + 1):
        wave += current * (k * f0_samples < band)
        previous, current = current, two_cos * current - previous
    return wave


def _mel_inverse(cfg: VocoderConfig) -> Tensor:
    """Pseudo-inverse [n_fft // 2 + 1, n_mels] from mel magnitudes to this vocoder's STFT magnitudes.

    Same mel bands as the frontend, sampled at the vocoder's bins; scaled by the ratio of window sums
    because a 500-sample window sees less energy than the frontend's 1024-sample one.
    """
    fb = mel_filterbank(dataclasses.replace(cfg.mel, n_fft=cfg.n_fft))
    gain = torch.hann_window(cfg.win_length).sum() / torch.hann_window(cfg.mel.n_fft).sum()
    return torch.linalg.pinv(fb) * gain


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Conv1d | nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        nn.init.zeros_(module.bias)


def griffin_lim(
    logmel: Tensor,
    config: MelConfig | None = None,
    n_iter: int = 32,
    momentum: float = 0.99,
    seed: int = 0,
) -> Tensor:
    """Baseline log-mel [..., n_mels, F] -> wave [..., F × hop]: pseudo-inverse + fast Griffin-Lim.

    The mel filterbank's pseudo-inverse gives a linear magnitude (negatives clipped); phases come from
    `n_iter` rounds of fast Griffin-Lim (Perraudin et al., momentum 0.99) from random phases drawn
    from `seed` (so the same mel always gives the same wave).
    """
    cfg = config or MelConfig()
    lead, frames = logmel.shape[:-2], logmel.shape[-1]
    fb = mel_filterbank(cfg).to(logmel)
    mel = torch.exp(logmel.reshape(-1, cfg.n_mels, frames))
    magnitude = torch.clamp(torch.linalg.pinv(fb) @ mel, min=0.0)  # [N, K, F]
    window = torch.hann_window(cfg.n_fft, dtype=logmel.dtype, device=logmel.device)
    length = frames * cfg.hop_length

    def istft(spec: Tensor) -> Tensor:
        return torch.istft(spec, cfg.n_fft, cfg.hop_length, cfg.n_fft, window, center=True, length=length)

    def stft(wave: Tensor) -> Tensor:
        spec = torch.stft(
            wave,
            cfg.n_fft,
            cfg.hop_length,
            cfg.n_fft,
            window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        return spec[..., :frames]

    generator = torch.Generator(device=magnitude.device).manual_seed(seed)
    phase = torch.rand(magnitude.shape, generator=generator, dtype=magnitude.dtype, device=magnitude.device)
    angles = torch.polar(torch.ones_like(magnitude), 2 * math.pi * phase)
    previous = torch.zeros_like(angles)
    for _ in range(n_iter):
        rebuilt = stft(istft(magnitude * angles))
        accelerated = rebuilt - (momentum / (1 + momentum)) * previous
        angles = accelerated / (accelerated.abs() + 1e-16)
        previous = rebuilt
    return istft(magnitude * angles).reshape(*lead, length)
