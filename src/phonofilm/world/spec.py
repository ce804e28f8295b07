"""What may be fixed when sampling a scene, and the checks that make a fixed value safe to honour."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from phonofilm.world.identities import identity, identity_index
from phonofilm.world.scene import (
    ACTIONS,
    AMBIENCES,
    COLORS,
    FLOOR_MATERIALS,
    FRAMINGS,
    MATERIALS,
    SETTINGS,
    SHAPES,
    STYLES,
    Shot,
)

MAX_OBJECTS = 6
MAX_CHARACTERS = 3
ACTIONS_FOR_SHAPE = {"ball": ("dropped", "thrown", "rolled"), "cube": ("dropped", "thrown", "pushed"),
                     "brick": ("dropped", "thrown", "pushed")}  # fmt: skip

# P(ambience | setting) and P(floor | setting): rain, wind and birds mostly outdoors, room tone indoors.
AMBIENCE_WEIGHTS = {
    "indoor": {"room": 0.45, "crowd": 0.2, "silence": 0.15, "rain": 0.12, "wind": 0.04, "birds": 0.04},
    "outdoor": {"birds": 0.3, "wind": 0.25, "rain": 0.22, "crowd": 0.13, "silence": 0.1, "room": 0.0},
}
FLOOR_WEIGHTS = {
    "indoor": {"wood": 0.45, "tile": 0.3, "concrete": 0.25, "grass": 0.0},
    "outdoor": {"grass": 0.7, "concrete": 0.3, "wood": 0.0, "tile": 0.0},
}


@dataclass(frozen=True)
class ObjectSpec:
    """A partial object: fields left None are drawn by the sampler."""

    shape: str | None = None
    color: str | None = None
    material: str | None = None
    action: str | None = None
    size: float | None = None


@dataclass(frozen=True)
class LineSpec:
    """A fixed line of dialogue; `speaker` is a position in the scene's characters (None: alternate)."""

    text: str
    speaker: int | None = None


@dataclass(frozen=True)
class SceneSpec:
    """What to hold fixed; None means "draw it". Field names are the keyword arguments of sample_scene."""

    style: str | None = None
    ambience: str | None = None
    setting: str | None = None
    floor: str | None = None
    n_objects: int | None = None
    objects: tuple[ObjectSpec, ...] | None = None
    with_hoop: bool | None = None
    with_tank: bool | None = None
    characters: tuple[int, ...] | None = None  # identity indices
    dialogue: tuple[LineSpec, ...] | None = None
    n_shots: int | None = None
    shots: tuple[Shot, ...] | None = None


# --- spec coercion and validation -------------------------------------------------------------------


def make_spec(spec: SceneSpec | None = None, **fixed: object) -> SceneSpec:
    """Merge keyword overrides into a SceneSpec, turning dicts/strings/lists into the typed parts."""
    spec = spec or SceneSpec()
    names = [f.name for f in dataclasses.fields(SceneSpec)]
    unknown = sorted(set(fixed) - set(names))
    if unknown:
        raise ValueError(f"unknown scene attribute(s) {unknown}; fixable attributes: {names}")
    coerced: dict[str, object] = {}
    for name, value in fixed.items():
        if value is None:
            coerced[name] = None
        elif name == "objects":
            coerced[name] = tuple(_coerce(ObjectSpec, v, f"objects[{i}]") for i, v in enumerate(value))  # type: ignore[attr-defined]
        elif name == "dialogue":
            coerced[name] = tuple(_coerce_line(v, i) for i, v in enumerate(value))  # type: ignore[attr-defined]
        elif name == "shots":
            coerced[name] = tuple(_coerce(Shot, v, f"shots[{i}]") for i, v in enumerate(value))  # type: ignore[attr-defined]
        elif name == "characters":
            coerced[name] = tuple(identity_index(v) if isinstance(v, str) else v for v in value)  # type: ignore[attr-defined]
        else:
            coerced[name] = value
    return dataclasses.replace(spec, **coerced)  # type: ignore[arg-type]


def _coerce(tp: type, value: object, where: str) -> object:
    if isinstance(value, tp):
        return value
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected a {tp.__name__} or a dict, got {value!r}")
    allowed = [f.name for f in dataclasses.fields(tp)]
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {unknown}; allowed: {allowed}")
    return tp(**value)


def _coerce_line(value: object, i: int) -> LineSpec:
    if isinstance(value, str):
        return LineSpec(value)
    if isinstance(value, tuple | list) and len(value) == 2:
        return LineSpec(text=value[1], speaker=value[0])
    return _coerce(LineSpec, value, f"dialogue[{i}]")  # type: ignore[return-value]


def _check_choice(where: str, value: object, allowed: tuple[str, ...] | list[str]) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{where}: {value!r} is not allowed; choose one of {list(allowed)}")


