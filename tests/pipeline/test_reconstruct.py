"""`Pipeline.reconstruct`: a clip through the autoencoders and delivery only (the ceiling eval's path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from phonofilm.eval.perception.video import detect_cuts
from phonofilm.pipeline.generate import default_checkpoint, load_generator
from phonofilm.train.recon_metrics import mel_distance, psnr
from phonofilm.world.clip import Clip
from phonofilm.world.make import make_clip_from_seed


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return psnr(torch.from_numpy(a).float() / 127.5, torch.from_numpy(b).float() / 127.5)


def test_the_shipped_autoencoders_give_the_clip_back_at_the_requested_size(tiny_checkpoint: Path) -> None:
    clip = make_clip_from_seed(2_000_000_123, 2.0, 256, 144)
    shipped, meta = load_generator(default_checkpoint()).reconstruct(clip, 256, 144)
    assert shipped.frames.shape == clip.frames.shape and shipped.audio.shape == clip.audio.shape
    assert meta["resized_from"] == "128x72" and meta["reconstruction"].startswith("video + audio autoencoders")
    canvas, _ = load_generator(default_checkpoint()).reconstruct(clip, 256, 144, parts=())
    assert _psnr(canvas.frames, clip.frames) > _psnr(shipped.frames, clip.frames)  # the VAE costs something
    reference = torch.from_numpy(clip.audio)
    assert mel_distance(torch.from_numpy(canvas.audio), reference, 16000) < 0.01  # no audio autoencoder: as given
    random, _ = load_generator(tiny_checkpoint).reconstruct(clip, 256, 144)
    # trained autoencoders bring the picture and the sound back (≈ 25 dB); untrained ones (same path) do not
    assert _psnr(shipped.frames, clip.frames) > 20 > _psnr(random.frames, clip.frames) + 5
    shipped_mel = mel_distance(torch.from_numpy(shipped.audio), reference, 16000)  # ≈ 0.32
    assert shipped_mel < 0.6 < mel_distance(torch.from_numpy(random.audio), reference, 16000) - shipped_mel


def test_a_hard_cut_survives_the_shipped_video_autoencoder() -> None:
    """The causal decoder blends a cut into a fade unless it is cut where the shot starts (the caption's
    "Shot 2 (1.0 s)" lands on frame 17, the first frame of latent 5)."""
    a, b = make_clip_from_seed(2_000_000_123, 2.0, 256, 144), make_clip_from_seed(2_000_000_124, 2.0, 256, 144)
    frames = np.concatenate([a.frames[:17], b.frames[17:]])
    assert detect_cuts(frames).tolist() == [17]
    shipped = load_generator(default_checkpoint())
    two_shots = Clip(frames, a.audio, a.fps, a.sample_rate, "Shot 1: a room. Shot 2 (1.0 s): another room.")
    cut, _ = shipped.reconstruct(two_shots, 256, 144, parts=("video",))
    assert detect_cuts(cut.frames).tolist() == [17]
    one_shot = Clip(frames, a.audio, a.fps, a.sample_rate, "a room")  # no cut asked for: the picture fades
    assert detect_cuts(shipped.reconstruct(one_shot, 256, 144, parts=("video",))[0].frames).tolist() == []
    # cutting the decoder's context does not invent a cut where the picture goes on
    still = Clip(a.frames, a.audio, a.fps, a.sample_rate, two_shots.caption)
    assert detect_cuts(a.frames).tolist() == [] == detect_cuts(shipped.reconstruct(still, 256, 144, parts=("video",))[0].frames).tolist()
