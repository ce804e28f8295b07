"""The character finder against the world's ground truth: it finds drawn characters where they stand, in
their colour, and does not take an eyeless smudge of the same shape and colour for one."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from phonofilm.eval.analysis import ClipAnalysis
from phonofilm.eval.perception.characters import find_characters
from phonofilm.world.clip import Clip
from phonofilm.world.make import make_clip_from_seed

# one speaking character each, three styles, three builds (blob / tall / square) among them
SCENES = ((700_000_003, 3), (700_000_012, 12), (700_000_021, 21), (700_000_039, 39))


def _clip(seed: int, identity: int) -> Clip:
    return make_clip_from_seed(seed, 2.0, 256, 144, 16.0, 16000, 1, n_shots=1, n_objects=0,
                               characters=(identity,), dialogue=("Hello there.",))  # fmt: skip


@pytest.fixture(scope="module")
def scenes() -> list[tuple[Clip, np.ndarray, int]]:
    """(clip, its still background, picture top) for each scene."""
    out = []
    for seed, identity in SCENES:
        clip = _clip(seed, identity)
        video = ClipAnalysis(clip).video
        out.append((clip, video.backgrounds[0], video.picture.top))
    return out


def _truth_box(clip: Clip, top: int) -> np.ndarray:
    (char,) = clip.truth.scene.characters
    boxes = clip.truth.boxes[char.id]
    return np.nanmedian(boxes, axis=0) - np.array([0, top, 0, top])


def test_each_drawn_character_is_found_where_it_stands_in_its_colour(scenes) -> None:
    styles = set()
    for clip, background, top in scenes:
        styles.add(clip.truth.scene.style)
        (found,) = find_characters(background)
        gx0, gy0, gx1, gy1 = _truth_box(clip, top)
        x0, y0, x1, y1 = found.box
        assert gx0 <= found.centre[0] <= gx1 and gy0 <= found.centre[1] <= gy1
        overlap = max(0, min(x1, gx1) - max(x0, gx0)) * max(0, min(y1, gy1) - max(y0, gy0))
        assert overlap / ((gx1 - gx0) * (gy1 - gy0)) > 0.6  # the body, not just its face
        assert found.colour == clip.truth.scene.characters[0].color
    assert styles == {"realistic", "cinematic", "anime"}


def test_a_blurred_character_is_a_smudge_not_a_character(scenes) -> None:
    # same place, size, shape and colours, but the eyes are gone: what an undertrained generator draws
    for clip, background, top in scenes:
        x0, y0, x1, y1 = _truth_box(clip, top).astype(int)
        smudged = background.astype(np.float64).copy()
        patch = smudged[max(0, y0 - 6) : y1 + 6, max(0, x0 - 6) : x1 + 6]
        patch[:] = ndimage.gaussian_filter(patch, sigma=(2.5, 2.5, 0))
        assert find_characters(smudged) == []


def test_scenes_without_characters_have_none() -> None:
    for seed in (700_000_001, 700_000_004, 700_000_013):
        clip = make_clip_from_seed(seed, 2.0, 256, 144, 16.0, 16000, 1, n_shots=1, characters=(), dialogue=())
        assert ClipAnalysis(clip).characters == []
