"""Sound of the world: impacts, splashes, ambience, speech, mixed from the same event log as the picture.

Nothing is loaded at import: libespeak-ng is opened on the first synthesis, caches fill on first use.
"""

from phonofilm.world.sound.ambience import BED_RMS, ambience_bed
from phonofilm.world.sound.impacts import (
    MATERIAL_SOUND,
    ImpactParts,
    MaterialSound,
    impact_parts,
    impact_sound,
)
from phonofilm.world.sound.mix import render_audio
from phonofilm.world.sound.speech import synthesize_dialogue, synthesize_line
from phonofilm.world.sound.splash import splash_sound

__all__ = [
    "BED_RMS",
    "MATERIAL_SOUND",
    "ImpactParts",
    "MaterialSound",
    "ambience_bed",
    "impact_parts",
    "impact_sound",
    "render_audio",
    "splash_sound",
    "synthesize_dialogue",
    "synthesize_line",
]
