"""Image-to-video: how faithfully the first frame of a clip reproduces the image it was given, and
whether the clip goes on from it.

PSNR in dB (ideal: ∞; the exact first frame after an H.264 round trip at crf 20 gives ≈ 33 dB at 128×72;
fails below 25) and SSIM (ideal 1; fails below 0.80), both on the image resized to the clip's frame size.
`continuation_jump`: the change from frame 0 to frame 1 over the clip's typical frame-to-frame change
(mean absolute difference, grey levels; median over the rest of the clip, floored at 1 level): a clip
that continues the given image plausibly has no cut after it. Ideal ≈ 1; fails above 3.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy.ndimage import gaussian_filter

from phonofilm.eval.target import Target
from phonofilm.world.clip import Clip

PSNR_CAP = 100.0  # identical images: report a finite number so tables and means stay usable
_C1, _C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2


def resize_image(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """uint8 [H, W, 3] → float64 [height, width, 3] (area average down, bilinear up)."""
    if image.shape[:2] == (height, width):
        return image.astype(np.float64)
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float()  # 1 c h w
    down = height < image.shape[0] and width < image.shape[1]
    y = F.interpolate(x, size=(height, width), mode="area" if down else "bilinear",
                      align_corners=None if down else False)
    return y[0].permute(1, 2, 0).clamp(0, 255).double().numpy()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio (dB) of two images in 0..255, capped at PSNR_CAP."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return PSNR_CAP if mse <= 0 else min(PSNR_CAP, 10.0 * np.log10(255.0**2 / mse))


def ssim(a: np.ndarray, b: np.ndarray, sigma: float = 1.5) -> float:
    """Structural similarity (Wang et al. 2004, Gaussian window σ=1.5) averaged over RGB channels."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    blur = lambda x: gaussian_filter(x, sigma=(sigma, sigma, 0), truncate=3.5)  # noqa: E731
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + _C1) * (2 * cov + _C2)
    den = (mu_a**2 + mu_b**2 + _C1) * (var_a + var_b + _C2)
    return float(np.mean(num / den))


def _pair(clip: Clip, target: Target) -> tuple[np.ndarray, np.ndarray]:
    if target.image is None:
        raise ValueError("image-to-video metrics need target.image (the given first frame)")
    width, height = clip.size
    return clip.frames[0].astype(np.float64), resize_image(target.image, width, height)


def first_frame_psnr(clip: Clip, target: Target, analysis: object = None) -> float:
    """PSNR (dB) of the clip's first frame against the given image. Ideal ∞ (≈ 33 dB after mp4); fails < 25 dB."""
    return psnr(*_pair(clip, target))


def first_frame_ssim(clip: Clip, target: Target, analysis: object = None) -> float:
    """SSIM of the clip's first frame against the given image. Ideal 1; fails < 0.80."""
    return ssim(*_pair(clip, target))


def continuation_jump(clip: Clip, target: Target | None = None, analysis: object = None) -> float:
    """Frame 0 → 1 change over the median later frame-to-frame change. Ideal ≈ 1; fails above 3."""
    if len(clip.frames) < 3:
        return float("nan")
    grey = clip.frames.astype(np.float32).mean(axis=-1)  # [T, H, W]
    steps = np.abs(np.diff(grey, axis=0)).mean(axis=(1, 2))  # [T - 1]
    return float(steps[0] / max(float(np.median(steps[1:])), 1.0))
