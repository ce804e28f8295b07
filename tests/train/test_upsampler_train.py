"""Upsampler training: exact world pairs, degradations, learning on a fixed batch, the tiny recipe end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from phonofilm.models.upsampler import Upsampler, load_upsampler, upsampler_preset
from phonofilm.pipeline.upsample import upsample_to
from phonofilm.train.upsampler import (
    HELD_OUT_SEED,
    UPSAMPLER_RECIPES,
    UpsamplerTrainConfig,
    crop_loss,
    degrade,
    main,
    make_batch,
    psnr,
    render_pair,
    to_unit,
    train_upsampler,
)

TINY = UPSAMPLER_RECIPES["tiny"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("ups") / "tiny"
    logs: list[str] = []
    record = train_upsampler(TINY, out, device="cpu", log=logs.append)
    assert any(line.startswith("step 1 ") for line in logs)
    return out, record


def test_pairs_show_the_same_instant_at_both_sizes() -> None:
    lo, hi = render_pair(7, (128, 72, 640, 360), 2, np.random.default_rng(0))
    assert lo.shape == (2, 72, 128, 3) and hi.shape == (2, 360, 640, 3)
    down = F.interpolate(to_unit(hi), size=(72, 128), mode="area")
    assert psnr(down, to_unit(lo)) > 27  # same scene, frame and framing
    other = to_unit(render_pair(8, (128, 72, 640, 360), 2, np.random.default_rng(0))[0])
    assert psnr(down, other) < psnr(down, to_unit(lo)) - 5


def test_degrade_softens_but_keeps_shape_and_range() -> None:
    x = to_unit(render_pair(11, (128, 72, 256, 144), 1, np.random.default_rng(1))[0])
    rng = np.random.default_rng(3)
    outs = [degrade(x, rng) for _ in range(6)]
    assert all(o.shape == x.shape and o.abs().max() <= 1 for o in outs)
    assert sum(not torch.equal(o, x) for o in outs) >= 4


def test_batches_are_aligned_crops() -> None:
    low, high = make_batch(TINY, np.random.default_rng(5))
    ratio = 640 // 128
    p = TINY.crop // ratio
    assert low.shape == (4, 3, p + 2 * TINY.margin, p + 2 * TINY.margin) and low.dtype == torch.float32
    assert high.shape == (4, 3, TINY.crop, TINY.crop) and high.dtype == torch.uint8


def test_loss_goes_down_on_a_fixed_batch() -> None:
    cfg = TINY
    low, high = make_batch(cfg, np.random.default_rng(9))
    torch.manual_seed(0)
    model = Upsampler(upsampler_preset("tiny"))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    with torch.no_grad():
        first = float(crop_loss(model, low, high, cfg)["loss"])
    for _ in range(40):
        loss = crop_loss(model, low, high, cfg)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        assert float(crop_loss(model, low, high, cfg)["loss"]) < 0.9 * first


def test_tiny_recipe_trains_saves_and_delivers(trained: tuple[Path, dict]) -> None:
    out, record = trained
    assert record["steps"] == TINY.steps and record["train_config"]["name"] == "tiny"
    assert {"psnr_bicubic_clean", "psnr_learned_clean", "psnr_learned_degraded"} <= set(record["held_out"])
    model, saved = load_upsampler(out)
    assert saved["steps"] == record["steps"] and saved["held_out"] == record["held_out"]
    frames = torch.rand(3, 5, 72, 128) * 2 - 1
    for w, h in ((1280, 720), (1024, 1792)):
        video, name = upsample_to(frames, w, h, model)
        assert video.dtype == np.uint8 and video.shape == (5, h, w, 3)
        assert name == "learned upsampler (tiny, ×2) + resize"


def test_cli_runs_and_refuses_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--config", "tiny", "--out", str(tmp_path / "u"), "--max-steps", "2", "--workers", "0"]) == 0
    assert load_upsampler(tmp_path / "u")[1]["steps"] == 2
    for argv, msg in ((["--config", "huge"], "unknown --config 'huge'"), (["--minutes", "0"], "--minutes must be"),
                      (["--max-steps", "0"], "--max-steps must be")):
        with pytest.raises(SystemExit):
            main([*argv, "--out", str(tmp_path / "x")])
        assert msg in capsys.readouterr().err


def test_config_validation_and_held_out_split() -> None:
    with pytest.raises(ValueError, match="integer multiple"):
        UpsamplerTrainConfig("x", "tiny", 1, None, 4, pairs=((128, 72, 1000, 720),), pair_weights=(1.0,))
    with pytest.raises(ValueError, match="multiple of scenes"):
        UpsamplerTrainConfig("x", "tiny", 1, None, 5)
    assert HELD_OUT_SEED == 2_000_000_000
    assert UPSAMPLER_RECIPES["gpu"].precision == "bf16" and UPSAMPLER_RECIPES["gpu"].workers > 0
