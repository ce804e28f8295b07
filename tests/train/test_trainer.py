"""Training: the real `train` entry point on the tiny recipe — exact resume, torchrun, train → generate."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from phonofilm.models.checkpoint import load_checkpoint
from phonofilm.train.config import StageConfig, train_preset
from phonofilm.train.trainer import train

pytestmark = pytest.mark.slow


def recipe(transformer_steps: int):
    cfg = train_preset("tiny")
    return dataclasses.replace(
        cfg,
        autoencoders=StageConfig(steps=2, batch_size=2, lr=1e-3, warmup=1),
        transformer=StageConfig(steps=transformer_steps, batch_size=2, lr=1e-3, warmup=1),
        distill=StageConfig(steps=0, batch_size=2, lr=1e-3),
        checkpoint_every=100,
    )


def test_resume_is_exact(tmp_path: Path) -> None:
    train(recipe(4), tmp_path / "straight", device="cpu", progress=False)
    train(recipe(2), tmp_path / "split", device="cpu", progress=False)
    train(recipe(4), tmp_path / "split", device="cpu", progress=False)  # resumes at transformer step 2
    a = load_file(str(tmp_path / "straight" / "state" / "state.safetensors"))
    b = load_file(str(tmp_path / "split" / "state" / "state.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{k} differs after resume"
    meta = json.loads((tmp_path / "split" / "state" / "state.json").read_text())
    assert meta["stage"] == "done" and meta["steps_done"]["transformer"] == 4
    ck = load_checkpoint(tmp_path / "split" / "checkpoint")
    assert ck.record["steps"] == {"autoencoders": 2, "transformer": 4}
    assert ck.config["preset"] == "tiny" and ck.config["video_vae"]["latent_std"] != 1.0


def test_trains_a_2x_temporal_system_with_continuation_and_shots(tmp_path: Path) -> None:
    cfg = dataclasses.replace(recipe(3), temporal_factor=2, p_continue=1.0,
                              distill=StageConfig(steps=1, batch_size=2, lr=1e-3))
    train(cfg, tmp_path / "run", device="cpu", progress=False)
    ck = load_checkpoint(tmp_path / "run" / "checkpoint")
    assert ck.config["video_vae"]["temporal_factor"] == 2 and ck.config["transformer"]["video_latent_rate"] == 8.0
    assert ck.record["steps"] == {"autoencoders": 2, "transformer": 3, "distill": 1}


def test_refuses_to_mix_recipes_in_one_run(tmp_path: Path) -> None:
    train(recipe(1), tmp_path / "run", device="cpu", progress=False)
    other = dataclasses.replace(recipe(1), name="other")
    with pytest.raises(ValueError, match="holds a run of config 'tiny'"):
        train(other, tmp_path / "run", device="cpu", progress=False)


def test_cli_train_then_generate(tmp_path: Path) -> None:
    run = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "phonofilm", "train", "--config", "tiny", "--out", str(run),
                        "--device", "cpu", "--export", str(tmp_path / "export")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert {e["stage"] for e in log} == {"autoencoders", "transformer", "distill"}
    evals = [e["eval"] for e in log if "eval" in e]  # periodic eval of the EMA model on held-out prompts
    assert evals and "eval_prompt_adherence" in evals[0]
    half = load_checkpoint(tmp_path / "export")
    assert half.record["few_step"] is True  # the shortcut stage ran: sora-2 samples in few steps
    assert half.record["eval"]["step"] >= 1
    assert all(v.dtype == torch.float16 for v in half.tensors.values() if v.is_floating_point())
    out = tmp_path / "clip.mp4"
    r = subprocess.run([sys.executable, "-m", "phonofilm", "generate", "A metal cube falls", "--out", str(out),
                        "--size", "160x90", "--seconds", "1", "--checkpoint",
                        str(tmp_path / "export")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    from phonofilm.media import read_mp4

    media = read_mp4(out)
    assert media.frames.shape == (16, 90, 160, 3) and media.audio is not None
    assert json.loads(media.metadata["comment"])["sampler"] == "shortcut"


def test_torchrun_two_cpu_processes(tmp_path: Path) -> None:
    run = tmp_path / "ddp"
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                        "--master_port", "29517", "-m", "phonofilm", "train", "--config", "tiny", "--out",
                        str(run), "--device", "cpu"], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    ck = load_checkpoint(run / "checkpoint")
    assert ck.record["hardware"].startswith("2 x")
    assert ck.record["steps"]["transformer"] == train_preset("tiny").transformer.steps


def test_trains_on_a_folder_of_mp4_with_captions(tmp_path: Path) -> None:
    from phonofilm.media import write_mp4
    from phonofilm.world.make import make_clip_from_seed

    data = tmp_path / "mine" / "sub"
    data.mkdir(parents=True)
    for i in range(3):  # any size and rate: conformed to the buckets
        clip = make_clip_from_seed(100 + i, 1.0, 96, 54, 24.0, 22050, 1)
        write_mp4(data / f"c{i}.mp4", clip.frames, clip.fps, clip.audio, clip.sample_rate)
        (data / f"c{i}.txt").write_text(clip.caption)
    write_mp4(data / "no_caption.mp4", clip.frames, clip.fps, clip.audio, clip.sample_rate)  # skipped
    cfg = dataclasses.replace(recipe(2), eval_every=0,
                              data=dataclasses.replace(recipe(2).data, source=f"folder:{tmp_path / 'mine'}"))
    ck = train(cfg, tmp_path / "run", device="cpu", progress=False)
    assert load_checkpoint(ck).record["steps"] == {"autoencoders": 2, "transformer": 2}
    with pytest.raises(FileNotFoundError, match="does not exist"):
        bad = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, source=f"folder:{tmp_path / 'nope'}"))
        train(bad, tmp_path / "run2", device="cpu", progress=False)


def test_init_from_checkpoint_runs_the_later_stages(tmp_path: Path, tiny_checkpoint: Path) -> None:
    cfg = dataclasses.replace(recipe(1), eval_every=0, distill=StageConfig(steps=2, batch_size=2, lr=1e-3))
    ck = load_checkpoint(train(cfg, tmp_path / "run", device="cpu", progress=False, init=tiny_checkpoint))
    assert ck.record["steps"]["distill"] == 2 and ck.record["few_step"] is True
    assert "autoencoders" not in ck.record["steps"]  # taken from the checkpoint, not trained again
    assert ck.record["history"][-1]["train_config"] == "fixture"  # where the weights came from
    start = load_checkpoint(tiny_checkpoint)
    for name, value in start.state_dict("video_vae").items():  # autoencoders are frozen after init
        assert torch.equal(ck.state_dict("video_vae")[name], value), name
    with pytest.raises(ValueError, match="is a 'tiny' model"):
        train(dataclasses.replace(train_preset("small-cpu-distill")), tmp_path / "x", device="cpu",
              progress=False, init=tiny_checkpoint)


def test_the_change_weighted_flow_loss_trains_and_is_recorded(tmp_path: Path) -> None:
    def first_loss(weight: float) -> tuple[float, dict]:
        cfg = dataclasses.replace(recipe(1), eval_every=0, log_every=1, flow_change_weight=weight)
        ck = load_checkpoint(train(cfg, tmp_path / f"w{weight}", device="cpu", progress=False))
        logs = [json.loads(line) for line in (tmp_path / f"w{weight}" / "log.jsonl").read_text().splitlines()]
        return next(r["loss"] for r in logs if r.get("stage") == "transformer"), ck.record

    plain, _ = first_loss(0.0)
    weighted, record = first_loss(2.0)
    assert record["recipe"]["flow_change_weight"] == 2.0
    # same seed, batch, noise and weights before the first update: only the weighting differs
    assert math.isfinite(weighted) and weighted != pytest.approx(plain, rel=1e-4)


def test_training_noise_can_share_a_shot_and_is_recorded(tmp_path: Path) -> None:
    """Both transformer stages (flow matching, shortcut distillation) draw their video noise from the
    prior the recipe names; 0 keeps the independent noise (and the draws) of every earlier run."""
    def losses(rho: float) -> tuple[dict, dict]:
        cfg = dataclasses.replace(recipe(1), eval_every=0, log_every=1, noise_correlation=rho,
                                  distill=StageConfig(steps=1, batch_size=2, lr=1e-3))
        ck = load_checkpoint(train(cfg, tmp_path / f"r{rho}", device="cpu", progress=False))
        logs = [json.loads(line) for line in (tmp_path / f"r{rho}" / "log.jsonl").read_text().splitlines()]
        return {r["stage"]: r["loss"] for r in logs if r.get("stage") in ("transformer", "distill")}, ck.record

    plain, _ = losses(0.0)
    shared, record = losses(0.9)
    assert record["recipe"]["noise_correlation"] == 0.9
    assert set(plain) == set(shared) == {"transformer", "distill"}
    for stage in plain:  # same seed, batch and weights: only the noise's correlation differs
        assert math.isfinite(shared[stage]) and shared[stage] != pytest.approx(plain[stage], rel=1e-4)
    with pytest.raises(ValueError, match=r"noise_correlation must be in \[0, 1\)"):
        dataclasses.replace(recipe(1), noise_correlation=1.0)


def test_a_training_sample_given_its_first_frame_keeps_independent_noise_in_that_shot() -> None:
    """As at sampling time: with every sample's first latent given clean and one shot per clip, the shared
    part never reaches the noise, so any ρ > 0 gives the same loss; without clean frames it does not."""
    from phonofilm.models.system import System, system_preset
    from phonofilm.models.text import TextEncoder
    from phonofilm.train.batches import WorldBatches
    from phonofilm.train.steps import transformer_step

    torch.manual_seed(0)
    system = System(system_preset("tiny"))
    system.video_vae.eval().requires_grad_(False)
    system.audio_vae.eval().requires_grad_(False)
    text, base = TextEncoder(max_tokens=64), train_preset("tiny")
    batch = WorldBatches(base.data, 2, 0).batch(0)
    batch["shots"] = torch.zeros_like(batch["shots"])  # one shot per clip

    def loss(rho: float, p_first: float) -> float:
        cfg = dataclasses.replace(base, noise_correlation=rho, p_first_frame=p_first, p_continue=0.0,
                                  p_video_to_audio=0.0, p_video_only=0.0)
        opt = torch.optim.SGD(system.transformer.parameters(), lr=0.0)
        return transformer_step(system, system.transformer, text, opt, batch, cfg, torch.Generator().manual_seed(0),
                                torch.device("cpu"))["loss_video"]

    assert loss(0.5, 1.0) == loss(0.9, 1.0)
    assert loss(0.5, 0.0) != loss(0.9, 0.0)


def test_a_continued_run_lists_each_earlier_run_once() -> None:
    from phonofilm.models.system import continued_history

    gpu = {"train_config": "small-gpu", "steps": {"transformer": 850}}
    cont = {"train_config": "small-gpu-continue", "steps": {"transformer": 889}}
    # a checkpoint from before session 10: every decoder tune repeated its training run in the history
    record = {**cont, "decoders": {"vocoder": {}}, "history": [gpu, cont, cont]}
    assert continued_history(record) == [gpu, cont]
    assert continued_history({**cont, "history": [gpu]}) == [gpu, cont]
    assert continued_history(gpu) == [gpu]


def test_init_from_a_2x_checkpoint_keeps_its_time_base(tmp_path: Path, tiny_checkpoint_2x: Path,
                                                         tiny_checkpoint: Path) -> None:
    cfg = dataclasses.replace(recipe(1), eval_every=0)  # the recipe names no temporal factor: --init's is used
    ck = load_checkpoint(train(cfg, tmp_path / "run", device="cpu", progress=False, init=tiny_checkpoint_2x))
    assert ck.config["video_vae"]["temporal_factor"] == 2 and ck.record["steps"]["transformer"] == 1
    again = dataclasses.replace(cfg, transformer=StageConfig(steps=2, batch_size=2, lr=1e-3, warmup=1))
    ck = load_checkpoint(train(again, tmp_path / "run", device="cpu", progress=False))  # resumes, no --init
    assert ck.config["video_vae"]["temporal_factor"] == 2 and ck.record["steps"]["transformer"] == 2
    with pytest.raises(ValueError, match="temporal factor 4, the config asks for 2"):  # a recipe asking for another VAE
        train(dataclasses.replace(cfg, temporal_factor=2), tmp_path / "other", device="cpu", progress=False,
              init=tiny_checkpoint)


def test_init_retrains_the_video_vae_at_another_temporal_factor(tmp_path: Path, tiny_checkpoint: Path) -> None:
    """`retrain_autoencoders=("video_vae",)` with --init of a 4× model: a warm-started 2× video VAE trains,
    its latent statistics are refit, the audio VAE, vocoder and their statistics stay exactly as they were,
    and the transformer continues from the checkpoint's weights on the new latents."""
    cfg = dataclasses.replace(recipe(1), eval_every=0, temporal_factor=2, retrain_autoencoders=("video_vae",))
    ck = load_checkpoint(train(cfg, tmp_path / "run", device="cpu", progress=False, init=tiny_checkpoint))
    start = load_checkpoint(tiny_checkpoint)
    assert ck.config["video_vae"]["temporal_factor"] == 2 and ck.config["transformer"]["video_latent_rate"] == 8.0
    assert ck.record["steps"]["autoencoders"] == 2 and ck.record["steps"]["transformer"] == 1
    for name in ("audio_vae", "vocoder"):
        for key, value in start.state_dict(name).items():
            assert torch.equal(ck.state_dict(name)[key], value), (name, key)
    assert ck.config["audio_vae"] == start.config["audio_vae"]
    assert ck.config["video_vae"]["latent_std"] != start.config["video_vae"]["latent_std"]
    same_shape = [k for k, v in start.state_dict("video_vae").items() if ck.state_dict("video_vae")[k].shape == v.shape]
    assert any(not torch.equal(ck.state_dict("video_vae")[k], start.state_dict("video_vae")[k]) for k in same_shape)
    logged = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert {k for row in logged if row["stage"] == "autoencoders" for k in row} >= {"video_l1", "video_kl"}
    assert not any("audio_l1" in row or "vocoder" in row for row in logged)  # frozen: no steps taken
    with pytest.raises(ValueError, match="does not retrain the video VAE"):
        train(dataclasses.replace(cfg, retrain_autoencoders=("vocoder",)), tmp_path / "x", device="cpu",
              progress=False, init=tiny_checkpoint)
    with pytest.raises(ValueError, match="retrain_autoencoders names \\['transformer'\\]"):
        dataclasses.replace(cfg, retrain_autoencoders=("transformer",))


