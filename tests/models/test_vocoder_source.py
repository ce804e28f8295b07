"""The vocoder's harmonic source: a periodic wave at the head's F0, used only where the head hears a voice,
learned from the training wave's pitch, and added to a trained vocoder without changing how it sounds."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from tests.train.test_decoders_tune import SMALL

from phonofilm.eval.perception.audio import pitch_track
from phonofilm.models.mel import LogMel
from phonofilm.models.system import load_system
from phonofilm.models.vocoder import PRESETS, Vocoder, VocoderConfig, harmonic_source
from phonofilm.train import decoders as tune
from phonofilm.train.autoencoders import VocoderLossConfig, pitch_targets, train_vocoder_step

SR = 16000
TINY = dataclasses.replace(PRESETS["tiny"], harmonics=40)


def _glide(seconds: float = 1.5) -> tuple[torch.Tensor, np.ndarray]:
    """A voice-like tone (5 partials) whose pitch glides 110 → 220 Hz: (wave [1, S], F0 per sample)."""
    t = np.arange(int(seconds * SR)) / SR
    f0 = 110 * 2 ** (t / seconds)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    wave = 0.2 * sum(np.sin(k * phase) / k for k in range(1, 6))
    return torch.tensor(wave[None], dtype=torch.float32), f0


def _set_head(voc: Vocoder, hz: float, voicing: float) -> None:
    cfg = voc.config
    with torch.no_grad():
        voc.pitch.weight.zero_()
        voc.pitch.bias.copy_(torch.tensor([float(cfg.position_of(torch.tensor(hz))), voicing]))


def test_the_source_is_periodic_at_its_f0_and_stays_in_its_band() -> None:
    f0 = torch.full((1, 128), 150.0)
    wave = harmonic_source(f0, 125, SR, harmonics=80, band=4000.0)
    _, track = pitch_track(wave[0].numpy(), SR)
    assert np.median(np.abs(track[track > 0] - 150)) < 2 and (track > 0).mean() > 0.9
    spectrum = np.abs(np.fft.rfft(wave[0].numpy())) ** 2
    freqs = np.fft.rfftfreq(wave.shape[-1], 1 / SR)
    assert spectrum[freqs > 4100].sum() < 1e-6 * spectrum.sum()  # partials over the band left out
    assert len(np.flatnonzero(spectrum > 0.1 * spectrum.max())) == 26  # 150, 300, ..., 3900 Hz


def test_the_head_decides_where_the_source_sounds() -> None:
    torch.manual_seed(0)
    voc = Vocoder(TINY).eval()
    mel = LogMel(TINY.mel)(0.05 * torch.randn(1, 128 * 125))  # noise: nothing voiced in it
    plain = Vocoder(dataclasses.replace(TINY, harmonics=0))
    plain.load_state_dict(voc.state_dict(), strict=False)
    with torch.no_grad():
        _set_head(voc, 180.0, -30.0)  # unvoiced: exactly the plain vocoder
        assert torch.allclose(voc(mel), plain(mel), atol=1e-6)
        for hz in (95.0, 180.0, 310.0):  # voiced: the wave is heard at the head's F0
            _set_head(voc, hz, 30.0)
            _, track = pitch_track(voc(mel)[0].numpy(), SR)
            assert (track > 0).mean() > 0.8 and abs(np.median(track[track > 0]) - hz) < 0.02 * hz
    # the wave's losses never reach the head: only the pitch targets teach it (it cannot learn to hide)
    _set_head(voc, 180.0, 0.0)
    voc(mel).pow(2).mean().backward()
    assert voc.pitch.weight.grad is None or not voc.pitch.weight.grad.any()
    assert voc.blocks[0].fc1.weight.grad.abs().sum() > 0


def test_pitch_targets_follow_the_voice() -> None:
    wave, f0 = _glide()
    wave[:, : SR // 2] = 0.01 * torch.randn(1, SR // 2, generator=torch.Generator().manual_seed(0))
    voiced, position = pitch_targets(wave, TINY)
    frames = np.arange(voiced.shape[1]) * 125
    assert voiced.shape == (1, wave.shape[-1] // 125)
    assert not voiced[0, :56].any() and voiced[0, 72:].float().mean() > 0.95  # noise first, then the tone
    hz = TINY.f0_of(position[0, 72:]).numpy()
    assert np.median(np.abs(12 * np.log2(hz / f0[frames[72:]]))) < 0.3  # semitones


def _tone(hz: float, seconds: float) -> np.ndarray:
    phase = 2 * np.pi * hz * np.arange(int(seconds * SR)) / SR
    return 0.2 * sum(np.sin(k * phase) / k for k in range(1, 6))


def test_the_head_learns_pitch_and_voicing_from_the_wave() -> None:
    torch.manual_seed(0)
    voc, logmel = Vocoder(TINY), LogMel(TINY.mel)
    opt = torch.optim.AdamW(voc.parameters(), lr=1e-3)
    loss_cfg = VocoderLossConfig(pitch_weight=10.0)  # the tiny trunk learns reconstruction too: pitch first
    noise = 0.01 * np.random.default_rng(0).standard_normal(SR // 4)
    wave = torch.tensor(np.concatenate([noise, _tone(120, 0.75), _tone(240, 0.75)])[None], dtype=torch.float32)
    voiced, _ = pitch_targets(wave, TINY)
    first = train_vocoder_step(voc, logmel, opt, wave, loss_cfg)
    for _ in range(40):
        last = train_vocoder_step(voc, logmel, opt, wave, loss_cfg)
    assert last["voicing_bce"] < 0.1 * first["voicing_bce"]
    with torch.no_grad():
        _, pitch = voc.synthesize(logmel(wave))
    assert ((pitch.voicing > 0) == voiced).float().mean() > 0.9
    hz = voc.f0(pitch)[0].numpy()  # frames 32–128: the low tone, 128–224: the high one (edges left out)
    low, high = np.median(hz[45:115]), np.median(hz[140:210])
    assert 80 < low < 160 and high / low > 1.5  # an octave apart: it hears which is which (the start says 141 for all)


def test_a_trained_vocoder_gets_a_source_and_sounds_as_before(tmp_path: Path, tiny_checkpoint: Path) -> None:
    before, _ = load_system(tiny_checkpoint)
    cfg = tune.DecoderTuneConfig(parts=("vocoder",), harmonics=40, **{**SMALL, "steps": 1, "lr": 1e-9})
    run = tune.tune_decoders(tiny_checkpoint, tmp_path / "out", cfg, log=lambda _: None)
    after, _ = load_system(tmp_path / "out")
    assert after.vocoder.config.harmonics == 40 and hasattr(after.vocoder, "pitch")
    assert {"voicing_bce", "pitch_l1"} <= set(run["final"]["vocoder"])
    mel = before.audio_vae.logmel(_glide(0.5)[0])
    with torch.no_grad():
        old, new = before.vocoder(mel), after.vocoder(mel)
    assert (old - new).abs().max() < 0.1 * old.abs().max()  # voicing starts near 0: the plain vocoder's sound
    with pytest.raises(ValueError, match="needs 'vocoder'"):
        tune.DecoderTuneConfig(parts=("audio_decoder",), harmonics=40)
    with pytest.raises(ValueError, match="harmonic_band"):
        VocoderConfig(harmonics=10, f0_max=5000.0)
