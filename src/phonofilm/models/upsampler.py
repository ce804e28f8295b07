"""The learned upsampler: model-canvas frames (about 128×72) → any delivered size (720p, 1080p, portrait …).

    frames [N, 3, h, w] in [-1, 1]
      ├─► bicubic ×s ───────────────────────────────────────────────┐
      └─► conv 3×3 → B residual blocks (at h × w) → conv → pixel shuffle ×s ─► + ─► [N, 3, s·h, s·w]
                                                                                    │ resize (bicubic,
                                                                                    ▼ antialiased)
                                                                              [N, 3, H, W]

All convolutions run at the low resolution, so the cost grows with h·w, not with the delivered size; the
learned residual is zero-initialised, so an untrained upsampler is exactly bicubic. The final resize to
the exact size is part of training (the loss is taken at the delivered size), so the network learns to
pre-sharpen for it. It is trained on degraded world renders (blur, noise, JPEG, down-up) so that the
video VAE's soft decodes get sharpened too (see phonofilm.train.upsampler, docs/upsampler.md).

A saved upsampler is a folder with one `upsampler.safetensors` whose metadata carries the config and the
training record (JSON); it is read with safetensors only, never pickle.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

FORMAT = "phonofilm-upsampler/1"
FILENAME = "upsampler.safetensors"
MAX_SIDE = 4096  # the same bounds as the world renderer and the API
MAX_PIXELS = 3840 * 2160


class UpsamplerError(ValueError):
    """An upsampler file that cannot be loaded, with the reason in words."""


@dataclass(frozen=True)
class UpsamplerConfig:
    name: str = "small"
    scale: int = 4  # learned factor (pixel shuffle); the rest of the way is a resize
    channels: int = 32  # feature width at the low resolution
    blocks: int = 4  # residual blocks of two 3×3 convs

    def __post_init__(self) -> None:
        if self.scale not in (1, 2, 3, 4, 6, 8):
            raise ValueError(f"UpsamplerConfig.scale must be one of 1, 2, 3, 4, 6, 8, got {self.scale}")
        if not 4 <= self.channels <= 256:
            raise ValueError(f"UpsamplerConfig.channels must be in [4, 256], got {self.channels}")
        if not 0 <= self.blocks <= 32:
            raise ValueError(f"UpsamplerConfig.blocks must be in [0, 32], got {self.blocks}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UpsamplerConfig:
        """Strict: unknown keys are refused (a config from a newer or different model)."""
        known = {f.name for f in fields(cls)}
        extra = sorted(set(data) - known)
        if extra:
            raise ValueError(f"unknown UpsamplerConfig keys {extra}; known keys are {sorted(known)}")
        return cls(**data)


UPSAMPLER_PRESETS: MappingProxyType[str, UpsamplerConfig] = MappingProxyType({
    "tiny": UpsamplerConfig("tiny", scale=2, channels=8, blocks=1),  # tests
    "small": UpsamplerConfig("small", scale=4, channels=32, blocks=4),  # shipped: ~90k parameters
})


def upsampler_preset(name: str) -> UpsamplerConfig:
    """Preset by name, with a clear error listing the choices."""
    if name not in UPSAMPLER_PRESETS:
        raise ValueError(f"unknown upsampler preset {name!r}; choose one of {sorted(UPSAMPLER_PRESETS)}")
    return UPSAMPLER_PRESETS[name]


def check_size(width: int, height: int) -> None:
    """Raise ValueError unless the requested output size is whole pixels within the API's bounds."""
    for label, v in (("width", width), ("height", height)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"upsampler output {label} must be an integer number of pixels, got {v!r}")
        if not 1 <= v <= MAX_SIDE:
            raise ValueError(f"upsampler output {label} must be between 1 and {MAX_SIDE} pixels, got {v}")
    if width * height > MAX_PIXELS:
        raise ValueError(f"upsampler output {width}x{height} has more than {MAX_PIXELS} pixels (3840x2160)")


def resize(x: Tensor, height: int, width: int) -> Tensor:
    """Bicubic resize to exactly (height, width); antialiased when shrinking. [N,C,h,w] → [N,C,H,W]."""
    if tuple(x.shape[-2:]) == (height, width):
        return x
    shrink = height < x.shape[-2] or width < x.shape[-1]
    return F.interpolate(x, size=(height, width), mode="bicubic", align_corners=False, antialias=shrink)


