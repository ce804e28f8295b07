"""`python -m phonofilm.train.decoders`: fine-tunes the decoding parts of a trained system, keeps the rest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from phonofilm.models.system import load_system
from phonofilm.train import decoders as tune
from phonofilm.train.autoencoders import motion_map

SMALL = {"steps": 3, "minutes": None, "audio_batch": 2, "crop_frames": 64, "scene_seconds": 1.0, "scenes": 1,
         "video_batch": 1, "video_frames": 5, "sizes": ((32, 24),), "size_weights": (1.0,), "lr": 1e-3, "warmup": 1,
         "eval_clips": 1, "eval_seconds": 0.5}


def _changed(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return not all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("parts", [("vocoder",), ("audio_decoder",), ("video_decoder",), tune.PARTS])
def test_only_the_named_decoders_change_and_the_run_is_recorded(tmp_path: Path, tiny_checkpoint: Path,
                                                                 parts: tuple[str, ...]) -> None:
    run = tune.tune_decoders(tiny_checkpoint, tmp_path / "out", tune.DecoderTuneConfig(parts=parts, **SMALL),
                             log=lambda _: None)
    before, _ = load_system(tiny_checkpoint)
    after, record = load_system(tmp_path / "out")
    assert _changed(before.vocoder, after.vocoder) == ("vocoder" in parts)
    assert _changed(before.video_vae.decoder, after.video_vae.decoder) == ("video_decoder" in parts)
    assert _changed(before.audio_vae.decoder, after.audio_vae.decoder) == ("audio_decoder" in parts)
    # the latent space stays put: both encoders and the transformer are untouched
    for module in (before.video_vae.encoder, before.audio_vae.encoder, before.transformer):
        twin = after.get_submodule(next(n for n, m in before.named_modules() if m is module))
        assert not _changed(module, twin)
    assert set(record["decoders"]) == set(parts) and run["steps"] == 3
    assert ("video_moving_psnr" in run["held_out"]) == ("video_decoder" in parts)
    sound = bool({"vocoder", "audio_decoder"} & set(parts))
    assert ("griffin_lim_mel_l1" in run["held_out"]) == sound
    heard = {"vocoder_speech", "vae_vocoder_voiced", "vae_vocoder_voice_similarity"}
    assert (heard <= set(run["held_out"])) == sound and (not sound) == (not any("speech" in k for k in run["held_out"]))
    # a tune is recorded in `decoders`; the training run it started from is still the record's own
    assert record["train_config"] == "fixture" and record.get("history", []) == []


def test_sound_alone_is_the_clips_sound_and_crops_are_cut_from_it() -> None:
    from phonofilm.world.make import make_clip
    from phonofilm.world.sampler import sample_scene

    clip = make_clip(sample_scene(5, duration=1.0), 32, 24)
    assert (tune.render_sound(5, 1.0) == clip.audio).all()  # no picture drawn, same sound
    cfg = tune.DecoderTuneConfig(audio_batch=4, scenes=2, crop_frames=32, scene_seconds=1.0)
    crops = tune.crop_batch(cfg, 125, np.random.default_rng(0))
    assert crops.shape == (4, 2, 32 * 125) and crops.abs().sum() > 0


def test_motion_weighting_marks_what_moves() -> None:
    x = -torch.ones(1, 3, 5, 8, 8)
    x[:, :, 2, 3, 3] = 1.0  # one pixel lights up in frame 2 only
    m = motion_map(x)[0, 0]
    assert m[1, 3, 3] == m[2, 3, 3] == m[3, 3, 3] == 1 and m[0].sum() == m[4].sum() == 0 and m[:, 0, 0].sum() == 0


def test_bad_settings_are_refused(tmp_path: Path, tiny_checkpoint: Path) -> None:
    with pytest.raises(ValueError, match="multiple of 4"):
        tune.DecoderTuneConfig(crop_frames=30)
    with pytest.raises(ValueError, match="subset of"):
        tune.DecoderTuneConfig(parts=("transformer",))
    with pytest.raises(SystemExit):
        tune.main(["--init", str(tiny_checkpoint), "--out", str(tiny_checkpoint)])
    assert tune.main(["--init", str(tmp_path / "nothing"), "--out", str(tmp_path / "o"), "--max-steps", "1"]) == 2
    assert tune.main(["--init", str(tiny_checkpoint), "--out", str(tmp_path / "o"), "--parts", "vae"]) == 2


def test_motion_weighting_counts_errors_on_moving_pixels_more() -> None:
    from phonofilm.train.autoencoders import VAELossConfig, reconstruction_loss

    x = -torch.ones(1, 3, 5, 8, 8)
    x[:, :, 2, 3, 3] = 1.0  # a pixel that flashes
    still, moving = x.clone(), x.clone()
    still[:, :, :, 6, 6] += 0.5  # the same error on a still pixel ...
    moving[:, :, 2, 3, 3] -= 0.5  # ... and on the moving one
    plain, weighted = VAELossConfig(), VAELossConfig(motion_weight=4.0)
    assert reconstruction_loss(still, x, plain)["l1"] > reconstruction_loss(moving, x, plain)["l1"]  # 5 frames vs 1
    assert reconstruction_loss(moving, x, weighted)["l1"] > reconstruction_loss(moving, x, plain)["l1"]
    assert "edge" in reconstruction_loss(moving, x, VAELossConfig(edge_weight=0.5))
    assert "edge" not in reconstruction_loss(moving, x, plain)


def test_spectral_edge_loss_penalises_blurred_harmonics_not_a_level_offset() -> None:
    from phonofilm.train.autoencoders import VAELossConfig, reconstruction_loss

    mel = torch.full((1, 2, 16, 12), -4.0)  # log-mel [B, C, M, F]
    mel[:, :, 2::4] = 0.0  # harmonics: every 4th bin stands out
    blurred = mel.clone()
    blurred[:, :, 1:-1] = (mel[:, :, :-2] + mel[:, :, 1:-1] + mel[:, :, 2:]) / 3  # smeared along frequency
    offset = mel + (blurred - mel).abs().mean()  # the same L1 error as a level shift: harmonics intact
    cfg = VAELossConfig(edge_weight=1.0)
    smeared, shifted = reconstruction_loss(blurred, mel, cfg), reconstruction_loss(offset, mel, cfg)
    assert torch.isclose(smeared["l1"], shifted["l1"])
    assert shifted["edge"] < 1e-6 < smeared["edge"]
    assert smeared["loss"] > shifted["loss"] + 0.5 * smeared["edge"]


def test_two_decoder_tunes_from_one_checkpoint_merge(tmp_path: Path, tiny_checkpoint: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
    import merge_modules

    for part in ("vocoder", "audio_decoder", "video_decoder"):
        tune.tune_decoders(tiny_checkpoint, tmp_path / part, tune.DecoderTuneConfig(parts=(part,), **SMALL),
                           log=lambda _: None)
    merge_modules.merge(tmp_path / "video_decoder", tmp_path / "both",
                        {"vocoder": tmp_path / "vocoder", "audio_vae": tmp_path / "audio_decoder"})
    base, _ = load_system(tiny_checkpoint)
    voc, _ = load_system(tmp_path / "vocoder")
    both, record = load_system(tmp_path / "both")
    assert not _changed(voc.vocoder, both.vocoder) and _changed(base.vocoder, both.vocoder)
    assert _changed(base.video_vae.decoder, both.video_vae.decoder) and not _changed(base.transformer, both.transformer)
    assert set(record["decoders"]) == set(tune.PARTS) and record["merged_from"]["vocoder"] == str(tmp_path / "vocoder")
    from phonofilm.models.system import System, save_system, system_preset

    save_system(tmp_path / "small", System(system_preset("small")), {})  # another vocoder size
    with pytest.raises(ValueError, match="another config"):
        merge_modules.merge(tmp_path / "both", tmp_path / "bad", {"vocoder": tmp_path / "small"})


def test_audio_edge_weight_reaches_the_audio_vae_step_only() -> None:
    import copy

    from phonofilm.models.system import System, system_preset
    from phonofilm.train.steps import AutoencoderModels, autoencoder_step

    torch.manual_seed(0)
    base = System(system_preset("tiny"))
    batch = {"video": torch.randint(0, 256, (1, 5, 24, 32, 3), dtype=torch.uint8),
             "audio": 0.1 * torch.randn(1, 2, 5 * 1000)}

    def one_step(audio_edge_weight: float) -> System:
        s = copy.deepcopy(base)
        models = AutoencoderModels(s.video_vae, s.audio_vae, s.vocoder)
        opts = {n: torch.optim.SGD(getattr(s, n).parameters(), lr=0.1) for n in ("video_vae", "audio_vae", "vocoder")}
        autoencoder_step(models, s.audio_vae.logmel, opts, batch, torch.Generator().manual_seed(0), 1e9,
                         torch.device("cpu"), audio_edge_weight=audio_edge_weight)
        return s

    plain, edged = one_step(0.0), one_step(1.0)
    assert _changed(plain.audio_vae, edged.audio_vae)
    assert not _changed(plain.video_vae, edged.video_vae)
    assert not _changed(plain.vocoder, edged.vocoder)