def validate_spec(spec: SceneSpec, duration: float) -> None:
    """Raise ValueError, naming the field and the allowed values, for anything the sampler cannot honour."""
    _check_choice("style", spec.style, STYLES)
    _check_choice("ambience", spec.ambience, AMBIENCES)
    _check_choice("setting", spec.setting, SETTINGS)
    _check_choice("floor", spec.floor, FLOOR_MATERIALS)
    setting_weights(spec)  # raises on inconsistent setting / floor / ambience
    n_fixed = len(spec.objects or ())
    if spec.n_objects is not None and (
        not isinstance(spec.n_objects, int) or not n_fixed <= spec.n_objects <= MAX_OBJECTS
    ):
        raise ValueError(f"n_objects must be an integer in {n_fixed}..{MAX_OBJECTS}, got {spec.n_objects!r}")
    if n_fixed > MAX_OBJECTS:
        raise ValueError(f"objects: at most {MAX_OBJECTS} objects fit the stage, got {n_fixed}")
    for i, o in enumerate(spec.objects or ()):
        _validate_object(o, f"objects[{i}]")
    chars = spec.characters
    if chars is not None:
        if len(chars) > MAX_CHARACTERS or len(set(chars)) != len(chars):
            raise ValueError(
                f"characters: up to {MAX_CHARACTERS} distinct identity indices, got {list(chars)}"
            )
        for k in chars:
            identity(k)  # raises with the allowed range
    for i, line in enumerate(spec.dialogue or ()):
        if not isinstance(line.text, str) or not line.text.strip() or '"' in line.text:
            raise ValueError(
                f"dialogue[{i}]: text must be a non-empty string without double quotes, got {line.text!r}"
            )
        n_chars = len(chars) if chars is not None else MAX_CHARACTERS
        if line.speaker is not None and (
            not isinstance(line.speaker, int) or not 0 <= line.speaker < n_chars
        ):
            raise ValueError(
                f"dialogue[{i}]: speaker must index the characters (0..{n_chars - 1}), got {line.speaker!r}"
            )
    if spec.dialogue and chars == ():
        raise ValueError("dialogue needs at least one character, but characters=() was fixed")
    max_shots = max(1, int(duration))
    if spec.n_shots is not None and (not isinstance(spec.n_shots, int) or not 1 <= spec.n_shots <= max_shots):
        raise ValueError(
            f"n_shots must be an integer in 1..{max_shots} for a {duration:g} s scene (cuts >= 1 s apart)"
        )
    if spec.shots is not None:
        _validate_shots(spec.shots, duration)
        if spec.n_shots is not None and spec.n_shots != len(spec.shots):
            raise ValueError(f"n_shots={spec.n_shots} but {len(spec.shots)} shots were given")


def _validate_object(o: ObjectSpec, where: str) -> None:
    _check_choice(f"{where}.shape", o.shape, SHAPES)
    _check_choice(f"{where}.color", o.color, list(COLORS))
    _check_choice(f"{where}.material", o.material, MATERIALS)
    _check_choice(f"{where}.action", o.action, ACTIONS)
    if o.shape is not None and o.action is not None and o.action not in ACTIONS_FOR_SHAPE[o.shape]:
        raise ValueError(
            f"{where}: a {o.shape} cannot be {o.action}; a {o.shape} can be {list(ACTIONS_FOR_SHAPE[o.shape])}"
        )
    if o.size is not None and (
        isinstance(o.size, bool) or not isinstance(o.size, int | float) or not 0.03 <= o.size <= 0.4
    ):
        raise ValueError(f"{where}.size must be in [0.03, 0.4] metres, got {o.size!r}")


def _validate_shots(shots: tuple[Shot, ...], duration: float) -> None:
    if not shots or shots[0].start != 0.0:
        raise ValueError("shots: the first shot must start at 0.0 s")
    for i, s in enumerate(shots):
        _check_choice(f"shots[{i}].framing", s.framing, FRAMINGS)
        if i and not shots[i - 1].start < s.start < duration:
            raise ValueError(
                f"shots[{i}].start must increase and stay below the duration {duration:g} s, got {s.start}"
            )


def setting_weights(spec: SceneSpec) -> np.ndarray:
    """P(setting) given what is fixed: a uniform prior times the chance of the fixed floor and ambience."""
    w = np.ones(len(SETTINGS))
    for i, s in enumerate(SETTINGS):
        if spec.setting is not None and s != spec.setting:
            w[i] = 0.0
        if spec.floor is not None:
            w[i] *= FLOOR_WEIGHTS[s][spec.floor]
        if spec.ambience is not None:
            w[i] *= AMBIENCE_WEIGHTS[s][spec.ambience]
    if w.sum() == 0:
        raise ValueError(
            f"setting={spec.setting!r}, floor={spec.floor!r}, ambience={spec.ambience!r} do not go together: "
            f"floors by setting {_nonzero(FLOOR_WEIGHTS)}, ambiences by setting {_nonzero(AMBIENCE_WEIGHTS)}"
        )
    return w / w.sum()


def _nonzero(table: dict[str, dict[str, float]]) -> dict[str, list[str]]:
    return {k: [n for n, p in v.items() if p > 0] for k, v in table.items()}
