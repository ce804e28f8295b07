"""Distribution metrics: Fréchet distances between a generated set and a world set (our FVD / FAD analogue).

Each clip becomes one feature vector (`phonofilm.eval.features`); each set becomes a Gaussian (mean,
covariance); the distance between two Gaussians is the Fréchet (2-Wasserstein) distance
    |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)).
The features are built on comparable scales (square roots of shares, logs of magnitudes; see
`phonofilm.eval.features`), so the distance is taken on them directly, with no data-dependent scaling.
`standardised_frechet` (z-scored by a reference set) is kept for feature sets without that care. Ideal: the distance between two independent world sets of the
same size (reported beside it as the floor); larger is worse.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import linalg

from phonofilm.eval.features import audio_features, video_features
from phonofilm.world.clip import Clip

STD_FLOOR = 1e-3  # dimensions that do not vary in the reference set must not blow up when standardised


def fit_gaussian(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean [D] and covariance [D, D] of features [N, D] (N ≥ 2)."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"need a [N, D] feature matrix with N >= 2 clips, got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(features.shape[1], -1)


def frechet_distance(mu_a: np.ndarray, cov_a: np.ndarray, mu_b: np.ndarray, cov_b: np.ndarray) -> float:
    """Fréchet distance between N(mu_a, cov_a) and N(mu_b, cov_b); 0 for identical Gaussians."""
    diff = mu_a - mu_b
    covmean = linalg.sqrtm(cov_a @ cov_b)
    if not np.isfinite(covmean).all():
        # Near-singular products (few clips, many dimensions): regularise both sides, as FID does.
        eps = np.eye(len(mu_a)) * 1e-6
        covmean = linalg.sqrtm((cov_a + eps) @ (cov_b + eps))
    covmean = np.real(covmean)
    value = diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(covmean)
    return float(max(value, 0.0))


def standardised_frechet(generated: np.ndarray, reference: np.ndarray) -> float:
    """Fréchet distance after z-scoring both feature sets [N, D] by the reference set's spread."""
    reference = np.asarray(reference, dtype=np.float64)
    generated = np.asarray(generated, dtype=np.float64)
    mean = reference.mean(axis=0)
    std = np.maximum(reference.std(axis=0), 0.1 * np.abs(mean) + STD_FLOOR)
    gen = (generated - mean) / std
    ref = (reference - mean) / std
    return frechet_distance(*fit_gaussian(gen), *fit_gaussian(ref))


def frechet_video_distance(generated: Sequence[Clip], reference: Sequence[Clip]) -> float:
    """FVD analogue on the shipped video features. Ideal: the world-vs-world floor; larger is worse."""
    return frechet_distance(*fit_gaussian(_stack(video_features, generated)), *fit_gaussian(_stack(video_features, reference)))


def frechet_audio_distance(generated: Sequence[Clip], reference: Sequence[Clip]) -> float:
    """FAD analogue on the shipped audio features. Ideal: the world-vs-world floor; larger is worse."""
    return frechet_distance(*fit_gaussian(_stack(audio_features, generated)), *fit_gaussian(_stack(audio_features, reference)))


def _stack(extract, clips: Sequence[Clip]) -> np.ndarray:
    if len(clips) < 2:
        raise ValueError(f"a Fréchet distance needs at least 2 clips per set, got {len(clips)}")
    return np.stack([extract(c) for c in clips])
