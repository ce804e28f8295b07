"""Rectified flow: noising, its velocity, timestep sampling and shift, dropout, masked loss."""

from __future__ import annotations

import math

import pytest
import torch

from phonofilm.diffusion.flow import (
    change_weights,
    condition_dropout,
    flow_loss,
    get_schedule,
    masked_mse,
    noise_latents,
    sample_timesteps,
    shift_timesteps,
    timestep_shift,
    velocity_target,
)


def _pair(shape=(2, 16, 5, 4, 6), seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g), torch.randn(shape, generator=g)


def test_noising_ends_are_data_and_noise() -> None:
    x0, eps = _pair()
    assert torch.equal(noise_latents(x0, eps, torch.zeros(2)), x0)
    assert torch.equal(noise_latents(x0, eps, torch.ones(2)), eps)
    mid = noise_latents(x0, eps, torch.tensor([0.25, 0.75]))
    assert torch.allclose(mid[1], 0.25 * x0[1] + 0.75 * eps[1])


def test_velocity_is_the_time_derivative_of_the_path() -> None:
    x0, eps = _pair((3, 16, 40))
    t, h = torch.full((3,), 0.4, dtype=torch.float64), 1e-6
    x0, eps = x0.double(), eps.double()
    numeric = (noise_latents(x0, eps, t + h) - noise_latents(x0, eps, t - h)) / (2 * h)
    assert torch.allclose(numeric, velocity_target(x0, eps), atol=1e-6)


def test_conditioning_frames_stay_clean() -> None:
    x0, eps = _pair()
    cond = torch.zeros(2, 5, dtype=torch.bool)
    cond[:, 0] = True
    xt = noise_latents(x0, eps, torch.ones(2), cond)
    assert torch.equal(xt[:, :, 0], x0[:, :, 0]) and torch.equal(xt[:, :, 1:], eps[:, :, 1:])
    audio0, audio_eps = _pair((2, 16, 32))
    audio_cond = torch.arange(32)[None].expand(2, -1) < 8
    xa = noise_latents(audio0, audio_eps, torch.ones(2), audio_cond)
    assert torch.equal(xa[..., :8], audio0[..., :8]) and torch.equal(xa[..., 8:], audio_eps[..., 8:])


def test_timesteps_are_logit_normal_and_seeded() -> None:
    t = sample_timesteps(20_000, torch.Generator().manual_seed(3))
    assert ((t > 0) & (t < 1)).all()
    logit = torch.log(t / (1 - t))
    assert abs(logit.mean().item()) < 0.05 and abs(logit.std().item() - 1) < 0.05
    assert torch.equal(t, sample_timesteps(20_000, torch.Generator().manual_seed(3)))
    shifted = sample_timesteps(20_000, torch.Generator().manual_seed(3), num_tokens=4096)
    assert (shifted >= t).all() and shifted.mean() > t.mean() + 0.1


def test_shift_grows_with_tokens_and_keeps_the_ends() -> None:
    assert timestep_shift(256) == pytest.approx(math.exp(0.5))
    assert timestep_shift(4096) == pytest.approx(math.exp(1.15))
    assert timestep_shift(128) < timestep_shift(808) < timestep_shift(20_000)
    ends = shift_timesteps(torch.tensor([0.0, 1.0]), 3.0)
    assert torch.equal(ends, torch.tensor([0.0, 1.0]))


def test_schedule_runs_from_noise_to_data() -> None:
    plain, shifted = get_schedule(10), get_schedule(10, num_tokens=808)
    for s in (plain, shifted):
        assert s.shape == (11,) and s[0] == 1 and s[-1] == 0 and (s[1:] < s[:-1]).all()
    assert (shifted[1:-1] > plain[1:-1]).all()  # more time spent at high noise
    assert torch.equal(get_schedule(10, num_tokens=808, shift=False), plain)
    with pytest.raises(ValueError, match="steps"):
        get_schedule(0)


def test_condition_dropout_rates() -> None:
    keep_text, keep_dialogue = condition_dropout(50_000, torch.Generator().manual_seed(0))
    both_dropped = (~keep_text & ~keep_dialogue).float().mean().item()
    assert abs(both_dropped - (0.1 + 0.9 * 0.05 * 0.05)) < 0.01
    assert abs((~keep_text).float().mean().item() - (0.1 + 0.9 * 0.05)) < 0.01
    assert not (keep_text & keep_dialogue).all()
    never = condition_dropout(100, torch.Generator().manual_seed(0), p_all=0, p_text=0, p_dialogue=0)
    assert never[0].all() and never[1].all()


def test_loss_ignores_conditioning_frames_and_weights_streams() -> None:
    x0, eps = _pair()
    target = velocity_target(x0, eps)
    pred = target.clone()
    pred[:, :, 0] += 5.0  # wrong only on the clean first frame
    cond = torch.zeros(2, 5, dtype=torch.bool)
    cond[:, 0] = True
    assert masked_mse(pred, target, ~cond) == 0
    assert masked_mse(pred, target) == pytest.approx(25.0 / 5)
    a_target = torch.zeros(2, 16, 12)
    total, parts = flow_loss(
        {"video": pred, "audio": a_target + 1},
        {"video": target, "audio": a_target},
        cond_masks={"video": cond, "audio": None},
        weights={"audio": 0.5},
    )
    assert parts["video"] == 0 and parts["audio"] == pytest.approx(1.0) and total == pytest.approx(0.5)


def test_change_weights_emphasise_what_moves_and_keep_the_loss_scale() -> None:
    z = torch.zeros(2, 4, 6, 3, 3)  # video latents [B, C, T, H, W]: still, except one position that jumps
    z[0, :, 3:, 1, 2] = 1.0  # sample 0 changes between frames 2 and 3 at (1, 2)
    w = change_weights(z, strength=3.0)
    assert w.shape == (2, 1, 6, 3, 3)
    assert torch.allclose(w.mean((1, 2, 3, 4)), torch.ones(2))  # mean 1 per sample: only the emphasis moves
    assert w[0, 0, 2, 1, 2] == w[0, 0, 3, 1, 2] == w[0].max() > 1  # both frames of the change
    assert w[0, 0, 0, 1, 2] < w[0, 0, 2, 1, 2] and w[0, 0, 2, 0, 0] < 1
    assert torch.allclose(w[1], torch.ones_like(w[1]))  # nothing changes: every position alike
    assert torch.equal(change_weights(z, 0.0), torch.ones_like(z[:, :1]))
    audio = torch.zeros(1, 8, 10)  # audio latents [B, C, T]: an onset at 6
    audio[..., 6:] = 2.0
    wa = change_weights(audio, 2.0)
    assert wa.shape == (1, 1, 10) and int(wa[0, 0].argmax()) in (5, 6)


def test_position_weights_scale_each_positions_error() -> None:
    target = torch.zeros(1, 2, 4)
    pred = target.clone()
    pred[..., 1] = 1.0  # the only error, on time step 1
    w = torch.tensor([1.0, 3.0, 1.0, 1.0]).view(1, 1, 4)
    assert masked_mse(pred, target) == pytest.approx(0.25)
    assert masked_mse(pred, target, weights=w) == pytest.approx(3.0 / 6.0)
    keep = torch.tensor([[True, False, True, True]])  # a clean (conditioning) position drops out, weighted or not
    assert masked_mse(pred, target, keep, weights=w) == 0
    _, parts = flow_loss({"audio": pred}, {"audio": target}, position_weights={"audio": w})
    assert parts["audio"] == pytest.approx(0.5)
