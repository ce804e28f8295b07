"""The complete generator as one object: video VAE + audio VAE + vocoder + joint transformer.

`SystemConfig` names every part's config and is what a checkpoint's metadata carries, so
`load_system(path)` rebuilds the exact networks from the file alone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from phonofilm.config import TransformerConfig, transformer_preset
from phonofilm.diffusion.patchify import TimeLayout
from phonofilm.models.audio_vae import PRESETS as AUDIO_VAE_PRESETS
from phonofilm.models.audio_vae import AudioVAE, AudioVAEConfig
from phonofilm.models.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from phonofilm.models.transformer import JointAVTransformer
from phonofilm.models.video_vae import PRESETS as VIDEO_VAE_PRESETS
from phonofilm.models.video_vae import VideoVAE, VideoVAEConfig
from phonofilm.models.vocoder import PRESETS as VOCODER_PRESETS
from phonofilm.models.vocoder import Vocoder, VocoderConfig

FPS = 16.0  # the model's native frame rate: 4 frames per video latent (the default) → 4 latents/s
SAMPLE_RATE = 16000  # the model's native audio rate: 500 samples per audio latent → 32 latents/s
MAX_TEXT_TOKENS = 256  # captions are long; MiniLM has 512 positions


@dataclass(frozen=True)
class SystemConfig:
    preset: str
    video_vae: VideoVAEConfig
    audio_vae: AudioVAEConfig
    vocoder: VocoderConfig
    transformer: TransformerConfig
    fps: float = FPS
    sample_rate: int = SAMPLE_RATE
    text_tokens: int = MAX_TEXT_TOKENS

    def __post_init__(self) -> None:
        s, t = self.video_vae.temporal_factor, self.transformer
        if abs(t.video_latent_rate * s - self.fps) > 1e-6:
            raise ValueError(f"transformer video_latent_rate {t.video_latent_rate}/s does not match the video "
                             f"VAE: {self.fps:g} fps / temporal factor {s} = {self.fps / s:g}/s")
        per_frame = t.audio_latent_rate / self.fps
        if per_frame < 1 or abs(per_frame - round(per_frame)) > 1e-6:
            raise ValueError(f"audio_latent_rate {t.audio_latent_rate}/s must be a whole multiple of {self.fps:g} fps")

    def with_temporal_factor(self, s: int) -> SystemConfig:
        """The same system with a video VAE of `s` frames per latent frame, the transformer's video
        time base moved to match (its RoPE counts seconds, so its weights stay valid)."""
        return dataclasses.replace(self, video_vae=dataclasses.replace(self.video_vae, temporal_factor=s),
                                   transformer=dataclasses.replace(self.transformer, video_latent_rate=self.fps / s))

    @property
    def layout(self) -> TimeLayout:
        """How latent frames map to video frames and audio latents (diffusion.patchify.TimeLayout)."""
        return TimeLayout(self.video_vae.temporal_factor, round(self.transformer.audio_latent_rate / self.fps))

    def to_dict(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "video_vae": self.video_vae.to_dict(),
            "audio_vae": self.audio_vae.to_dict(),
            "vocoder": self.vocoder.to_dict(),
            "transformer": self.transformer.to_dict(),
            "fps": self.fps,
            "sample_rate": self.sample_rate,
            "text_tokens": self.text_tokens,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SystemConfig:
        try:
            return cls(
                preset=d["preset"],
                video_vae=VideoVAEConfig.from_dict(d["video_vae"]),
                audio_vae=AudioVAEConfig.from_dict(d["audio_vae"]),
                vocoder=VocoderConfig.from_dict(d["vocoder"]),
                transformer=TransformerConfig.from_dict(d["transformer"]),
                fps=float(d.get("fps", FPS)),
                sample_rate=int(d.get("sample_rate", SAMPLE_RATE)),
                text_tokens=int(d.get("text_tokens", MAX_TEXT_TOKENS)),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(f"checkpoint config is not a phonofilm system config: {e}") from None


def system_preset(name: str, temporal_factor: int | None = None) -> SystemConfig:
    """All parts of model size `name` (tiny, small, base), latent channels and rates matched across
    parts; `temporal_factor` (1, 2 or 4) overrides the video VAE's frames per latent frame."""
    if name not in VIDEO_VAE_PRESETS:
        raise ValueError(f"unknown model preset {name!r}; choose one of {sorted(VIDEO_VAE_PRESETS)}")
    video, audio = VIDEO_VAE_PRESETS[name], AUDIO_VAE_PRESETS[name]
    transformer = dataclasses.replace(
        transformer_preset(name),
        video_channels=video.latent_channels,
        audio_channels=audio.latent_channels,
        video_latent_rate=FPS / video.temporal_factor,
    )
    config = SystemConfig(name, video, audio, VOCODER_PRESETS[name], transformer)
    return config if temporal_factor is None else config.with_temporal_factor(temporal_factor)


