"""End-to-end properties of world clips: picture and sound from one simulation, ground truth complete."""

from __future__ import annotations

import numpy as np
import pytest

from phonofilm.world.clip import GroundTruth
from phonofilm.world.make import make_clip, make_clip_from_seed
from phonofilm.world.sampler import sample_scene


def onset_envelope(mono: np.ndarray, sr: int, hop: int) -> np.ndarray:
    """Positive energy rise per hop (a simple, robust onset detection function)."""
    n = len(mono) // hop
    energy = np.sqrt((mono[: n * hop].reshape(n, hop) ** 2).mean(axis=1) + 1e-12)
    return np.maximum(np.diff(np.log(energy + 1e-4), prepend=np.log(1e-4)), 0.0)


def test_every_impact_is_heard_within_one_hop() -> None:
    """Audible impacts (in air, >= 0.3 m/s) each have an energy onset within one 10 ms hop of their time."""
    sr, hop = 16000, 160
    heard, missed = 0, []
    for seed in range(40):
        scene = sample_scene(seed, duration=4.0, ambience="silence", dialogue=())
        clip = make_clip(scene, 64, 36, 16.0, sr, 1)
        env = onset_envelope(clip.audio[0], sr, hop)
        for ev in clip.truth.events:
            # under water the world muffles contacts (as real water does): not expected to stand out
            if ev.kind != "impact" or ev.speed < 0.3 or ev.b in ("tank_floor", "water"):
                continue
            k = round(ev.t * sr / hop)
            if env[max(0, k - 1) : k + 2].max() > 0.5:
                heard += 1
            else:
                missed.append((seed, round(ev.t, 3), ev.a, ev.b, round(ev.speed, 2)))
    assert heard >= 40, f"too few impacts checked ({heard}); the sampler should produce impacts"
    assert len(missed) <= 0.03 * (heard + len(missed)), f"impacts without an onset: {missed}"


def test_mouth_follows_speech_envelope() -> None:
    scene = sample_scene(5, duration=4.0, ambience="silence", n_objects=0,
                         characters=(3,), dialogue=("Did you hear that noise over there?",))
    clip = make_clip(scene, 128, 72, 25.0, 16000, 1)
    (cid,) = clip.truth.mouth
    mouth = clip.truth.mouth[cid]
    spf = 16000 // 25
    env = np.sqrt((clip.audio[0][: len(mouth) * spf].reshape(len(mouth), spf) ** 2).mean(axis=1))
    assert mouth.max() > 0.5 and (mouth > 0.05).sum() > 10
    r = np.corrcoef(mouth, env)[0, 1]
    assert r > 0.6, f"mouth openness and speech envelope correlate only r={r:.2f}"


def test_same_seed_bit_identical_and_seeds_differ() -> None:
    a = make_clip_from_seed(11, 2.0, 64, 36)
    b = make_clip_from_seed(11, 2.0, 64, 36)
    c = make_clip_from_seed(12, 2.0, 64, 36)
    assert np.array_equal(a.frames, b.frames) and np.array_equal(a.audio, b.audio)
    assert a.caption == b.caption
    assert not np.array_equal(a.frames, c.frames)


def test_shapes_and_truth_round_trip() -> None:
    clip = make_clip_from_seed(3, 2.0, 72, 128, 12.0, 22050, 2)
    assert clip.frames.shape == (24, 128, 72, 3) and clip.frames.dtype == np.uint8
    assert clip.audio.shape == (2, 44100) and clip.audio.dtype == np.float32
    assert np.abs(clip.audio).max() <= 1.0
    truth = GroundTruth.from_json(clip.truth.to_json())
    assert truth.scene == clip.truth.scene
    assert truth.events == clip.truth.events
    for k, v in clip.truth.boxes.items():
        np.testing.assert_allclose(truth.boxes[k], v, atol=1e-3, equal_nan=True)
    assert np.array_equal(truth.shot, clip.truth.shot)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"width": 0, "height": 72}, "width"),
        ({"width": 10000, "height": 10000}, "4096|pixels|megapixel"),
        ({"seconds": -1.0}, "seconds"),
        ({"seconds": 0.0}, "seconds"),
        ({"fps": 0.0}, "fps"),
        ({"sample_rate": 12345}, "sample_rate"),
    ],
)
def test_impossible_requests_are_refused_clearly(kwargs: dict, match: str) -> None:
    args = {"seed": 1, "seconds": 1.0, "width": 64, "height": 36, "fps": 12.0, "sample_rate": 16000}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        make_clip_from_seed(**args)
