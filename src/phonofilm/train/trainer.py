"""`phonofilm train`: autoencoders → latent statistics → joint transformer, resumable at any checkpoint.

Run directory layout:
    RUN/state/        everything needed to continue exactly (weights, EMA, optimizers, RNG, step)
    RUN/checkpoint/   the latest self-describing model checkpoint (EMA transformer) for `generate`
    RUN/log.jsonl     one JSON line per logged step
"""

from __future__ import annotations

import dataclasses
import json
import platform
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from phonofilm.models.system import System, SystemConfig, save_system, system_preset
from phonofilm.models.text import TextEncoder
from phonofilm.train.batches import make_batches
from phonofilm.train.config import AUTOENCODERS, StageConfig, TrainConfig
from phonofilm.train.distributed import Distributed, wrap
from phonofilm.train.periodic_eval import periodic_eval
from phonofilm.train.shortcut import shortcut_step
from phonofilm.train.state import META, has_state, load_state, save_state
from phonofilm.train.steps import AutoencoderModels, autoencoder_step, latent_statistics, transformer_step

STAGES = ("autoencoders", "transformer", "distill")


@dataclass
class Run:
    """Mutable state of one training run (everything `state/` persists)."""

    cfg: TrainConfig
    out: Path
    dist: Distributed
    system: System
    optimizers: dict[str, torch.optim.Optimizer]
    ema: dict[str, torch.Tensor]
    gen: torch.Generator
    stage: str = "autoencoders"
    step: int = 0
    steps_done: dict[str, int] = field(default_factory=dict)
    latent_stats: dict[str, Any] | None = None
    wall_seconds: float = 0.0
    eval_scores: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier runs this one continued (--init)

    @property
    def device(self) -> torch.device:
        return self.dist.device

    @property
    def autoencoder_parts(self) -> tuple[str, ...]:
        """The autoencoders the autoencoder stage trains: all of them, or after --init (a run with a
        history) only the recipe's `retrain_autoencoders`."""
        return self.cfg.retrain_autoencoders if self.history else AUTOENCODERS

    def meta(self) -> dict[str, Any]:
        return {"stage": self.stage, "step": self.step, "steps_done": self.steps_done, "eval": self.eval_scores,
                "history": self.history,
                "latent_stats": self.latent_stats, "wall_seconds": self.wall_seconds,
                "config": self.cfg.to_dict(), "system": self.system.config.to_dict()}

    def save(self) -> None:
        """State for exact resume + an exported checkpoint (rank 0 only)."""
        if not self.dist.is_main:
            return
        save_state(self.out / "state", {"system": self.system, "ema": self.ema}, self.optimizers,
                   self.meta(), {"noise": self.gen})
        save_system(self.out / "checkpoint", self.system, self.record(), transformer_state=self.ema)

    def record(self) -> dict[str, Any]:
        dev = self.device
        hw = torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or platform.machine()
        return {"train_config": self.cfg.name, "recipe": self.cfg.to_dict(), "steps": self.steps_done,
                "few_step": self.steps_done.get("distill", 0) > 0,
                "stage": self.stage, "data": f"phonofilm.world online, seeds from {self.cfg.data.seed_start}",
                "hardware": f"{self.dist.world_size} x {hw}", "wall_seconds": round(self.wall_seconds, 1),
                "torch": torch.__version__, "eval": self.eval_scores, "history": self.history}


def _optimizer(module: torch.nn.Module, stage: StageConfig) -> torch.optim.Optimizer:
    return torch.optim.AdamW(module.parameters(), lr=stage.lr, weight_decay=stage.weight_decay,
                             betas=(0.9, 0.99))