class System(nn.Module):
    """The four networks of the generator, registered under the names checkpoints use."""

    def __init__(self, config: SystemConfig) -> None:
        super().__init__()
        self.config = config
        self.video_vae = VideoVAE(config.video_vae)
        self.audio_vae = AudioVAE(config.audio_vae)
        self.vocoder = Vocoder(config.vocoder)
        self.transformer = JointAVTransformer(config.transformer)

    def with_latent_stats(self, video: tuple[Any, Any], audio: tuple[Any, Any]) -> System:
        """Record latent (mean, std) per VAE in the configs (they travel in the checkpoint)."""

        def tup(x: Any) -> Any:
            return tuple(float(v) for v in x) if isinstance(x, list | tuple) else float(x)

        video, audio = (tup(video[0]), tup(video[1])), (tup(audio[0]), tup(audio[1]))
        cfg = dataclasses.replace(
            self.config,
            video_vae=dataclasses.replace(self.config.video_vae, latent_mean=video[0], latent_std=video[1]),
            audio_vae=dataclasses.replace(self.config.audio_vae, latent_mean=audio[0], latent_std=audio[1]),
        )
        self.config = cfg
        self.video_vae.config = cfg.video_vae
        self.audio_vae.config = cfg.audio_vae
        return self

    def parameter_counts(self) -> dict[str, int]:
        return {name: sum(p.numel() for p in m.parameters())
                for name, m in self.named_children()}


MODULES = ("video_vae", "audio_vae", "vocoder", "transformer")


def save_system(directory: str | Path, system: System, record: dict[str, Any],
                transformer_state: dict[str, torch.Tensor] | None = None,
                dtype: torch.dtype | None = None) -> Path:
    """Write a self-describing checkpoint; `transformer_state` overrides (e.g. EMA weights)."""
    modules: dict[str, Any] = {name: getattr(system, name) for name in MODULES}
    if transformer_state is not None:
        modules["transformer"] = transformer_state
    return save_checkpoint(directory, modules, system.config.to_dict(), record, dtype=dtype)


def load_modules(system: System, ck: Checkpoint, source: str | Path, absent_ok: tuple[str, ...] = (),
                 new_prefixes: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> set[str]:
    """Load `ck`'s weights into `system`, module by module (fp32); returns the modules it had.

    Every saved weight must fit and every weight of the module must be saved, except modules named in
    `absent_ok` (left as they are), modules named in `skip` (not loaded: the caller fills them) and
    parameters under `new_prefixes` (parts newer than the checkpoint, e.g. "reference_encoder."). Buffers derived from the config (mel filterbanks, windows)
    are not persistent, so every key counts.
    """
    has = {k.split(".", 1)[0] for k in ck.tensors}
    for name in MODULES:
        if name in skip:
            continue
        if name not in has:
            if name in absent_ok:
                continue
            raise CheckpointError(f"checkpoint {source} has no {name}; it has {sorted(has)}")
        state = {k: v.float() if v.is_floating_point() else v for k, v in ck.state_dict(name).items()}
        missing, unexpected = getattr(system, name).load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.startswith(new_prefixes)] if new_prefixes else missing
        if missing or unexpected:
            raise CheckpointError(
                f"checkpoint {source} does not match the config for {name}: "
                f"missing {missing[:5]}, unexpected {unexpected[:5]}")
    return has & set(MODULES)


def history_row(record: dict[str, Any]) -> dict[str, Any]:
    """One finished run of a training record, as a row of the next run's `history`."""
    keep = ("train_config", "steps", "stage", "data", "hardware", "wall_seconds", "torch", "carried_int8")
    return {k: record[k] for k in keep if k in record}


def continued_history(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The `history` of a run that starts from `record`: the runs before it, then its own, each once
    (checkpoints tuned before session 10 repeated their training run once per decoder tune)."""
    rows: list[dict[str, Any]] = []
    for row in [*record.get("history", []), history_row(record)]:
        if not rows or row != rows[-1]:
            rows.append(row)
    return rows


def system_from_checkpoint(ck: Checkpoint, source: str | Path, device: str | torch.device = "cpu") -> System:
    """The networks of a loaded checkpoint (fp32, eval mode); `source` names it in errors."""
    system = System(SystemConfig.from_dict(ck.config))
    load_modules(system, ck, source)
    return system.to(device).eval().requires_grad_(False)


def load_system(path: str | Path, device: str | torch.device = "cpu") -> tuple[System, dict[str, Any]]:
    """Rebuild the networks from a checkpoint (fp32, eval mode) → (system, training record)."""
    ck: Checkpoint = load_checkpoint(path)
    return system_from_checkpoint(ck, path, device), ck.record