class _Block(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv2(F.relu(self.conv1(x), inplace=True))


class Upsampler(nn.Module):
    """Frames [N, 3, h, w] in [-1, 1] → [N, 3, H, W] at any size (learned ×scale, then a resize)."""

    def __init__(self, config: UpsamplerConfig) -> None:
        super().__init__()
        self.config = config
        c, s = config.channels, config.scale
        self.head = nn.Conv2d(3, c, 3, padding=1)
        self.body = nn.Sequential(*[_Block(c) for _ in range(config.blocks)])
        self.tail = nn.Conv2d(c, 3 * s * s, 3, padding=1)
        nn.init.zeros_(self.tail.weight)  # untrained = bicubic: training starts from the baseline
        nn.init.zeros_(self.tail.bias)

    @property
    def label(self) -> str:
        """Short name for result metadata."""
        return f"learned upsampler ({self.config.name}, ×{self.config.scale}) + resize"

    def learned(self, x: Tensor) -> Tensor:
        """The learned part alone: [N, 3, h, w] → [N, 3, s·h, s·w] (bicubic ×s plus a learned residual)."""
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"upsampler expects frames [N, 3, h, w], got shape {tuple(x.shape)}")
        s = self.config.scale
        feat = F.relu(self.head(x), inplace=True)
        feat = self.body(feat)
        residual = F.pixel_shuffle(self.tail(feat), s)  # [N, 3·s², h, w] → [N, 3, s·h, s·w]
        if s == 1:
            return x + residual
        base = F.interpolate(x, scale_factor=s, mode="bicubic", align_corners=False)
        return base + residual

    def forward(self, x: Tensor, size: tuple[int, int]) -> Tensor:
        """[N, 3, h, w] → [N, 3, H, W] with size = (H, W); not clamped."""
        if not (isinstance(size, tuple | list) and len(size) == 2):
            raise ValueError(f"size must be (height, width), got {size!r}")
        height, width = size
        check_size(width, height)
        return resize(self.learned(x), height, width)


# -- files ---------------------------------------------------------------------------------------------


def _file(directory: str | Path) -> Path:
    path = Path(directory)
    return path if path.suffix == ".safetensors" else path / FILENAME


def save_upsampler(model: Upsampler, record: dict[str, Any], directory: str | Path) -> Path:
    """Write `<directory>/upsampler.safetensors` (fp32 weights, config + record JSON in its metadata)."""
    from safetensors.torch import save_file

    path = _file(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {"format": FORMAT, "config": json.dumps(model.config.to_dict()),
            "record": json.dumps(record, default=str)}
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata=meta)
    tmp.chmod(0o644)
    tmp.replace(path)  # a crash mid-write never leaves a half file under the real name
    return path


def read_upsampler_metadata(directory: str | Path) -> tuple[UpsamplerConfig, dict[str, Any]]:
    """(config, record) of a saved upsampler without loading its weights."""
    from safetensors import safe_open

    path = _file(directory)
    if not path.is_file():
        raise UpsamplerError(f"no upsampler at {path}: expected a folder holding {FILENAME} "
                             "(train one with `python -m phonofilm.train.upsampler`)")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except Exception as e:  # safetensors raises its own error types for corrupt headers
        raise UpsamplerError(f"{path} is not a readable safetensors file: {e}") from None
    if meta.get("format") != FORMAT:
        raise UpsamplerError(f"{path} is a safetensors file but not a phonofilm upsampler "
                             f"(metadata format {meta.get('format')!r}, expected {FORMAT!r})")
    try:
        config = UpsamplerConfig.from_dict(json.loads(meta["config"]))
        record = json.loads(meta.get("record", "{}"))
    except (KeyError, ValueError, TypeError) as e:
        raise UpsamplerError(f"{path} has an unreadable upsampler config: {e}") from None
    return config, record


def load_upsampler(directory: str | Path, device: str | torch.device = "cpu") -> tuple[Upsampler, dict[str, Any]]:
    """(model in eval mode on `device`, training record) from a folder written by `save_upsampler`."""
    from safetensors.torch import load_file

    config, record = read_upsampler_metadata(directory)
    path = _file(directory)
    try:
        tensors = load_file(str(path), device=str(device))
    except Exception as e:
        raise UpsamplerError(f"{path} could not be read (truncated or corrupt?): {e}") from None
    model = Upsampler(config)
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as e:
        raise UpsamplerError(f"{path} does not match its config {config}: {e}") from None
    return model.to(device).eval(), record