def _init_from(run: Run, checkpoint: Path) -> None:
    """Start a fresh run from an exported checkpoint's weights: the stages after the autoencoders, or
    from the autoencoder stage when the recipe retrains some of them (`retrain_autoencoders`).

    A checkpoint without a transformer (autoencoders only, see `export_autoencoders`) starts the
    transformer from scratch; one from before cameos starts its reference encoder from scratch. A video
    VAE of another temporal factor than the recipe's is warm-started from the checkpoint's
    (`models.video_vae.warm_start`), which only a recipe that retrains the video VAE may ask for.
    """
    from phonofilm.models.checkpoint import CheckpointError, load_checkpoint
    from phonofilm.models.system import continued_history, load_modules
    from phonofilm.models.video_vae import VideoVAE, warm_start

    ck = load_checkpoint(checkpoint)
    config, record = SystemConfig.from_dict(ck.config), ck.record
    new_factor = config.video_vae.temporal_factor != run.system.config.video_vae.temporal_factor
    try:
        has = load_modules(run.system, ck, checkpoint, absent_ok=("transformer",),
                           new_prefixes=("reference_encoder.",), skip=("video_vae",) if new_factor else ())
    except CheckpointError as e:
        raise ValueError(f"--init does not fit config {run.cfg.name!r}: {e}") from None
    if new_factor:
        old = VideoVAE(config.video_vae)
        old.load_state_dict({k: v.float() for k, v in ck.state_dict("video_vae").items()})
        warm_start(run.system.video_vae, old.to(run.device))
    vv, av = config.video_vae, config.audio_vae
    run.latent_stats = {"video": (vv.latent_mean, vv.latent_std), "audio": (av.latent_mean, av.latent_std)}
    run.system.with_latent_stats(run.latent_stats["video"], run.latent_stats["audio"])
    run.ema.update({k: v.detach().clone().float() for k, v in run.system.transformer.state_dict().items()})
    run.steps_done = dict(record.get("steps", {}))
    if "transformer" not in has:
        run.steps_done = {"autoencoders": run.steps_done.get("autoencoders", 0)}
    if run.cfg.distill.steps == 0 or run.cfg.transformer.steps > 0:
        run.steps_done.pop("distill", None)  # more flow-matching training undoes a distillation
    run.history = continued_history(record)
    more = run.cfg.transformer.steps > run.steps_done.get("transformer", 0)
    run.stage = "transformer" if more or run.cfg.distill.steps == 0 else "distill"
    run.step = 0 if run.stage == "distill" else run.steps_done.get("transformer", 0)
    if run.cfg.retrain_autoencoders and run.cfg.autoencoders.steps > 0:
        run.stage, run.step = "autoencoders", 0


def export_autoencoders(checkpoint: Path, out: Path) -> Path:
    """A copy of `checkpoint` without its transformer: enough to `--init` a run that trains a new one."""
    from phonofilm.models.checkpoint import load_checkpoint, save_checkpoint

    ck = load_checkpoint(checkpoint)
    modules = {name: ck.state_dict(name) for name in ("video_vae", "audio_vae", "vocoder")}
    return save_checkpoint(out, modules, ck.config, {**ck.record, "autoencoders_only": True})


def _system_config(cfg: TrainConfig, out: Path, init: Path | None) -> SystemConfig:
    """The networks this run trains: those its saved state was started with; else `init`'s (at the
    recipe's temporal factor, if it names one); else the recipe's preset."""
    from phonofilm.models.checkpoint import read_metadata

    if has_state(out / "state"):
        meta = json.loads((out / "state" / META).read_text())
        if "system" in meta:
            return SystemConfig.from_dict(meta["system"])
        return system_preset(cfg.model, meta["config"].get("temporal_factor"))  # a run from before "system"
    if init is None:
        return system_preset(cfg.model, cfg.temporal_factor)
    config = SystemConfig.from_dict(read_metadata(init)[0])
    if config.preset != cfg.model:
        raise ValueError(f"--init {init} is a {config.preset!r} model; config {cfg.name!r} trains {cfg.model!r}")
    theirs = config.video_vae.temporal_factor
    if cfg.temporal_factor is None or cfg.temporal_factor == theirs:
        return config
    if "video_vae" not in cfg.retrain_autoencoders or cfg.autoencoders.steps == 0:
        raise ValueError(f"--init {init} does not fit config {cfg.name!r}: its video VAE has temporal factor "
                         f"{theirs}, the config asks for {cfg.temporal_factor} and does not retrain the video VAE "
                         "(retrain_autoencoders)")
    return config.with_temporal_factor(cfg.temporal_factor)


