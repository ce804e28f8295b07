"""Training recipes: typed, frozen, in one dict. A recipe is saved in every checkpoint's record."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

AUTOENCODERS = ("video_vae", "audio_vae", "vocoder")


@dataclass(frozen=True)
class DataConfig:
    """Where clips come from and how they are bucketed.

    source: "world" (rendered online by DataLoader workers), "shards:DIR" (phonofilm world dataset),
    or "folder:DIR" (your own mp4 files with .txt captions; see docs/training.md).
    Every batch holds one bucket: one size (W, H) and one length in frames (1 + 4k at 16 fps).
    """

    source: str = "world"
    sizes: tuple[tuple[int, int], ...] = ((128, 72), (72, 128), (96, 96))
    size_weights: tuple[float, ...] = (0.6, 0.2, 0.2)
    frames: tuple[int, ...] = (33, 65)  # 2.06 s and 4.06 s at 16 fps
    frame_weights: tuple[float, ...] = (0.3, 0.7)
    autoencoder_frames: int = 17  # short crops are enough to learn the autoencoders
    num_workers: int = 0
    cameo_p: float = 0.0  # clips with characters: chance of a cameo recording of one (or two) of them
    cameo_distractor_p: float = 0.0  # chance of a recording of someone absent (to be ignored)
    seed_start: int = 0  # world seeds; benchmark/eval seeds are >= 2_000_000_000 and never trained on

    def __post_init__(self) -> None:
        if len(self.sizes) != len(self.size_weights) or len(self.frames) != len(self.frame_weights):
            raise ValueError("sizes/size_weights and frames/frame_weights must have equal lengths")
        for w, h in self.sizes:
            if w % 8 or h % 8:
                raise ValueError(f"training size {w}x{h}: width and height must be multiples of 8")
        for t in (*self.frames, self.autoencoder_frames):
            if (t - 1) % 4:
                raise ValueError(f"clip length {t} frames: must be 1 + 4k for the causal video VAE")


@dataclass(frozen=True)
class StageConfig:
    steps: int
    batch_size: int
    lr: float
    warmup: int = 100
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    minutes: float | None = None  # stop early after this wall time (for fixed-budget runs)
    echo: int = 1  # steps per rendered batch (data echoing: fresh noise and t each time)


@dataclass(frozen=True)
class TrainConfig:
    name: str
    model: str  # system preset: tiny | small | base
    temporal_factor: int | None = None  # video VAE frames per latent frame (None: the preset's, 4)
    data: DataConfig = field(default_factory=DataConfig)
    autoencoders: StageConfig = StageConfig(steps=2000, batch_size=8, lr=3e-4)
    transformer: StageConfig = StageConfig(steps=20000, batch_size=16, lr=3e-4)
    distill: StageConfig = StageConfig(steps=0, batch_size=16, lr=1e-4)  # few-step (shortcut) stage
    latent_stat_batches: int = 8
    # with --init: the autoencoders that train again (from the checkpoint's weights; a video VAE of another
    # temporal factor warm-starts from its) — the others stay frozen and keep their latent statistics.
    # Without --init every autoencoder trains from scratch.
    retrain_autoencoders: tuple[str, ...] = ()
    # video VAE loss: extra L1 weight where pixels move, and an L1 of image gradients (train.autoencoders)
    video_motion_weight: float = 0.0
    video_edge_weight: float = 0.0
    # audio VAE loss: an L1 of the log-mel's gradients along frequency and time (harmonics and onsets)
    audio_edge_weight: float = 0.0
    # flow-matching loss: extra weight where the clean latents change in time (moving objects, onsets;
    # `diffusion.flow.change_weights`); 0 = every position alike
    flow_change_weight: float = 0.0
    # share of the video noise common to the latent frames of a shot (diffusion.noise, PYoCo's mixed prior),
    # so the model learns the prior it is sampled with when a preset sets `noise_correlation`; 0 = independent
    noise_correlation: float = 0.0
    ema_decay: float = 0.999
    p_first_frame: float = 0.15  # image-to-video: first latent frame given clean
    p_video_to_audio: float = 0.1  # video given clean, audio generated (the "separate synthesis" path)
    p_video_only: float = 0.1  # audio stream absent
    p_continue: float = 0.15  # continuation: the first k latent frames of video and their audio given clean
    precision: str = "fp32"  # fp32 | bf16 (CUDA autocast)
    compile: bool = False
    log_every: int = 20
    checkpoint_every: int = 500
    eval_every: int = 0  # steps between evaluations of the EMA model on held-out prompts (0 = never)
    eval_size: tuple[int, int] | None = None  # render/generate eval clips at this size (None: the suite's)
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = set(self.retrain_autoencoders) - set(AUTOENCODERS)
        if unknown:
            raise ValueError(f"retrain_autoencoders names {sorted(unknown)}; allowed: {AUTOENCODERS}")
        if not 0.0 <= self.noise_correlation < 1.0:
            raise ValueError(f"noise_correlation must be in [0, 1), got {self.noise_correlation}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _cfg(**kw: Any) -> TrainConfig:
    return TrainConfig(**kw)


# GPU recipes: 2, 4 and 8 s clips (long videos continue 8 s windows), cameo recordings with distractors
_GPU_DATA: dict[str, Any] = {"frames": (33, 65, 129), "frame_weights": (0.3, 0.55, 0.15), "cameo_p": 0.5,
                             "cameo_distractor_p": 0.2}

# continue a trained small model on one GPU (`--init CHECKPOINT`): cameos, continuation, few-step
_GPU_CONTINUE = _cfg(
    name="small-gpu-continue", model="small",
    data=DataConfig(num_workers=12, **_GPU_DATA),
    autoencoders=StageConfig(steps=0, batch_size=24, lr=6e-4),
    transformer=StageConfig(steps=100_000, batch_size=48, lr=3e-4, warmup=200, minutes=5.5, echo=4),
    distill=StageConfig(steps=100_000, batch_size=48, lr=5e-5, warmup=50, minutes=1.0, echo=4),
    precision="bf16", log_every=50, checkpoint_every=1000, ema_decay=0.998,
)

TRAIN_PRESETS: MappingProxyType[str, TrainConfig] = MappingProxyType({
    # seconds on a CPU: the end-to-end test recipe
    "tiny": _cfg(
        name="tiny", model="tiny",
        data=DataConfig(sizes=((32, 24), (24, 32)), size_weights=(0.5, 0.5), frames=(9,), frame_weights=(1.0,),
                        autoencoder_frames=5, cameo_p=0.9, cameo_distractor_p=0.5),
        autoencoders=StageConfig(steps=4, batch_size=2, lr=1e-3, warmup=1),
        transformer=StageConfig(steps=4, batch_size=2, lr=1e-3, warmup=1),
        distill=StageConfig(steps=2, batch_size=2, lr=1e-3, warmup=1),
        latent_stat_batches=1, log_every=1, checkpoint_every=4, ema_decay=0.9, eval_every=4, eval_size=(128, 72),
        video_motion_weight=4.0, video_edge_weight=0.5,
    ),
    # resumable CPU training of the shipped model, session after session
    "small-cpu": _cfg(
        name="small-cpu", model="small", data=DataConfig(num_workers=1),
        autoencoders=StageConfig(steps=3000, batch_size=4, lr=3e-4),
        transformer=StageConfig(steps=30000, batch_size=4, lr=2e-4),
        distill=StageConfig(steps=3000, batch_size=4, lr=1e-4),
        video_motion_weight=4.0, video_edge_weight=0.5, checkpoint_every=200, eval_every=1000,
    ),
    # the shipped model on one H100/H200 in about 9 minutes (see docs/model-card.md)
    "small-gpu": _cfg(
        name="small-gpu", model="small", data=DataConfig(num_workers=14, **_GPU_DATA),
        autoencoders=StageConfig(steps=100_000, batch_size=24, lr=6e-4, warmup=100, minutes=2.0, echo=2),
        transformer=StageConfig(steps=100_000, batch_size=48, lr=4e-4, warmup=200, minutes=4.0, echo=3),
        video_motion_weight=4.0, video_edge_weight=0.5,
        precision="bf16", log_every=50, checkpoint_every=1000, ema_decay=0.998, eval_every=1000,
    ),
    "small-gpu-continue": _GPU_CONTINUE,
    # the next GPU run, in one ≤ 10-minute call (docs/training.md): `--init` the shipped model; its video VAE
    # warm-starts a 2×-temporal one trained again with the motion/edge losses (3.25 min; the audio VAE and
    # vocoder stay as they are), then its transformer follows the new latents (3.5 min) and is distilled for
    # few-step sampling (0.75 min). Without --init every part trains from scratch.
    "small-gpu-2x": _cfg(
        name="small-gpu-2x", model="small", temporal_factor=2, retrain_autoencoders=("video_vae",),
        data=DataConfig(num_workers=12, **_GPU_DATA),
        autoencoders=StageConfig(steps=100_000, batch_size=24, lr=4e-4, warmup=50, minutes=3.25, echo=3),
        transformer=StageConfig(steps=100_000, batch_size=48, lr=3e-4, warmup=100, minutes=3.5, echo=4),
        distill=StageConfig(steps=100_000, batch_size=48, lr=5e-5, warmup=50, minutes=0.75, echo=4),
        video_motion_weight=4.0, video_edge_weight=0.5,
        precision="bf16", log_every=50, checkpoint_every=1000, ema_decay=0.998,
    ),
    # a few more GPU minutes for a trained small model (`--init` it): what is left of a 15-minute lease after
    # a first call — more flow matching for its transformer (2.25 min), then the few-step distillation again
    "small-gpu-topup": dataclasses.replace(
        _GPU_CONTINUE, name="small-gpu-topup",
        transformer=dataclasses.replace(_GPU_CONTINUE.transformer, warmup=100, minutes=2.25),
        distill=dataclasses.replace(_GPU_CONTINUE.distill, minutes=0.75),
    ),
    # the next GPU run (docs/training.md): `small-gpu-continue` with the flow loss weighted toward latents
    # that change (`flow_change_weight`: moving objects, onsets), `--init` the shipped model — one change
    # against the model it continues, measured the same way
    "small-gpu-moving": dataclasses.replace(_GPU_CONTINUE, name="small-gpu-moving", flow_change_weight=3.0),
    # continue a trained small model's transformer on a CPU for a fixed time (`--init CHECKPOINT`), e.g.
    # after its video VAE changed; the same data mix as the GPU runs, 2 s clips only
    "small-cpu-continue": _cfg(
        name="small-cpu-continue", model="small",
        data=DataConfig(num_workers=1, **{**_GPU_DATA, "frames": (33,), "frame_weights": (1.0,)}),
        autoencoders=StageConfig(steps=0, batch_size=4, lr=3e-4),
        transformer=StageConfig(steps=100_000, batch_size=4, lr=1e-4, warmup=20, minutes=45.0),
        log_every=10, checkpoint_every=100, ema_decay=0.99,
    ),
    # few-step (shortcut) distillation of a trained small model on a CPU: `--init CHECKPOINT`
    "small-cpu-distill": _cfg(
        name="small-cpu-distill", model="small",
        data=DataConfig(frames=(33,), frame_weights=(1.0,), num_workers=1),
        transformer=StageConfig(steps=0, batch_size=4, lr=1e-4),
        distill=StageConfig(steps=100_000, batch_size=4, lr=5e-5, warmup=20, minutes=20.0),
        log_every=10, checkpoint_every=100, ema_decay=0.99,
    ),
    "base-gpu": _cfg(
        name="base-gpu", model="base", data=DataConfig(num_workers=14),
        autoencoders=StageConfig(steps=20000, batch_size=32, lr=3e-4),
        transformer=StageConfig(steps=200_000, batch_size=64, lr=1e-4, warmup=1000),
        video_motion_weight=4.0, video_edge_weight=0.5,
        precision="bf16", compile=True, log_every=100, checkpoint_every=2000, eval_every=2000,
    ),
})


def train_preset(name: str) -> TrainConfig:
    """The recipe called `name`."""
    try:
        return TRAIN_PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown training config {name!r}; choose one of {sorted(TRAIN_PRESETS)}") from None
