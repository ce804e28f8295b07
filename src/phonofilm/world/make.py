"""One call from a scene to a finished `Clip`: simulate → speak → render picture and sound → caption.

Data flows one way: scene → physics → speech → (frames, audio) → caption → Clip + GroundTruth.
"""

from __future__ import annotations

import numpy as np

from phonofilm.world.caption import caption as make_caption
from phonofilm.world.clip import Clip, GroundTruth, UtteranceTruth
from phonofilm.world.physics import simulate
from phonofilm.world.render.frames import render_frames, validate_size
from phonofilm.world.sampler import sample_scene
from phonofilm.world.scene import Scene
from phonofilm.world.sound.mix import render_audio
from phonofilm.world.sound.speech import synthesize_dialogue

MAX_SECONDS = 120.0
SAMPLE_RATES = (8000, 16000, 22050, 24000, 32000, 44100, 48000)


def validate_request(width: int, height: int, fps: float, seconds: float, sample_rate: int, channels: int) -> None:
    """Raise ValueError naming the bad parameter and what is allowed."""
    validate_size(width, height)
    if not (0 < seconds <= MAX_SECONDS):
        raise ValueError(f"seconds must be in (0, {MAX_SECONDS:g}], got {seconds:g}")
    if not (1 <= fps <= 120):
        raise ValueError(f"fps must be between 1 and 120, got {fps:g}")
    if sample_rate not in SAMPLE_RATES:
        raise ValueError(f"sample_rate must be one of {SAMPLE_RATES}, got {sample_rate}")
    if channels not in (1, 2):
        raise ValueError(f"channels must be 1 (mono) or 2 (stereo), got {channels}")


def make_clip(
    scene: Scene,
    width: int = 128,
    height: int = 72,
    fps: float = 16.0,
    sample_rate: int = 16000,
    channels: int = 2,
    caption_seed: int | None = None,
) -> Clip:
    """Render `scene` into a Clip with its complete ground truth. Same inputs → identical bytes."""
    validate_request(width, height, fps, scene.duration, sample_rate, channels)
    sim = simulate(scene)
    utterances = synthesize_dialogue(scene, sample_rate)
    picture = render_frames(scene, sim, utterances, width, height, fps)
    audio = render_audio(scene, sim, utterances, sample_rate, channels)
    text = make_caption(scene, sim.events, seed=caption_seed)
    truth = GroundTruth(
        scene=scene,
        events=sim.events,
        utterances=tuple(
            UtteranceTruth(u.character, u.text, u.start, u.end, u.phonemes) for u in utterances
        ),
        boxes=picture.boxes,
        mouth=picture.mouth,
        shot=picture.shot,
        camera=picture.camera,
        width=width,
        height=height,
        fps=float(fps),
        sample_rate=sample_rate,
    )
    return Clip(
        frames=picture.frames,
        audio=np.ascontiguousarray(audio, dtype=np.float32),
        fps=float(fps),
        sample_rate=sample_rate,
        caption=text,
        truth=truth,
    )


def make_clip_from_seed(
    seed: int,
    seconds: float = 4.0,
    width: int = 128,
    height: int = 72,
    fps: float = 16.0,
    sample_rate: int = 16000,
    channels: int = 2,
    **fixed,
) -> Clip:
    """Sample a scene from `seed` (with any attributes `fixed`) and render it."""
    validate_request(width, height, fps, seconds, sample_rate, channels)
    scene = sample_scene(seed, duration=seconds, **fixed)
    return make_clip(scene, width, height, fps, sample_rate, channels)
