"""diffusion/noise.py: starting noise shared by the latent frames of a shot, and nothing shared across a cut."""

from __future__ import annotations

import pytest
import torch

from phonofilm.diffusion.noise import low_band, shot_correlated, shot_correlated_batch


def _frame_correlation(x: torch.Tensor, a: int, b: int) -> float:
    u, v = x[:, :, a].flatten(), x[:, :, b].flatten()
    return float(torch.corrcoef(torch.stack([u, v]))[0, 1])


def test_frames_of_a_shot_correlate_by_rho_and_stay_standard_normal() -> None:
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(4, 16, 8, 24, 24, generator=g)
    out = shot_correlated(noise, 0.6, cuts=[5], generator=g)
    assert abs(float(out.std()) - 1.0) < 0.02 and abs(float(out.mean())) < 0.02
    assert abs(_frame_correlation(out, 0, 4) - 0.6) < 0.03  # same shot
    assert abs(_frame_correlation(out, 5, 7) - 0.6) < 0.03  # same (second) shot
    assert abs(_frame_correlation(out, 4, 5)) < 0.03  # across the cut: a new shared part
    assert abs(_frame_correlation(noise, 0, 4)) < 0.03  # the input was independent


def test_zero_leaves_the_noise_alone_and_draws_nothing() -> None:
    g = torch.Generator().manual_seed(1)
    noise = torch.randn(1, 2, 5, 3, 3)
    state = g.get_state()
    assert shot_correlated(noise, 0.0, [2], g) is noise
    assert torch.equal(g.get_state(), state)


def test_same_generator_state_same_noise_and_cuts_outside_the_clip_are_ignored() -> None:
    noise = torch.randn(1, 2, 6, 3, 3)
    a = shot_correlated(noise, 0.5, [0, 3, 9], torch.Generator().manual_seed(2))
    b = shot_correlated(noise, 0.5, [3], torch.Generator().manual_seed(2))
    assert torch.equal(a, b)
    assert not torch.equal(a, shot_correlated(noise, 0.5, [3], torch.Generator().manual_seed(3)))


def test_a_shot_holding_a_clean_latent_keeps_its_own_noise() -> None:
    """Anchored at latent 1 (shot 0 of a cut at 4): shot 0 is the input's noise, untouched; shot 1 shares as
    it would have without the anchor, so which shots are anchored does not change the others' noise."""
    noise = torch.randn(2, 16, 8, 24, 24, generator=torch.Generator().manual_seed(6))
    out = shot_correlated(noise, 0.8, [4], torch.Generator().manual_seed(7), anchored=[1])
    free = shot_correlated(noise, 0.8, [4], torch.Generator().manual_seed(7))
    assert torch.equal(out[:, :, :4], noise[:, :, :4])
    assert torch.equal(out[:, :, 4:], free[:, :, 4:]) and abs(_frame_correlation(out, 4, 7) - 0.8) < 0.05
    banded = shot_correlated(noise, 0.8, [4], torch.Generator().manual_seed(7), cutoff=0.5, anchored=[0, 9])
    assert torch.equal(banded[:, :, :4], noise[:, :, :4]) and not torch.equal(banded[:, :, 4:], noise[:, :, 4:])


@pytest.mark.parametrize("rho", [-0.1, 1.0, float("nan")])
def test_a_correlation_outside_zero_to_one_is_refused(rho: float) -> None:
    with pytest.raises(ValueError, match=r"noise correlation must be in \[0, 1\)"):
        shot_correlated(torch.zeros(1, 1, 2, 1, 1), rho)


