"""Train the learned upsampler on paired world renders: one scene drawn at the model canvas and at 720p/1080p.

    seed < 2e9 ─► sample_scene ─► simulate ─┬─► render at 128×72   ─► degrade (blur, noise, JPEG, down-up) ─► crops
                                             └─► render at 1280×720 ─────────────────────────────────────────► crops
    model(low crop) at the delivered size vs the true render: L1 + L1 of image gradients (edges)

The world draws any scene at any size, so the pair is exact (same scene, same instant, same framing);
only a few frames per scene are rendered and several crops taken from each (720p frames are slow).
Seeds ≥ 2_000_000_000 are held out: the record's PSNR compares learned vs bicubic on them.

    python -m phonofilm.train.upsampler --config gpu --out DIR [--minutes M] [--max-steps N]
"""

from __future__ import annotations

import argparse
import io
import math
import platform
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from phonofilm.models.upsampler import Upsampler, resize, save_upsampler, upsampler_preset
from phonofilm.train.optim import optimizer_step

HELD_OUT_SEED = 2_000_000_000  # seeds at or above are never trained on
Pair = tuple[int, int, int, int]  # (low w, low h, high w, high h), high = integer multiple of low


@dataclass(frozen=True)
class UpsamplerTrainConfig:
    name: str
    model: str  # an upsampler preset: tiny | small
    steps: int  # upper bound; `minutes` usually stops first
    minutes: float | None
    batch: int  # crops per step
    lr: float = 2e-3
    crop: int = 240  # high-res crop side (pixels, divisible by every pair's ratio)
    margin: int = 4  # low-res context around each crop, not in the loss
    scenes: int = 2  # scenes rendered per batch (all of one pair class)
    frames: int = 2  # frames rendered per scene
    pairs: tuple[Pair, ...] = ((128, 72, 1280, 720), (128, 72, 1920, 1080), (72, 128, 720, 1280), (96, 96, 960, 960))
    pair_weights: tuple[float, ...] = (0.45, 0.25, 0.2, 0.1)
    clean_p: float = 0.25  # share of low-res crops left as rendered; the rest degraded like a VAE decode
    grad_weight: float = 1.0  # weight of the edge (image-gradient) L1 term
    workers: int = 0
    precision: str = "fp32"  # "bf16" autocast on CUDA
    eval_scenes: int = 8
    log_every: int = 50
    seed: int = 0

    def __post_init__(self) -> None:
        if len(self.pairs) != len(self.pair_weights):
            raise ValueError("pairs and pair_weights must have equal lengths")
        for lw, lh, hw, hh in self.pairs:
            r = hw // lw
            if hw != r * lw or hh != r * lh:
                raise ValueError(f"pair {lw}x{lh} -> {hw}x{hh}: high must be an integer multiple of low")
            if self.crop % r or self.crop // r + 2 * self.margin > min(lw, lh):
                raise ValueError(f"crop {self.crop} with margin {self.margin} does not fit pair {lw}x{lh} ×{r}")
        if self.batch % (self.scenes * self.frames):
            raise ValueError(f"batch {self.batch} must be a multiple of scenes × frames = {self.scenes * self.frames}")
        if self.precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be 'fp32' or 'bf16', got {self.precision!r}")


UPSAMPLER_RECIPES: MappingProxyType[str, UpsamplerTrainConfig] = MappingProxyType({
    # seconds on a CPU: small renders (640×360) for the test suite
    "tiny": UpsamplerTrainConfig("tiny", "tiny", steps=8, minutes=None, batch=4, lr=3e-3, crop=60, margin=2,
                                 scenes=1, frames=1, pairs=((128, 72, 640, 360),), pair_weights=(1.0,),
                                 eval_scenes=2, log_every=2),
    # one H100 for about six minutes, 15 DataLoader workers rendering pairs
    "gpu": UpsamplerTrainConfig("gpu", "small", steps=20000, minutes=6.0, batch=64, scenes=4, frames=2,
                                workers=15, precision="bf16", eval_scenes=32, log_every=100),
    # a few minutes on a laptop (one worker renders while the main process trains)
    "cpu": UpsamplerTrainConfig("cpu", "small", steps=20000, minutes=8.0, batch=16, crop=120, scenes=1,
                                frames=2, workers=1, eval_scenes=8, log_every=20),
})


