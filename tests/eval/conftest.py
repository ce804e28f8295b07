"""World clips shared by the eval tests (rendered once per session; metrics never see their truth)."""

from __future__ import annotations

import pytest
from eval_clips import SEEDS, physics_clip, talking_clip

from phonofilm.world.clip import Clip


@pytest.fixture(scope="session")
def physics_clips() -> list[Clip]:
    return [physics_clip(s) for s in SEEDS]


@pytest.fixture(scope="session")
def talking_clips() -> list[Clip]:
    return [talking_clip(900 + k, identity=k * 9 % 64) for k in range(4)]
