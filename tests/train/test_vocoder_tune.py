"""`python -m phonofilm.train.vocoder`: fine-tunes one module of a trained system, keeps the rest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from phonofilm.models.system import MODULES, load_system
from phonofilm.train import vocoder as tune


def test_tuning_changes_the_vocoder_only_and_records_the_run(tmp_path: Path, tiny_checkpoint: Path) -> None:
    cfg = tune.VocoderTuneConfig(steps=3, minutes=None, batch=2, crop_frames=64, scene_seconds=1.0, scenes=1,
                                 lr=1e-3, warmup=1, eval_clips=1, eval_seconds=0.5)
    run = tune.tune_vocoder(tiny_checkpoint, tmp_path / "out", cfg, log=lambda _: None)
    before, _ = load_system(tiny_checkpoint)
    after, record = load_system(tmp_path / "out")
    for name in MODULES:
        a, b = getattr(before, name).state_dict(), getattr(after, name).state_dict()
        same = all(torch.equal(a[k], b[k]) for k in a)
        assert same == (name != "vocoder"), name
    assert record["vocoder"]["steps"] == run["steps"] == 3
    assert set(run["held_out"]) >= {"vocoder_mel_l1", "vae_vocoder_mel_l1", "griffin_lim_mel_l1"}
    assert record["history"][-1]["train_config"] == "fixture"  # the run it started from


def test_sound_alone_is_the_clips_sound_and_crops_are_cut_from_it() -> None:
    from phonofilm.world.make import make_clip
    from phonofilm.world.sampler import sample_scene

    clip = make_clip(sample_scene(5, duration=1.0), 32, 24)
    assert (tune.render_sound(5, 1.0) == clip.audio).all()  # no picture drawn, same sound

    cfg = tune.VocoderTuneConfig(batch=4, scenes=2, crop_frames=32, scene_seconds=1.0)
    crops = tune.crop_batch(cfg, 125, np.random.default_rng(0))
    assert crops.shape == (4, 2, 32 * 125) and crops.abs().sum() > 0


def test_bad_settings_are_refused(tmp_path: Path, tiny_checkpoint: Path) -> None:
    with pytest.raises(ValueError, match="multiple of 4"):
        tune.VocoderTuneConfig(crop_frames=30)
    with pytest.raises(SystemExit):
        tune.main(["--init", str(tiny_checkpoint), "--out", str(tiny_checkpoint)])
    assert tune.main(["--init", str(tmp_path / "nothing"), "--out", str(tmp_path / "o"), "--max-steps", "1"]) == 2
