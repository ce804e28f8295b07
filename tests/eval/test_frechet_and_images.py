"""Fréchet distance and image fidelity on synthetic data with closed-form answers."""

from __future__ import annotations

import numpy as np

from phonofilm.eval.metrics.distribution import frechet_distance, standardised_frechet
from phonofilm.eval.metrics.i2v import PSNR_CAP, psnr, resize_image, ssim


def test_frechet_matches_closed_form_for_diagonal_gaussians() -> None:
    mu_a, mu_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    sd_a, sd_b = np.array([1.0, 2.0, 0.5]), np.array([2.0, 2.0, 1.5])
    got = frechet_distance(mu_a, np.diag(sd_a**2), mu_b, np.diag(sd_b**2))
    want = ((mu_a - mu_b) ** 2).sum() + ((sd_a - sd_b) ** 2).sum()
    assert abs(got - want) < 1e-9
    assert frechet_distance(mu_a, np.diag(sd_a**2), mu_a, np.diag(sd_a**2)) < 1e-9


def test_standardised_frechet_grows_with_shift_and_ignores_units() -> None:
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(400, 5)) * np.array([1, 10, 100, 0.1, 1])
    same = rng.normal(size=(400, 5)) * np.array([1, 10, 100, 0.1, 1])
    shifted = same + np.array([0.0, 0.0, 0.0, 0.1, 0.0])  # one standard deviation in one dimension
    base = standardised_frechet(same, ref)
    assert base < 0.2
    assert standardised_frechet(shifted, ref) > base + 0.7
    # Rescaling a feature in both sets changes nothing.
    scale = np.array([1, 1, 1, 1000, 1])
    assert abs(standardised_frechet(same * scale, ref * scale) - base) < 1e-6


def test_psnr_and_ssim_of_equal_noisy_and_unrelated_images() -> None:
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:72, 0:128]
    img = np.stack([xx * 2, yy * 3, (xx + yy) % 256], axis=-1).astype(np.uint8)
    noisy = np.clip(img + rng.normal(0, 5, img.shape), 0, 255)
    other = rng.integers(0, 256, img.shape)
    assert psnr(img, img) == PSNR_CAP and abs(ssim(img, img) - 1.0) < 1e-9
    assert 33 < psnr(img, noisy) < 36  # 20·log10(255/5) = 34.2 dB
    assert 0.6 < ssim(img, noisy) < 0.95  # smooth ramps: little local variance to hide noise
    assert psnr(img, other) < 12 and ssim(img, other) < 0.1


def test_resize_image_keeps_flat_colour_and_size() -> None:
    img = np.full((144, 256, 3), (10, 200, 30), np.uint8)
    small = resize_image(img, 128, 72)
    assert small.shape == (72, 128, 3)
    np.testing.assert_allclose(small, np.broadcast_to([10, 200, 30], small.shape), atol=1e-4)
    assert resize_image(img, 512, 288).shape == (288, 512, 3)
