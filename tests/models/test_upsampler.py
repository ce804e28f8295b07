"""The learned upsampler: any output size, untrained = bicubic, bit-exact files, clear refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch.nn import functional as F

from phonofilm.models.upsampler import (
    UPSAMPLER_PRESETS,
    Upsampler,
    UpsamplerConfig,
    UpsamplerError,
    load_upsampler,
    read_upsampler_metadata,
    save_upsampler,
    upsampler_preset,
)
from phonofilm.pipeline.upsample import upsample_to


def _random_model(preset: str = "tiny", seed: int = 0) -> Upsampler:
    torch.manual_seed(seed)
    model = Upsampler(upsampler_preset(preset)).eval()
    with torch.no_grad():
        for p in model.tail.parameters():  # off zero, so the learned branch matters
            p.normal_(0, 0.05)
    return model


@pytest.mark.parametrize(("low", "size"), [
    ((72, 128), (720, 1280)), ((72, 128), (1080, 1920)), ((72, 128), (1024, 1792)),
    ((128, 72), (1280, 720)), ((128, 72), (1792, 1024)), ((96, 96), (1024, 1024)), ((72, 128), (33, 50)),
])
def test_any_output_size(low: tuple[int, int], size: tuple[int, int]) -> None:
    model = _random_model()
    x = torch.rand(2, 3, *low) * 2 - 1
    with torch.inference_mode():
        y = model(x, size)
    assert y.shape == (2, 3, *size) and torch.isfinite(y).all()


def test_untrained_is_bicubic_and_learned_branch_changes_it() -> None:
    x = torch.rand(1, 3, 72, 128) * 2 - 1
    fresh = Upsampler(upsampler_preset("small")).eval()
    with torch.inference_mode():
        ref = F.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
        assert torch.equal(fresh.learned(x), ref)
        assert fresh.learned(x).shape == (1, 3, 288, 512)
        assert not torch.allclose(_random_model("small").learned(x), ref, atol=1e-3)


def test_presets_and_config_round_trip() -> None:
    small = Upsampler(upsampler_preset("small"))
    n = sum(p.numel() for p in small.parameters())
    assert n * 2 <= 2 * 1024 * 1024  # ships under 2 MB in fp16
    for cfg in UPSAMPLER_PRESETS.values():
        assert UpsamplerConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown UpsamplerConfig keys"):
        UpsamplerConfig.from_dict({**small.config.to_dict(), "depth": 3})
    with pytest.raises(ValueError, match="scale must be one of"):
        UpsamplerConfig(scale=5)
    with pytest.raises(ValueError, match="unknown upsampler preset 'huge'"):
        upsampler_preset("huge")
    assert small.label == "learned upsampler (small, ×4) + resize"


@pytest.mark.parametrize(("size", "match"), [
    ((0, 1280), "height must be between"), ((720, 5000), "width must be between"),
    ((720.0, 1280), "integer number of pixels"), ((True, 1280), "integer number of pixels"),
    ((4096, 4096), "more than"), ((720,), "size must be"),
])
def test_bad_sizes_refused(size: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _random_model()(torch.zeros(1, 3, 72, 128), size)


def test_bad_input_shape_refused() -> None:
    with pytest.raises(ValueError, match=r"frames \[N, 3, h, w\]"):
        _random_model()(torch.zeros(3, 72, 128), (720, 1280))
    with pytest.raises(ValueError, match=r"frames \[3, T, h, w\]"):
        upsample_to(torch.zeros(2, 3, 72, 128), 1280, 720)


def test_save_load_round_trip_bit_exact(tmp_path: Path) -> None:
    model = _random_model("small", seed=3)
    record = {"steps": 12, "held_out": {"psnr": 30.5}}
    path = save_upsampler(model, record, tmp_path / "up")
    assert path.name == "upsampler.safetensors" and path.stat().st_size < 2 * 1024 * 1024
    loaded, rec = load_upsampler(tmp_path / "up")
    assert rec == record and loaded.config == model.config and not loaded.training
    for (k, a), (k2, b) in zip(model.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert k == k2 and torch.equal(a, b)
    x = torch.rand(2, 3, 72, 128) * 2 - 1
    with torch.inference_mode():
        assert torch.equal(model(x, (720, 1280)), loaded(x, (720, 1280)))
    assert read_upsampler_metadata(path) == (model.config, record)


def test_missing_and_corrupt_files_refused(tmp_path: Path) -> None:
    with pytest.raises(UpsamplerError, match="no upsampler at"):
        load_upsampler(tmp_path / "nowhere")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "upsampler.safetensors").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(UpsamplerError, match="not a readable safetensors file"):
        load_upsampler(bad)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    save_file({"w": torch.zeros(2)}, str(foreign / "upsampler.safetensors"), metadata={"format": "other"})
    with pytest.raises(UpsamplerError, match="not a phonofilm upsampler"):
        load_upsampler(foreign)
    good = save_upsampler(_random_model(), {}, tmp_path / "trunc")
    data = good.read_bytes()
    good.write_bytes(data[: len(data) - 100])  # header intact, tensor bytes cut short
    with pytest.raises(UpsamplerError, match="trunc"):
        load_upsampler(tmp_path / "trunc")


def test_bicubic_delivery_matches_the_old_resize_loop() -> None:
    torch.manual_seed(1)
    frames = torch.rand(3, 20, 72, 128) * 2.4 - 1.2  # out of range on purpose: clamped like _deliver did
    video, name = upsample_to(frames, 320, 180)
    assert name == "bicubic resize" and video.dtype == np.uint8 and video.shape == (20, 180, 320, 3)
    big = F.interpolate(frames.clamp(-1, 1).transpose(0, 1), size=(180, 320), mode="bicubic", align_corners=False)
    ref = ((big.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    assert np.array_equal(video, ref)
