"""The tools that carry work to a lent GPU machine: int8 packing of a checkpoint, the slimmed espeak wheel."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import devcarry_espeak
import devcarry_init

from phonofilm.models.checkpoint import load_checkpoint
from phonofilm.models.system import load_system


def test_packed_checkpoint_unpacks_close_where_int8_and_exact_elsewhere(tmp_path: Path,
                                                                         tiny_checkpoint: Path) -> None:
    devcarry_init.pack(tiny_checkpoint, tmp_path / "init", ("transformer", "video_vae"))
    out = devcarry_init.unpack(tmp_path / "init")
    load_system(out)  # a checkpoint like any other
    before, after = load_checkpoint(tiny_checkpoint), load_checkpoint(out)
    assert after.config == before.config and after.record["carried_int8"] == ["transformer", "video_vae"]
    for key, value in before.tensors.items():
        got = after.tensors[key].float()
        assert got.shape == value.shape, key
        if key.startswith(("audio_vae.", "vocoder.")) or value.ndim < 2:
            assert torch.equal(after.tensors[key], value), key  # travels exactly as stored
        else:
            rows = value.float().flatten(1)
            err = (got.flatten(1) - rows).abs().amax(1) / rows.abs().amax(1).clamp_min(1e-12)
            assert float(err.max()) <= 0.5 / 127 + 1e-3, key  # half a step of 127 per row, plus fp16
    assert any(not torch.equal(after.tensors[k].float(), v.float()) for k, v in before.tensors.items()
               if k.startswith("transformer.") and v.ndim >= 2)


def test_espeak_wheel_keeps_english_and_its_record(tmp_path: Path) -> None:
    wheel = tmp_path / "espeakng_loader-0-py3-none-any.whl"
    data = "espeakng_loader/espeak-ng-data/"
    files = {f"{data}en_dict": b"en", f"{data}ru_dict": b"ru" * 1000, f"{data}phontab": b"ph",
             "espeakng_loader/__init__.py": b""}
    record = "".join(f"{n},sha256=x,{len(b)}\n" for n, b in files.items()) + "espeakng_loader-0.dist-info/RECORD,,\n"
    with zipfile.ZipFile(wheel, "w") as z:
        for name, body in files.items():
            z.writestr(name, body)
        z.writestr("espeakng_loader-0.dist-info/RECORD", record)
    devcarry_espeak.slim(wheel)
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        listed = {line.split(",", 1)[0] for line in z.read("espeakng_loader-0.dist-info/RECORD").decode().splitlines()}
    assert f"{data}ru_dict" not in names and {f"{data}en_dict", f"{data}phontab"} <= names
    assert listed == names


@pytest.mark.parametrize("argv", [[], ["--out", "x"]])
def test_init_packer_asks_for_what_it_needs(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["devcarry_init.py", *argv])
    with pytest.raises(SystemExit):
        devcarry_init.main()


def test_a_video_vae_of_another_temporal_factor_moves_between_systems(
        tmp_path: Path, tiny_checkpoint: Path, tiny_checkpoint_2x: Path) -> None:
    """extract_module keeps a VAE on its own; merge_modules puts it into a 4× system whose time base then
    follows it, and says the transformer needs training; a VAE of another size is refused."""
    import extract_module
    import merge_modules

    from phonofilm.models.system import System, save_system, system_preset

    vae = extract_module.extract(tiny_checkpoint_2x, tmp_path / "vae-2x", ("video_vae",))
    assert {k.split(".", 1)[0] for k in load_checkpoint(vae).tensors} == {"video_vae"}
    merged = merge_modules.merge(tiny_checkpoint, tmp_path / "merged", {"video_vae": vae})
    system, record = load_system(merged)
    donor, base = load_checkpoint(tiny_checkpoint_2x), load_checkpoint(tiny_checkpoint)
    assert system.config.video_vae.temporal_factor == 2 and system.config.transformer.video_latent_rate == 8.0
    after = load_checkpoint(merged)
    assert after.config["video_vae"] == donor.config["video_vae"]  # latent statistics included
    assert all(torch.equal(after.tensors[k], v) for k, v in donor.tensors.items() if k.startswith("video_vae."))
    assert all(torch.equal(after.tensors[k], v) for k, v in base.tensors.items() if k.startswith("transformer."))
    assert "transformer" in record["needs_training"] and record["merged_from"]["video_vae"] == str(vae)
    from phonofilm.models.checkpoint import save_checkpoint

    trained = save_checkpoint(tmp_path / "trained-2x", {m: donor.state_dict(m) for m in ("video_vae", "transformer")},
                              donor.config, {"train_config": "trained-2x", "steps": {"transformer": 7}})
    both = extract_module.extract(trained, tmp_path / "both-2x", ("video_vae", "transformer"))
    _, record = load_system(merge_modules.merge(tiny_checkpoint, tmp_path / "whole",
                                                {"video_vae": both, "transformer": both}))
    assert "needs_training" not in record  # the transformer came with its video VAE's time base
    assert record["train_config"] == "trained-2x" and record["steps"] == {"transformer": 7}  # its record
    assert all(torch.equal(load_checkpoint(tmp_path / "whole").tensors[k], v) for k, v in donor.tensors.items()
               if k.startswith("transformer."))
    other = save_system(tmp_path / "small", System(system_preset("small", 2)), {})
    with pytest.raises(ValueError, match="more than its temporal factor"):
        merge_modules.merge(tiny_checkpoint, tmp_path / "bad", {"video_vae": other})
