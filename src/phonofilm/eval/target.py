"""What a clip is measured against: the structured target parsed from its prompt, plus references.

A metric sees a `Target` and the clip's pixels and sound, never the clip's ground truth. The structured
part comes from the prompt text alone (`phonofilm.world.prompt.parse_prompt`), so a generated clip
and a world clip with the same prompt are scored against the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from phonofilm.world.clip import Clip

if TYPE_CHECKING:
    from phonofilm.world.prompt import PromptTarget


@dataclass(frozen=True)
class Target:
    """prompt: the text; spec: its parsed PromptTarget; image: the given first frame (uint8 [H, W, 3]),
    for image-to-video; reference: the recorded subject (a clip with picture and sound), for cameos."""

    prompt: str = ""
    spec: PromptTarget | None = None
    image: np.ndarray | None = None
    reference: Clip | None = None

    @classmethod
    def from_prompt(cls, prompt: str, image: np.ndarray | None = None, reference: Clip | None = None) -> Target:
        """Parse `prompt` into its structured target and attach the optional references."""
        from phonofilm.world.prompt import parse_prompt

        return cls(prompt, parse_prompt(prompt), image, reference)