def build_run(cfg: TrainConfig, out: Path, dist: Distributed, init: Path | None = None) -> Run:
    """Fresh models and optimizers; resumed from `out/state` when it exists, else from `init` if given."""
    torch.manual_seed(cfg.seed)
    config = _system_config(cfg, out, init)
    cfg = dataclasses.replace(cfg, temporal_factor=config.video_vae.temporal_factor)
    system = System(config).to(dist.device)
    opts = {name: _optimizer(getattr(system, name), cfg.autoencoders) for name in AUTOENCODERS}
    opts["transformer"] = _optimizer(system.transformer, cfg.transformer)
    ema = {k: v.detach().clone().float() for k, v in system.transformer.state_dict().items()}
    gen = torch.Generator(dist.device).manual_seed(cfg.seed * 1_000_003 + dist.rank)
    run = Run(cfg, out, dist, system, opts, ema, gen)
    if has_state(out / "state"):
        meta = load_state(out / "state", {"system": system, "ema": ema}, opts, {"noise": gen})
        if meta["config"]["name"] != cfg.name:
            raise ValueError(f"{out} holds a run of config {meta['config']['name']!r}, not {cfg.name!r}; "
                             "use another --out or the same --config")
        run.stage, run.step, run.steps_done = meta["stage"], meta["step"], meta["steps_done"]
        run.latent_stats, run.wall_seconds = meta["latent_stats"], meta["wall_seconds"]
        run.eval_scores = meta.get("eval", {})
        run.history = meta.get("history", [])
        if run.latent_stats:
            system.with_latent_stats(run.latent_stats["video"], run.latent_stats["audio"])
    elif init is not None:
        _init_from(run, Path(init))
    return run