# -- data ------------------------------------------------------------------------------------------------


def render_pair(seed: int, pair: Pair, frames: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One scene at both sizes: uint8 [F, h, w, 3] and [F, H, W, 3], same instants and framing."""
    from phonofilm.world.physics import simulate
    from phonofilm.world.render.frames import render_frames
    from phonofilm.world.sampler import sample_scene

    duration = float(rng.uniform(1.5, 6.0))
    scene = sample_scene(seed, duration=duration)
    sim = simulate(scene)
    fps = frames / duration  # frame i at i · duration / frames
    lw, lh, hw, hh = pair
    return (render_frames(scene, sim, (), lw, lh, fps).frames, render_frames(scene, sim, (), hw, hh, fps).frames)


def to_unit(frames: np.ndarray) -> torch.Tensor:
    """uint8 [F, H, W, 3] → float [F, 3, H, W] in [-1, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of frames [N, 3, H, W] (replicated borders)."""
    r = max(1, math.ceil(3 * sigma))
    k = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float32) ** 2 / (2 * sigma**2))
    k = k / k.sum()
    x = F.pad(x, (r, r, r, r), mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(3, 1, 1, -1), groups=3)
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(3, 1, -1, 1), groups=3)


def _jpeg(x: torch.Tensor, quality: int) -> torch.Tensor:
    from PIL import Image

    out = []
    for frame in ((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy():
        buf = io.BytesIO()
        Image.fromarray(frame).save(buf, format="JPEG", quality=quality)
        out.append(np.asarray(Image.open(buf).convert("RGB")))
    return to_unit(np.stack(out))


def degrade(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """A random VAE-like degradation of low-res frames [F, 3, h, w] in [-1, 1]: soft, noisy, blocky."""
    h, w = x.shape[-2:]
    if rng.random() < 0.7:
        x = gaussian_blur(x, float(rng.uniform(0.4, 1.5)))
    if rng.random() < 0.25:
        f = float(rng.uniform(0.5, 0.85))
        small = F.interpolate(x, size=(max(4, round(h * f)), max(4, round(w * f))), mode="bilinear",
                              antialias=True, align_corners=False)
        x = F.interpolate(small, size=(h, w), mode="bicubic", align_corners=False)
    if rng.random() < 0.5:
        x = x + torch.from_numpy(rng.normal(0, rng.uniform(0.005, 0.04), x.shape).astype(np.float32))
    if rng.random() < 0.4:
        x = _jpeg(x, int(rng.integers(40, 96)))
    return x.clamp(-1, 1)


def vae_like(x: torch.Tensor) -> torch.Tensor:
    """The fixed degradation used for evaluation (about the shipped VAE's softness): blur σ=1, JPEG 80."""
    return _jpeg(gaussian_blur(x, 1.0), 80)


def make_batch(cfg: UpsamplerTrainConfig, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(low float [B, 3, p + 2m, p + 2m] in [-1, 1], high uint8 [B, 3, P, P]) from fresh training seeds."""
    pair = cfg.pairs[rng.choice(len(cfg.pairs), p=np.asarray(cfg.pair_weights) / sum(cfg.pair_weights))]
    ratio = pair[2] // pair[0]
    p, m = cfg.crop // ratio, cfg.margin
    per_frame = cfg.batch // (cfg.scenes * cfg.frames)
    lows, highs = [], []
    for _ in range(cfg.scenes):
        lo, hi = render_pair(int(rng.integers(0, HELD_OUT_SEED)), pair, cfg.frames, rng)
        lo_t = to_unit(lo)
        if rng.random() >= cfg.clean_p:
            lo_t = degrade(lo_t, rng)
        hi_t = torch.from_numpy(np.ascontiguousarray(hi)).permute(0, 3, 1, 2)
        for f in range(len(lo_t)):
            for _ in range(per_frame):
                y = int(rng.integers(m, pair[1] - p - m + 1))
                x = int(rng.integers(m, pair[0] - p - m + 1))
                lows.append(lo_t[f, :, y - m : y + p + m, x - m : x + p + m])
                highs.append(hi_t[f, :, y * ratio : (y + p) * ratio, x * ratio : (x + p) * ratio])
    return torch.stack(lows), torch.stack(highs)


class PairBatches(IterableDataset):
    """Endless batches; every DataLoader worker draws its own seeds (worker id mixed into the rng)."""

    def __init__(self, cfg: UpsamplerTrainConfig) -> None:
        self.cfg = cfg

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        info = get_worker_info()
        torch.set_num_threads(1)
        rng = np.random.default_rng([self.cfg.seed, info.id if info else 0, 7])
        while True:
            yield make_batch(self.cfg, rng)


# -- loss and evaluation ---------------------------------------------------------------------------------


def _grads(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]


def crop_loss(model: Upsampler, low: torch.Tensor, high: torch.Tensor, cfg: UpsamplerTrainConfig) -> dict[str, torch.Tensor]:
    """L1 and edge L1 of the upsampled low crops (margin removed) against the true high crops in [-1, 1]."""
    ratio = high.shape[-1] // (low.shape[-1] - 2 * cfg.margin)
    side, cut = low.shape[-1] * ratio, cfg.margin * ratio
    out = model(low, (side, side))[..., cut : side - cut, cut : side - cut].float()
    target = high.float() / 127.5 - 1.0 if high.dtype == torch.uint8 else high
    l1 = (out - target).abs().mean()
    (ox, oy), (tx, ty) = _grads(out), _grads(target)
    edge = (ox - tx).abs().mean() + (oy - ty).abs().mean()
    return {"loss": l1 + cfg.grad_weight * edge, "l1": l1, "edge": edge}


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR in dB of frames in [-1, 1] (peak-to-peak 2)."""
    mse = float(((a.clamp(-1, 1) - b) ** 2).mean())
    return 10 * math.log10(4.0 / max(mse, 1e-12))


def sharpness(x: torch.Tensor) -> float:
    """Mean gradient magnitude of frames [N, 3, H, W] (a blurred picture has less)."""
    gx, gy = _grads(x.clamp(-1, 1))
    return float(gx.abs().mean() + gy.abs().mean())


def held_out_frames(n: int, pair: Pair, start: int = HELD_OUT_SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """One frame each of `n` held-out scenes (seeds start, start + 1, …): (low, high) in [-1, 1]."""
    lows, highs = [], []
    for i in range(n):
        lo, hi = render_pair(start + i, pair, 1, np.random.default_rng(start + i))
        lows.append(to_unit(lo))
        highs.append(to_unit(hi))
    return torch.cat(lows), torch.cat(highs)


@torch.inference_mode()
def evaluate(model: Upsampler, n: int, pair: Pair = (128, 72, 1280, 720)) -> dict[str, float]:
    """Held-out PSNR (dB) of bicubic vs learned, from clean and VAE-like degraded low-res frames."""
    low, high = held_out_frames(n, pair)
    dev = next(model.parameters()).device
    out: dict[str, float] = {"scenes": n, "size": f"{pair[2]}x{pair[3]}"}
    for kind, x in (("clean", low), ("degraded", vae_like(low))):
        bic = torch.cat([resize(c, pair[3], pair[2]) for c in x.split(4)])
        learned = torch.cat([model(c.to(dev), (pair[3], pair[2])).float().cpu() for c in x.split(4)])
        out[f"psnr_bicubic_{kind}"] = round(psnr(bic, high), 3)
        out[f"psnr_learned_{kind}"] = round(psnr(learned, high), 3)
    return out


# -- training --------------------------------------------------------------------------------------------


def _device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but CUDA is not available here; use 'cpu' or 'auto'")
    return torch.device(device)


def _loader(cfg: UpsamplerTrainConfig, dev: torch.device) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    if cfg.workers == 0:
        return iter(PairBatches(cfg))
    return iter(DataLoader(PairBatches(cfg), batch_size=None, num_workers=cfg.workers,
                           pin_memory=dev.type == "cuda", persistent_workers=True, prefetch_factor=4))


def train_upsampler(cfg: UpsamplerTrainConfig, out_dir: str | Path, device: str = "auto",
                    minutes: float | None = None, log: Callable[[str], None] = print,
                    max_steps: int | None = None) -> dict[str, Any]:
    """Train from scratch, evaluate on held-out scenes, save to `out_dir`; returns the training record."""
    dev = _device(device)
    torch.manual_seed(cfg.seed)
    model = Upsampler(upsampler_preset(cfg.model)).to(dev).train()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0)
    budget = minutes if minutes is not None else cfg.minutes
    steps_cap = min(cfg.steps, max_steps) if max_steps is not None else cfg.steps
    amp = cfg.precision == "bf16" and dev.type == "cuda"
    batches = _loader(cfg, dev)
    start, step, history = time.time(), 0, []
    while step < steps_cap and (budget is None or time.time() - start < budget * 60):
        low, high = next(batches)
        low, high = low.to(dev, non_blocking=True), high.to(dev, non_blocking=True)
        frac = (time.time() - start) / (budget * 60) if budget else step / steps_cap
        for g in opt.param_groups:  # warm-up then cosine, on whichever of time or steps runs out first
            g["lr"] = cfg.lr * min(1.0, (step + 1) / 50) * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            losses = crop_loss(model, low, high, cfg)
        optimizer_step(model, opt, losses["loss"], max_grad_norm=1.0)
        step += 1
        history.append({k: float(v.detach()) for k, v in losses.items()})
        if step % cfg.log_every == 0 or step == 1:
            log(f"step {step} loss {history[-1]['loss']:.4f} l1 {history[-1]['l1']:.4f} "
                f"edge {history[-1]['edge']:.4f} ({time.time() - start:.0f} s)")
    wall = time.time() - start
    del batches  # stop the rendering workers before the evaluation
    model.eval()
    tail = history[-max(1, min(20, len(history) // 4)):]
    record = {
        "train_config": asdict(cfg), "steps": step, "wall_seconds": round(wall, 1),
        "hardware": torch.cuda.get_device_name(dev) if dev.type == "cuda"
        else f"cpu ({platform.machine()}, {torch.get_num_threads()} threads)",
        "torch": torch.__version__, "first_loss": round(history[0]["loss"], 5) if history else None,
        "final": {k: round(float(np.mean([h[k] for h in tail])), 5) for k in ("loss", "l1", "edge")} if tail else {},
        "held_out": evaluate(model, cfg.eval_scenes),
    }
    path = save_upsampler(model, record, out_dir)
    log(f"saved {path}: {step} steps in {wall:.0f} s; held-out {record['held_out']}")
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m phonofilm.train.upsampler",
                                     description="Train the learned upsampler on paired world renders.")
    parser.add_argument("--config", default="gpu", help=f"recipe: one of {sorted(UPSAMPLER_RECIPES)}")
    parser.add_argument("--out", required=True, help="folder to write upsampler.safetensors into")
    parser.add_argument("--minutes", type=float, default=None, help="wall-time budget (default: the recipe's)")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many steps")
    parser.add_argument("--workers", type=int, default=None, help="DataLoader workers (default: the recipe's)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    args = parser.parse_args(argv)
    if args.config not in UPSAMPLER_RECIPES:
        parser.error(f"unknown --config {args.config!r}; choose one of {sorted(UPSAMPLER_RECIPES)}")
    if args.minutes is not None and args.minutes <= 0:
        parser.error(f"--minutes must be positive, got {args.minutes}")
    if args.max_steps is not None and args.max_steps < 1:
        parser.error(f"--max-steps must be at least 1, got {args.max_steps}")
    if args.workers is not None and args.workers < 0:
        parser.error(f"--workers must be 0 or more, got {args.workers}")
    cfg = UPSAMPLER_RECIPES[args.config]
    if args.workers is not None:
        cfg = replace(cfg, workers=args.workers)
    try:
        train_upsampler(cfg, args.out, args.device, args.minutes, max_steps=args.max_steps)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
