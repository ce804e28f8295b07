"""The world's fixed catalog of character identities: look, voice and name, forever the same per index.

Identities are built by integer arithmetic (no random stream), so identity k is the same creature on
every machine and every numpy version: the cameo feature trains on two clips of one identity and relies
on that. Stepping through the 108 (body, pattern, colour) combinations with a stride coprime to 108
gives every identity its own look; voices spread pitch, timbre variant and rate the same way.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

from phonofilm.world.scene import BODY_SHAPES, COLORS, PATTERNS, Character, Voice

NUM_IDENTITIES = 64

IDENTITY_NAMES: tuple[str, ...] = (
    "Pip", "Bo", "Mira", "Tuk", "Lumo", "Zed", "Nia", "Oko",
    "Fenn", "Kiko", "Dax", "Momo", "Suki", "Juno", "Tavi", "Bix",
    "Luma", "Nox", "Remy", "Coco", "Ivo", "Yara", "Gus", "Pim",
    "Odo", "Kiki", "Ludo", "Bea", "Taro", "Nell", "Zuzu", "Milo",
    "Rafa", "Aja", "Hugo", "Lulu", "Orin", "Pia", "Vik", "Elo",
    "Bram", "Tess", "Quin", "Ari", "Nemo", "Fifi", "Rolo", "Zia",
    "Kai", "Uma", "Jax", "Lia", "Tomo", "Eko", "Gigi", "Yuki",
    "Bibi", "Nuno", "Tiko", "Vela", "Wim", "Zara", "Ollo", "Rini",
)  # fmt: skip

# espeak-ng timbre variants: seven male-ish and five female-ish voices.
VOICE_VARIANTS: tuple[str, ...] = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5")

# Colours that read well as spots or stripes on any body colour.
_PATTERN_COLORS: tuple[str, ...] = ("white", "black", "yellow", "pink", "teal", "orange", "blue", "red")

_COLOR_NAMES: tuple[str, ...] = tuple(COLORS)
_N_LOOKS = len(BODY_SHAPES) * len(PATTERNS) * len(_COLOR_NAMES)  # 108 distinct looks
_LOOK_STRIDE = 41  # coprime to 108: consecutive identities land far apart in look space
_BASE_HEIGHT = {"blob": 0.8, "tall": 1.2, "square": 0.95}  # metres


@dataclass(frozen=True)
class IdentitySpec:
    """One catalogued creature: how it looks, how it sounds, what it is called."""

    index: int
    name: str
    body: str
    color: str
    pattern: str
    pattern_color: str
    height: float  # metres; part of the look, so fixed per identity
    voice: Voice

    def character(self, char_id: str, x: float, facing: int = 1) -> Character:
        """This identity as a scene `Character` standing at `x`."""
        return Character(
            id=char_id,
            name=self.name,
            identity=self.index,
            body=self.body,  # type: ignore[arg-type]
            color=self.color,
            pattern=self.pattern,  # type: ignore[arg-type]
            pattern_color=self.pattern_color,
            voice=self.voice,
            x=x,
            height=self.height,
            facing=facing,
        )


def identity(k: int) -> IdentitySpec:
    """The catalogued identity number `k` (0 <= k < NUM_IDENTITIES)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k < NUM_IDENTITIES:
        raise ValueError(f"identity index must be an integer in 0..{NUM_IDENTITIES - 1}, got {k!r}")
    k = int(k)  # numpy integers too
    look = (k * _LOOK_STRIDE) % _N_LOOKS
    n_colors = len(_COLOR_NAMES)
    body = BODY_SHAPES[look // (n_colors * len(PATTERNS))]
    pattern = PATTERNS[(look // n_colors) % len(PATTERNS)]
    color = _COLOR_NAMES[look % n_colors]
    pattern_color = _PATTERN_COLORS[(k * 3) % len(_PATTERN_COLORS)]
    if pattern_color == color:  # spots the colour of the body would be invisible
        pattern_color = _PATTERN_COLORS[(k * 3 + 1) % len(_PATTERN_COLORS)]
    voice = Voice(
        base="en-us",
        variant=VOICE_VARIANTS[(k * 5) % len(VOICE_VARIANTS)],
        pitch=15 + (k * 29) % 71,  # 15..85
        pitch_range=30 + (k * 13) % 51,  # 30..80
        rate=130 + (k * 23) % 61,  # 130..190 words per minute
    )
    height = round(_BASE_HEIGHT[body] + 0.05 * ((k * 3) % 5) - 0.1, 3)
    return IdentitySpec(k, IDENTITY_NAMES[k], body, color, pattern, pattern_color, height, voice)


def identity_index(name: str) -> int:
    """The catalog index of the identity called `name` (case-insensitive)."""
    lowered = [n.lower() for n in IDENTITY_NAMES]
    key = name.strip().lstrip("@").lower()
    if key not in lowered:
        raise ValueError(f"no identity named {name!r}; known names: {', '.join(IDENTITY_NAMES)}")
    return lowered.index(key)
