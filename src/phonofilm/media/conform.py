"""Conform any clip to the model's grid: 16 fps, 16 kHz stereo, a given size and length in frames.

Used by training (your own mp4 files, world shards), by the pipeline (first frames, clips to remix or
extend, cameo recordings) and nowhere else; it sits below both so neither imports the other.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.signal import resample_poly
from torch.nn import functional as F

FPS = 16
SAMPLE_RATE = 16000
SAMPLES_PER_FRAME = SAMPLE_RATE // FPS


def conform(frames: np.ndarray, fps: float, audio: np.ndarray | None, sample_rate: int | None,
            width: int, height: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Resample to 16 fps / 16 kHz stereo, centre-crop to the aspect, resize, trim/pad to `length` frames.

    frames uint8 [T, H, W, 3] → (video uint8 [length, height, width, 3], audio float32 [2, length·1000]);
    a short clip holds its last frame and is padded with silence.
    """
    idx = np.minimum(np.round(np.arange(length) * fps / FPS).astype(int), len(frames) - 1)
    clip = torch.from_numpy(np.ascontiguousarray(frames[idx])).permute(0, 3, 1, 2).float()  # [T,3,H,W]
    H, W = clip.shape[-2:]
    if W * height > H * width:  # too wide: crop width
        cw = round(H * width / height)
        clip = clip[..., (W - cw) // 2 : (W - cw) // 2 + cw]
    else:
        ch = round(W * height / width)
        clip = clip[..., (H - ch) // 2 : (H - ch) // 2 + ch, :]
    clip = F.interpolate(clip, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
    video = clip.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
    n = length * SAMPLES_PER_FRAME
    if audio is None or sample_rate is None:
        wave = np.zeros((2, n), np.float32)
    else:
        wave = audio if sample_rate == SAMPLE_RATE else resample_poly(audio, SAMPLE_RATE, sample_rate, axis=-1)
        wave = np.repeat(wave, 2, axis=0) if wave.shape[0] == 1 else wave[:2]
        wave = np.pad(wave, ((0, 0), (0, max(0, n - wave.shape[1]))))[:, :n].astype(np.float32)
    return video, wave
