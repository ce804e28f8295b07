"""Model size presets in one place: tiny (tests), small (the shipped CPU model), base and large (GPUs).

Configs are frozen dataclasses with a JSON-ready dict round trip, so a checkpoint can carry its own
config in its safetensors metadata and be rebuilt from the file alone.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class TransformerConfig:
    """Shape of the joint audio-video diffusion transformer (see models/transformer.py).

    Time is shared by both streams in seconds: video latent frame j sits at j / video_latent_rate s,
    audio latent i at i / audio_latent_rate s. RoPE turns seconds into rotation positions with
    `rope_time_scale` positions per second (32 → one position per audio latent).
    """

    dim: int
    depth: int
    heads: int
    mlp_ratio: float = 4.0
    video_channels: int = 16
    audio_channels: int = 16
    video_patch: tuple[int, int, int] = (1, 2, 2)  # (frames, height, width) of one video token
    audio_patch: int = 1  # audio latents per audio token
    video_latent_rate: float = 4.0  # latent frames per second (16 fps, 4x temporal compression)
    audio_latent_rate: float = 32.0  # audio latents per second
    text_dim: int = 384  # all-MiniLM-L6-v2 hidden size
    dialogue_vocab: int = 64  # character vocabulary of spoken lines (models/text.py)
    max_dialogue_tokens: int = 512
    max_speakers: int = 8  # speaker index 0 = unknown
    max_lines: int = 32
    reference_dim: int = 256  # channels of cameo reference tokens
    reference_width: int = 0  # cameo reference encoder width (0: no encoder, cameos unsupported)
    reference_video_tokens: int = 8  # appearance tokens per cameo
    reference_voice_tokens: int = 4  # voice tokens per cameo
    reference_layers: int = 2
    max_cameos: int = 2
    max_shots: int = 16
    rope_theta: float = 10_000.0
    rope_time_scale: float = 32.0
    frequency_dim: int = 256  # sinusoidal features of t and of the shortcut step size

    def __post_init__(self) -> None:
        if self.dim % self.heads:
            raise ValueError(f"dim ({self.dim}) must be divisible by heads ({self.heads})")
        if self.head_dim % 8:
            # RoPE splits each head's rotary pairs into time / y / x parts of at least two pairs each
            raise ValueError(f"head_dim = dim / heads = {self.head_dim} must be a multiple of 8")
        if self.depth < 1 or self.audio_patch < 1 or min(self.video_patch) < 1:
            raise ValueError("depth, audio_patch and every video_patch entry must be >= 1")

    @property
    def head_dim(self) -> int:
        """Channels per attention head."""
        return self.dim // self.heads

    @property
    def video_token_channels(self) -> int:
        """Latent values in one video token: C * pf * ph * pw."""
        pf, ph, pw = self.video_patch
        return self.video_channels * pf * ph * pw

    @property
    def audio_token_channels(self) -> int:
        """Latent values in one audio token: C * p."""
        return self.audio_channels * self.audio_patch

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TransformerConfig:
        """Inverse of `to_dict`; unknown keys are an error so a stale checkpoint fails loudly."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown TransformerConfig keys {sorted(unknown)}; allowed: {sorted(names)}")
        kw = dict(d)
        if "video_patch" in kw:
            kw["video_patch"] = tuple(kw["video_patch"])
        return cls(**kw)


TRANSFORMER_PRESETS: MappingProxyType[str, TransformerConfig] = MappingProxyType(
    {
        # 2 heads of 32 channels: the smallest shape that exercises every code path, for tests
        "tiny": TransformerConfig(
            dim=64, depth=2, heads=2, video_channels=8, audio_channels=8, reference_dim=32,
            reference_width=32, reference_video_tokens=2, reference_voice_tokens=2, reference_layers=1,
        ),
        # the shipped CPU model: one 4 s 128x72 joint step in <= 0.25 s on 2 cores (fp32)
        # (dim 192 keeps the shipped fp16 checkpoint, autoencoders included, under 60 MB)
        "small": TransformerConfig(dim=192, depth=8, heads=4, reference_width=128),
        "base": TransformerConfig(dim=768, depth=16, heads=12, reference_dim=512, reference_width=512),
        "large": TransformerConfig(dim=1536, depth=28, heads=24, reference_dim=1024, reference_width=768),
    }
)


def transformer_preset(name: str) -> TransformerConfig:
    """The transformer config called `name` (tiny, small, base, large)."""
    try:
        return TRANSFORMER_PRESETS[name]
    except KeyError:
        raise ValueError(
            f"unknown model preset {name!r}; choose one of {sorted(TRANSFORMER_PRESETS)}"
        ) from None


# --- autoencoder presets --------------------------------------------------------------------------
# LEAD: join the autoencoder presets here. They are owned by the AE modules (models/video_vae.py,
# models/audio_vae.py, models/vocoder.py) and looked up lazily so that importing this file stays
# cheap and free of torch. Each module is expected to expose a `PRESETS` mapping name -> config.
AUTOENCODER_MODULES: tuple[str, ...] = (
    "phonofilm.models.video_vae",
    "phonofilm.models.audio_vae",
    "phonofilm.models.vocoder",
)


def autoencoder_presets(name: str) -> dict[str, Any]:
    """Configs of the autoencoders for preset `name`, keyed by module, from modules that exist."""
    found: dict[str, Any] = {}
    for module_name in AUTOENCODER_MODULES:
        try:
            if importlib.util.find_spec(module_name) is None:
                continue
        except ModuleNotFoundError:  # the parent package is not there yet
            continue
        presets = getattr(importlib.import_module(module_name), "PRESETS", None)
        if presets is not None and name in presets:
            found[module_name.rsplit(".", 1)[-1]] = presets[name]
    return found