def test_each_sample_of_a_batch_shares_noise_within_its_own_shots() -> None:
    g = torch.Generator().manual_seed(4)
    noise = torch.randn(2, 16, 6, 24, 24, generator=g)
    cuts = torch.zeros(2, 6, dtype=torch.bool)
    cuts[1, 3] = True  # sample 0: one shot; sample 1: a cut at latent frame 3
    out = shot_correlated_batch(noise, 0.8, cuts, g)
    assert abs(_frame_correlation(out[:1], 2, 3) - 0.8) < 0.05
    assert abs(_frame_correlation(out[1:], 2, 3)) < 0.05 and abs(_frame_correlation(out[1:], 3, 5) - 0.8) < 0.05
    assert shot_correlated_batch(noise, 0.0, cuts) is noise
    with pytest.raises(ValueError, match="cuts and anchored must be"):
        shot_correlated_batch(noise, 0.8, cuts[:, :5])
    anchored = torch.zeros(2, 6, dtype=torch.bool)
    anchored[1, 0] = True  # sample 1 is given its first latent clean: its first shot keeps its own noise
    out = shot_correlated_batch(noise, 0.8, cuts, torch.Generator().manual_seed(5), anchored=anchored)
    free = shot_correlated_batch(noise, 0.8, cuts, torch.Generator().manual_seed(5))
    assert torch.equal(out[1, :, :3], noise[1, :, :3]) and torch.equal(out[1, :, 3:], free[1, :, 3:])
    assert torch.equal(out[0], free[0])
    with pytest.raises(ValueError, match="cuts and anchored must be"):
        shot_correlated_batch(noise, 0.8, cuts, anchored=anchored[:, :5])


def test_the_low_band_is_an_orthogonal_projection() -> None:
    g = torch.Generator().manual_seed(5)
    x, y = torch.randn(2, 3, 4, 9, 16, generator=g)  # an odd and an even side, as on the 128×72 canvas
    low = low_band(x, 0.25)
    assert torch.allclose(low_band(low, 0.25), low, atol=1e-5)  # P² = P
    assert abs(float((low * y).sum() - (x * low_band(y, 0.25)).sum())) < 1e-3  # Pᵀ = P
    assert torch.allclose(low_band(x, 1.0), x, atol=1e-5)  # the whole band is the identity
    # the 3 × 3 lowest frequencies (0 and ±1 cycle down, 0..2 cycles across): 15 of 144 dimensions
    assert 0.05 < float(low.pow(2).mean() / x.pow(2).mean()) < 0.16
    smooth = torch.linspace(-1, 1, 16).expand(9, 16).cos()  # slow across, constant down: kept whole
    assert torch.allclose(low_band(smooth, 0.25), smooth, atol=0.05)


def test_a_band_shares_only_its_low_frequencies_and_keeps_the_noise_standard_normal() -> None:
    g = torch.Generator().manual_seed(6)
    noise = torch.randn(8, 16, 6, 9, 16, generator=g)
    out = shot_correlated(noise, 0.8, cuts=[3], generator=g, cutoff=0.25)
    assert abs(float(out.std()) - 1.0) < 0.02
    low = low_band(out, 0.25)
    high = out - low
    assert abs(_frame_correlation(low, 0, 2) - 0.8) < 0.05  # the shot's low band is shared ...
    assert abs(_frame_correlation(low, 2, 3)) < 0.05  # ... not across the cut ...
    assert abs(_frame_correlation(high, 0, 2)) < 0.03  # ... and above the band nothing is
    assert torch.allclose(high, noise - low_band(noise, 0.25), atol=1e-5)  # the high band is the input's own
    whole = shot_correlated(noise, 0.8, [3], torch.Generator().manual_seed(7), cutoff=1.0)
    assert torch.equal(whole, shot_correlated(noise, 0.8, [3], torch.Generator().manual_seed(7)))


@pytest.mark.parametrize("cutoff", [0.0, -0.5, 1.5, float("nan")])
def test_a_cutoff_outside_the_band_is_refused(cutoff: float) -> None:
    with pytest.raises(ValueError, match=r"cutoff must be a fraction of the Nyquist frequency in \(0, 1\]"):
        shot_correlated(torch.zeros(1, 1, 2, 1, 1), 0.5, cutoff=cutoff)
