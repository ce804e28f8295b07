"""Cameo recordings → the transformer's reference input (appearance and voice of a named subject).

A recording of any size, rate and length is conformed to the reference canvas (128×72, 16 fps, 3.06 s,
16 kHz stereo, centre-cropped to 16:9): a longer one contributes the window where its sound is loudest
(the subject speaking), a shorter one holds its last frame and is padded with silence. The name it is
stored under is what the prompt must say for the subject to appear.
"""

from __future__ import annotations

import numpy as np
import torch

from phonofilm.media.conform import FPS, conform
from phonofilm.models.reference import REFERENCE_FRAMES, REFERENCE_HEIGHT, REFERENCE_WIDTH, CameoInput
from phonofilm.models.system import System
from phonofilm.models.text import TextEncoder
from phonofilm.pipeline.request import Cameo, UnsupportedRequest


def loudest_window(cameo: Cameo, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """(frames, audio) of the `seconds`-long stretch of the recording with the most sound energy."""
    duration = len(cameo.frames) / cameo.fps
    if duration <= seconds or cameo.audio.shape[-1] == 0:
        return cameo.frames, cameo.audio
    hop = max(1, round(0.1 * cameo.sample_rate))
    width = round(seconds * cameo.sample_rate)
    energy = np.concatenate([[0.0], np.cumsum((cameo.audio.astype(np.float64) ** 2).sum(0))])
    starts = np.arange(0, max(1, cameo.audio.shape[-1] - width + 1), hop)
    best = int(starts[np.argmax(energy[np.minimum(starts + width, len(energy) - 1)] - energy[starts])])
    first = int(best / cameo.sample_rate * cameo.fps)
    frames = cameo.frames[first : first + round(seconds * cameo.fps) + 1]
    return frames, cameo.audio[:, best : best + width]


def encode_cameos(system: System, text_encoder: TextEncoder, cameos: tuple[Cameo, ...],
                  device: torch.device) -> CameoInput | None:
    """Reference input for a request's cameos (None without any); refuses what the model cannot take."""
    if not cameos:
        return None
    encoder = system.transformer.reference_encoder
    if encoder is None:
        raise UnsupportedRequest("cameo_unsupported", "this checkpoint has no cameo (reference) encoder; "
                                 "remove `characters`/--cameo or use a checkpoint trained with cameos")
    limit = system.config.transformer.max_cameos
    if len(cameos) > limit:
        raise ValueError(f"{len(cameos)} cameos given; this model takes at most {limit} per video")
    from phonofilm.train.steps import encode_cameos as encode_batch

    videos, audios = [], []
    for cameo in cameos:
        frames, audio = loudest_window(cameo, REFERENCE_FRAMES / FPS)
        v, a = conform(frames, cameo.fps, audio, cameo.sample_rate, REFERENCE_WIDTH, REFERENCE_HEIGHT,
                       REFERENCE_FRAMES)
        videos.append(v)
        audios.append(a)
    batch = {"video": torch.from_numpy(np.stack(videos)), "audio": torch.from_numpy(np.stack(audios)),
             "names": [c.name for c in cameos], "where": torch.tensor([[0, k] for k in range(len(cameos))])}
    return encode_batch(system, text_encoder, batch, 1, device)  # as training encodes a batch's recordings