def test_init_keeps_the_checkpoints_own_architecture(tmp_path: Path) -> None:
    """--init builds the networks the checkpoint holds (here a vocoder with a harmonic source, which the
    preset has not), and a resumed run rebuilds them from its saved state."""
    from phonofilm.models.system import System, save_system, system_preset

    base = system_preset("tiny")
    system = System(dataclasses.replace(base, vocoder=dataclasses.replace(base.vocoder, harmonics=8)))
    init = save_system(tmp_path / "init", system, {"train_config": "fixture", "steps": {}})
    cfg = dataclasses.replace(recipe(1), eval_every=0)
    ck = load_checkpoint(train(cfg, tmp_path / "run", device="cpu", progress=False, init=init))
    assert ck.config["vocoder"]["harmonics"] == 8
    more = dataclasses.replace(cfg, transformer=StageConfig(steps=2, batch_size=2, lr=1e-3, warmup=1))
    ck = load_checkpoint(train(more, tmp_path / "run", device="cpu", progress=False))  # resume, no --init
    assert ck.config["vocoder"]["harmonics"] == 8 and ck.record["steps"]["transformer"] == 2


def test_every_recipe_builds_a_consistent_system() -> None:
    from phonofilm.models.system import System, system_preset
    from phonofilm.train.config import TRAIN_PRESETS

    for name, cfg in TRAIN_PRESETS.items():
        system = System(system_preset(cfg.model, cfg.temporal_factor))
        layout = system.config.layout
        assert layout.frames_per_latent == (cfg.temporal_factor or 4), name
        for frames in cfg.data.frames:  # every clip length is a whole number of latent frames
            assert layout.frames_for(layout.latent_frames_for(frames)) == frames, (name, frames)
