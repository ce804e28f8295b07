"""Small blocks shared by the autoencoders: channel RMS-norm, causal 3D conv, residual blocks, Gaussians.

Every block here is *local in time*: no normalisation statistic spans frames, so a causal stack stays
causal and a latent never depends on how long the clip around it is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ChannelRMSNorm(nn.Module):
    """RMS-norm over the channel axis (dim 1) of a [B, C, ...] tensor, with a learned per-channel gain."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels))

    def forward(self, x: Tensor) -> Tensor:
        """Normalise each position's channel vector to unit RMS, then scale."""
        gain = self.weight.view(1, -1, *([1] * (x.ndim - 2)))
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + self.eps) * gain


# Per-layer tail of the previous chunk, keyed by the CausalConv3d that consumes it.
StreamCache = dict[nn.Module, Tensor]


class CausalConv3d(nn.Module):
    """Conv3d over [B, C, T, H, W] whose output frame t sees only input frames ≤ t·stride_t.

    Time is padded at the front by replicating frame 0 (kt - 1 copies), so a clip of 1 + s·m frames
    gives 1 + m outputs and output frame 0 depends on input frame 0 alone (the LTX / CogVideoX trick).
    Space is zero-padded "same" (k // 2), so stride 2 halves an even H, W exactly.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: tuple[int, int, int] = (3, 3, 3),
        stride: tuple[int, int, int] = (1, 1, 1),
    ) -> None:
        super().__init__()
        kt, kh, kw = kernel
        self.time_pad = kt - 1
        self.time_stride = stride[0]
        self.conv = nn.Conv3d(in_channels, out_channels, kernel, stride=stride, padding=(0, kh // 2, kw // 2))

    def forward(self, x: Tensor, cache: StreamCache | None = None) -> Tensor:
        """[B, Cin, T, H, W] -> [B, Cout, 1 + (T - 1) / st, H / sh, W / sw].

        With a `cache`, the front padding is the previous chunk's last frames instead of copies of
        frame 0, so a clip fed in consecutive chunks gives exactly the frames of one whole pass.
        """
        if not self.time_pad:
            return self.conv(x)
        if cache is not None and self.time_stride != 1:
            raise ValueError(
                "chunked (cached) causal convs need time stride 1; strided layers run whole clips"
            )
        if cache is not None and self in cache:
            prefix = cache[self]
        else:
            prefix = x[:, :, :1].expand(-1, -1, self.time_pad, -1, -1)
        x = torch.cat([prefix, x], dim=2)
        if cache is not None:
            cache[self] = x[:, :, -self.time_pad :]
        return self.conv(x)


class ResBlock3d(nn.Module):
    """Pre-norm residual block of two causal 3×3×3 convs; the second starts at zero (identity at init)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.norm1 = ChannelRMSNorm(in_channels)
        self.conv1 = CausalConv3d(in_channels, out_channels)
        self.norm2 = ChannelRMSNorm(out_channels)
        self.conv2 = CausalConv3d(out_channels, out_channels)
        nn.init.zeros_(self.conv2.conv.weight)
        nn.init.zeros_(self.conv2.conv.bias)
        self.skip = nn.Conv3d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def forward(self, x: Tensor, cache: StreamCache | None = None) -> Tensor:
        """[B, Cin, T, H, W] -> [B, Cout, T, H, W]."""
        h = self.conv1(F.silu(self.norm1(x)), cache)
        h = self.conv2(F.silu(self.norm2(h)), cache)
        return self.skip(x) + h


class _ResBlock(nn.Module):
    """Pre-norm residual block of two (non-causal, "same") k=3 convs; the second starts at zero, so the
    block starts as its skip path. Subclasses pick the conv's dimensionality."""

    conv: type[nn.Conv1d] | type[nn.Conv2d]

    def __init__(self, in_channels: int, out_channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.norm1 = ChannelRMSNorm(in_channels)
        self.conv1 = self.conv(in_channels, out_channels, 3, padding=dilation, dilation=dilation)
        self.norm2 = ChannelRMSNorm(out_channels)
        self.conv2 = self.conv(out_channels, out_channels, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = self.conv(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        """[B, Cin, ...] -> [B, Cout, ...]."""
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class ResBlock1d(_ResBlock):
    """`_ResBlock` over [B, C, T]."""

    conv = nn.Conv1d


class ResBlock2d(_ResBlock):
    """`_ResBlock` over [B, C, H, W] (the audio VAE's frequency × time layers)."""

    conv = nn.Conv2d


@dataclass(frozen=True)
class DiagonalGaussian:
    """A diagonal Gaussian posterior q(z | x) = N(mean, exp(logvar)); tensors share one shape."""

    mean: Tensor
    logvar: Tensor

    @classmethod
    def from_moments(cls, moments: Tensor) -> DiagonalGaussian:
        """Split [B, 2C, ...] encoder output into mean and log-variance (clamped to a sane range)."""
        mean, logvar = moments.chunk(2, dim=1)
        return cls(mean, logvar.clamp(-30.0, 20.0))

    def sample(self, generator: torch.Generator | None = None) -> Tensor:
        """Reparameterised sample; pass a seeded generator for reproducible draws."""
        noise = torch.randn(
            self.mean.shape, generator=generator, device=self.mean.device, dtype=self.mean.dtype
        )
        return self.mean + torch.exp(0.5 * self.logvar) * noise

    def mode(self) -> Tensor:
        """The mean (what inference encodes to)."""
        return self.mean

    def kl(self) -> Tensor:
        """KL(q || N(0, I)) averaged over every latent element (a scalar)."""
        return 0.5 * (self.mean.pow(2) + self.logvar.exp() - 1.0 - self.logvar).mean()


def affine_latent(
    z: Tensor, shift: float | tuple[float, ...], scale: float | tuple[float, ...], inverse: bool
) -> Tensor:
    """(z - shift) / scale, or its inverse; tuple values are per channel (dim 1)."""
    shape = (1, -1) + (1,) * (z.ndim - 2)
    s = torch.as_tensor(shift, dtype=z.dtype, device=z.device).reshape(
        shape if isinstance(shift, tuple) else ()
    )
    k = torch.as_tensor(scale, dtype=z.dtype, device=z.device).reshape(
        shape if isinstance(scale, tuple) else ()
    )
    return z * k + s if inverse else (z - s) / k


Config = TypeVar("Config")


def config_from_dict(
    cls: type[Config], data: dict[str, Any], nested: dict[str, type] | None = None
) -> Config:
    """Build a frozen config dataclass from its `asdict` form (JSON lists become tuples again)."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown fields {unknown}; allowed fields are {sorted(names)}")
    nested = nested or {}
    kwargs = {}
    for key, value in data.items():
        if key in nested:
            value = config_from_dict(nested[key], value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    return cls(**kwargs)


def check_latent_stats(name: str, value: float | tuple[float, ...], channels: int) -> None:
    """Refuse a per-channel latent statistic whose length does not match the latent channels."""
    if isinstance(value, tuple) and len(value) != channels:
        raise ValueError(
            f"{name} has {len(value)} entries but latent_channels is {channels}; "
            "give one float or one value per latent channel"
        )
