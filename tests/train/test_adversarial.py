"""`train.adversarial`: the discriminators tell voiced sound from a smear, and only the generator learns
from their verdict; the decoder tune wires them in when asked."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from tests.train.test_decoders_tune import SMALL

from phonofilm.models.mel import LogMel, MelConfig
from phonofilm.models.vocoder import Vocoder, VocoderConfig
from phonofilm.train import decoders as tune
from phonofilm.train.adversarial import Adversary, MelDiscriminator, PeriodDiscriminator, WaveDiscriminator
from phonofilm.train.autoencoders import train_vocoder_step


def _voices(n: int, samples: int, gen: torch.Generator) -> torch.Tensor:
    """Harmonic tones (100–250 Hz, 5 partials) at 16 kHz: the periodic kind of wave."""
    t = torch.arange(samples) / 16000
    f0 = 100 + 150 * torch.rand(n, 1, generator=gen)
    phase = 2 * math.pi * torch.rand(n, 1, generator=gen)
    return 0.1 * sum(torch.sin(2 * math.pi * k * f0 * t + k * phase) / k for k in range(1, 6))


def _smears(n: int, samples: int, gen: torch.Generator) -> torch.Tensor:
    """Noise with the tones' level: the same energy, no period."""
    return 0.1 * torch.randn(n, samples, generator=gen)


def test_discriminators_judge_every_shape_they_get() -> None:
    for s in (1000, 1001, 1003):  # not a multiple of the period: the fold pads
        logits, feats = WaveDiscriminator(width=16)(torch.randn(2, s))
        assert len(logits) == 5 and len(feats) == 25 and all(x.shape[0] == 2 for x in logits)
    logits, feats = PeriodDiscriminator(7, width=16)(torch.randn(3, 700))
    assert logits[0].shape[-1] == 7 and len(feats) == 5
    logits, feats = MelDiscriminator(channels=2, width=16)(torch.randn(2, 2, 64, 32))
    assert logits[0].shape == (2, 1, 8, 32) and len(feats) == 4


def test_the_wave_discriminator_learns_to_hear_a_period() -> None:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    adversary = Adversary(WaveDiscriminator(width=16), weight=1.0, fm_weight=1.0, lr=1e-3)
    for _ in range(60):
        adversary.step(_voices(4, 2000, gen), _smears(4, 2000, gen))
    real, fake = _score(adversary, _voices(8, 2000, gen)), _score(adversary, _smears(8, 2000, gen))
    assert real.min() > fake.max()  # held-out tones and noises, every one on its side


def _score(adversary: Adversary, wave: torch.Tensor) -> torch.Tensor:
    """Each wave's mean logit over every period's patches."""
    with torch.no_grad():
        logits, _ = adversary.net(wave)
    return torch.stack([x.flatten(1).mean(1) for x in logits]).mean(0)


def test_only_the_generator_learns_from_the_verdict() -> None:
    gen = torch.Generator().manual_seed(1)
    adversary = Adversary(MelDiscriminator(channels=1, width=16), weight=0.5, fm_weight=2.0)
    fake = torch.randn(2, 1, 16, 12, requires_grad=True)
    term, logs = adversary.play(torch.randn(2, 1, 16, 12, generator=gen), fake)
    assert set(logs) == {"disc", "adv", "fm"} and logs["fm"] > 0
    assert torch.allclose(term, torch.tensor(0.5 * logs["adv"] + 2.0 * logs["fm"]), atol=1e-5)
    own = [p.grad.clone() for p in adversary.net.parameters()]  # from its own step
    term.backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    assert all(torch.equal(p.grad, g) for p, g in zip(adversary.net.parameters(), own, strict=True))  # none added
    assert all(p.requires_grad for p in adversary.net.parameters())  # and it can still learn
    with pytest.raises(ValueError, match="adversarial weight"):
        Adversary(MelDiscriminator(), weight=0.0, fm_weight=1.0)


def test_a_vocoder_step_with_an_adversary_differs_from_one_without() -> None:
    cfg = VocoderConfig(mel=MelConfig(), dim=32, intermediate=64, blocks=1)
    wave = _voices(2, 32 * cfg.mel.hop_length, torch.Generator().manual_seed(2))
    logmel = LogMel(cfg.mel)
    results = []
    for adversary in (None, Adversary(WaveDiscriminator(width=16), weight=1.0, fm_weight=1.0)):
        torch.manual_seed(0)
        voc = Vocoder(cfg)
        opt = torch.optim.AdamW(voc.parameters(), lr=1e-3)
        logs = train_vocoder_step(voc, logmel, opt, wave, adversary=adversary)
        results.append((voc.state_dict(), logs))
    (plain, plain_logs), (adv, adv_logs) = results
    assert "adv" not in plain_logs and {"adv", "fm", "disc"} <= set(adv_logs)
    assert adv_logs["loss"] > adv_logs["mel_l1"]  # the terms joined the loss the optimizer saw
    assert any(not torch.equal(plain[k], adv[k]) for k in plain)


def test_decoder_tune_plays_both_sound_adversaries(tmp_path: Path, tiny_checkpoint: Path) -> None:
    cfg = tune.DecoderTuneConfig(parts=("vocoder", "audio_decoder"), adversarial=0.1, feature_matching=1.0, **SMALL)
    run = tune.tune_decoders(tiny_checkpoint, tmp_path / "out", cfg, log=lambda _: None)
    for part in ("vocoder", "audio_decoder"):
        assert {"adv", "fm", "disc"} <= set(run["final"][part])
    assert run["decoder_tune"]["adversarial"] == 0.1
    plain = tune.tune_decoders(tiny_checkpoint, tmp_path / "plain",
                               tune.DecoderTuneConfig(parts=("vocoder",), **SMALL), log=lambda _: None)
    assert "adv" not in plain["final"]["vocoder"]
    with pytest.raises(ValueError, match="adversarial"):
        tune.DecoderTuneConfig(adversarial=-1.0)
    with pytest.raises(SystemExit):
        tune.main(["--init", str(tiny_checkpoint), "--out", str(tmp_path / "o"), "--adversarial", "-0.5"])