def _loader(run: Run, stage: StageConfig, frames: int | None) -> Iterator[dict]:
    data = run.cfg.data
    ds = make_batches(data, stage.batch_size, run.step // stage.echo, frames, seed=run.cfg.seed)
    workers = data.num_workers
    return iter(DataLoader(ds, batch_size=None, num_workers=workers, pin_memory=run.device.type == "cuda",
                           prefetch_factor=4 if workers else None, worker_init_fn=_single_thread))


def _single_thread(_: int) -> None:
    torch.set_num_threads(1)  # render workers: one core each


def _lr(stage: StageConfig, step: int) -> float:
    return stage.lr * min(1.0, (step + 1) / max(1, stage.warmup))


def _stage_loop(run: Run, name: str, stage: StageConfig, step_fn: Callable[[dict], dict[str, float]],
                opt_names: tuple[str, ...], frames: int | None, progress: bool) -> None:
    """Steps of one stage until its step count or wall-time budget; logs, checkpoints, resumable."""
    it = _loader(run, stage, frames)
    bar = tqdm(total=stage.steps, initial=run.step, desc=name, disable=not (progress and run.dist.is_main),
               dynamic_ncols=True)
    start = last = time.time()
    log = (run.out / "log.jsonl").open("a") if run.dist.is_main else None
    batch, waited = None, 0.0
    while run.step < stage.steps:
        if stage.minutes is not None and time.time() - start > stage.minutes * 60:
            break
        for n in opt_names:
            for g in run.optimizers[n].param_groups:
                g["lr"] = _lr(stage, run.step)
        if run.step % stage.echo == 0 or batch is None:
            wait = time.time()
            batch = next(it)
            waited += time.time() - wait
        logs = step_fn(batch)
        run.step += 1
        now = time.time()
        run.wall_seconds += now - last
        clips_s = stage.batch_size * run.dist.world_size / max(now - last, 1e-9)
        last = now
        bar.update(1)
        bar.set_postfix({k: f"{v:.4g}" for k, v in list(logs.items())[:3]} | {"clips/s": f"{clips_s:.1f}"})
        if log and run.step % run.cfg.log_every == 0:
            log.write(json.dumps({"stage": name, "step": run.step, "time": round(run.wall_seconds, 2),
                                  "clips_per_s": round(clips_s, 2),
                                  "data_wait": round(waited / max(time.time() - start, 1e-9), 3), **logs}) + "\n")
            log.flush()
        if run.cfg.eval_every and run.step % run.cfg.eval_every == 0 and name != "autoencoders" \
                and run.dist.is_main:
            scores = periodic_eval(run.system, run.ema, size=run.cfg.eval_size)
            run.eval_scores = {"step": run.step, "stage": name, **scores}
            if log:
                log.write(json.dumps({"stage": name, "step": run.step, "eval": scores}) + "\n")
                log.flush()
        if run.step % run.cfg.checkpoint_every == 0:
            run.steps_done[name] = run.step
            run.save()
    bar.close()
    if log:
        log.close()
    run.steps_done[name] = run.step


def _update_ema(ema: dict[str, torch.Tensor], module: torch.nn.Module, decay: float, step: int) -> None:
    d = min(decay, (1 + step) / (10 + step))
    with torch.no_grad():
        for k, v in module.state_dict().items():
            ema[k].mul_(d).add_(v.float(), alpha=1 - d)


def train_autoencoders(run: Run, progress: bool) -> None:
    s, parts = run.system, run.autoencoder_parts
    models = AutoencoderModels(*(wrap(getattr(s, n), run.dist) if n in parts else getattr(s, n)
                                 for n in AUTOENCODERS))
    for n in AUTOENCODERS:
        getattr(s, n).train(n in parts).requires_grad_(n in parts)

    def step(batch: dict) -> dict[str, float]:
        return autoencoder_step(models, s.audio_vae.logmel, run.optimizers, batch, run.gen,
                                run.cfg.autoencoders.max_grad_norm, run.device,
                                run.cfg.video_motion_weight, run.cfg.video_edge_weight,
                                run.cfg.audio_edge_weight, parts)

    _stage_loop(run, "autoencoders", run.cfg.autoencoders, step, parts, run.cfg.data.autoencoder_frames, progress)


def fit_latent_stats(run: Run) -> None:
    """Per-channel latent statistics of the VAEs this run trained (a frozen VAE keeps its own)."""
    s = run.system
    for m in (s.video_vae, s.audio_vae, s.vocoder):
        m.eval().requires_grad_(False)
    it = _loader(run, run.cfg.transformer, None)
    video, audio = latent_statistics(s, [next(it) for _ in range(run.cfg.latent_stat_batches)], run.device)
    kept = run.latent_stats or {}
    parts = run.autoencoder_parts
    run.latent_stats = {"video": video if "video_vae" in parts or not kept else kept["video"],
                        "audio": audio if "audio_vae" in parts or not kept else kept["audio"]}
    s.with_latent_stats(run.latent_stats["video"], run.latent_stats["audio"])


def train_transformer(run: Run, progress: bool, stage: str = "transformer") -> None:
    """The flow-matching stage, or (stage="distill") its shortcut self-distillation for few-step sampling."""
    s = run.system
    for m in (s.video_vae, s.audio_vae, s.vocoder):
        m.eval().requires_grad_(False)
    s.transformer.train().requires_grad_(True)
    model = wrap(s.transformer, run.dist, find_unused=True)
    if run.cfg.compile:
        model = torch.compile(model)
    text = TextEncoder(device=str(run.device), max_tokens=s.config.text_tokens, cache_size=64)
    stage_cfg = run.cfg.distill if stage == "distill" else run.cfg.transformer
    step_fn = shortcut_step if stage == "distill" else transformer_step
    if stage == "distill":
        for g in run.optimizers["transformer"].param_groups:
            g["lr"] = stage_cfg.lr

    def step(batch: dict) -> dict[str, float]:
        logs = step_fn(s, model, text, run.optimizers["transformer"], batch, run.cfg, run.gen, run.device)
        _update_ema(run.ema, s.transformer, run.cfg.ema_decay, run.step)
        return logs

    _stage_loop(run, stage, stage_cfg, step, ("transformer",), None, progress)


def train(cfg: TrainConfig, out: str | Path, device: str = "auto", progress: bool = True,
          stop_after: str | None = None, init: str | Path | None = None) -> Path:
    """Run (or resume) every stage of `cfg` into `out`; returns the exported checkpoint directory."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with Distributed.from_env(device) as dist:
        run = build_run(cfg, out, dist, Path(init) if init is not None else None)
        last = "distill" if run.steps_done.get("distill", 0) or cfg.distill.steps else "transformer"
        done = run.steps_done.get(last, 0)
        budget = getattr(cfg, last)
        if run.stage == "done" and done < budget.steps and budget.minutes is None:
            run.stage, run.step = last, done  # a finished run asked for more steps: continue it
        if run.stage == "autoencoders":
            train_autoencoders(run, progress)
            fit_latent_stats(run)
            run.stage, run.step = "transformer", 0
            run.save()
        if stop_after != "autoencoders" and run.stage == "transformer":
            train_transformer(run, progress)
            run.stage, run.step = ("distill", 0) if cfg.distill.steps > 0 else ("done", run.step)
            run.save()
        if stop_after != "autoencoders" and run.stage == "distill":
            train_transformer(run, progress, stage="distill")
            run.stage = "done"
            run.save()
        dist.barrier()
    return out / "checkpoint"
