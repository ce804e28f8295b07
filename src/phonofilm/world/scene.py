"""The scene description: everything the world simulates, renders, sonifies and captions.

A `Scene` is plain typed data (frozen dataclasses) with a lossless JSON round trip, so a scene can be
stored beside a clip as its ground truth and re-rendered bit-identically later, at any size.

Coordinates are metres in a 2D side view: x to the right, y up, the floor at y = 0, the stage spanning
x in [0, stage.width]. Times are seconds from the start of the clip.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

Shape = Literal["ball", "cube", "brick"]
Material = Literal["wood", "metal", "rubber", "glass"]
FloorMaterial = Literal["wood", "concrete", "tile", "grass"]
Action = Literal["dropped", "thrown", "rolled", "pushed"]
BodyShape = Literal["blob", "tall", "square"]
Pattern = Literal["solid", "stripes", "spots"]
Ambience = Literal["rain", "wind", "birds", "crowd", "room", "silence"]
Style = Literal["realistic", "cinematic", "anime"]
Framing = Literal["wide", "close", "reverse"]
Setting = Literal["indoor", "outdoor"]

SHAPES: tuple[str, ...] = get_args(Shape)
MATERIALS: tuple[str, ...] = get_args(Material)
FLOOR_MATERIALS: tuple[str, ...] = get_args(FloorMaterial)
ACTIONS: tuple[str, ...] = get_args(Action)
BODY_SHAPES: tuple[str, ...] = get_args(BodyShape)
PATTERNS: tuple[str, ...] = get_args(Pattern)
AMBIENCES: tuple[str, ...] = get_args(Ambience)
STYLES: tuple[str, ...] = get_args(Style)
FRAMINGS: tuple[str, ...] = get_args(Framing)
SETTINGS: tuple[str, ...] = get_args(Setting)

# Named colours (sRGB, 0-255). Names are what captions say and what eval parses from prompts.
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (214, 40, 40),
    "orange": (247, 127, 0),
    "yellow": (252, 211, 42),
    "green": (60, 170, 70),
    "blue": (40, 90, 220),
    "purple": (130, 60, 190),
    "pink": (240, 120, 180),
    "white": (240, 240, 235),
    "black": (30, 30, 34),
    "gray": (128, 128, 130),
    "brown": (125, 80, 45),
    "teal": (20, 150, 150),
}


@dataclass(frozen=True)
class Voice:
    """A speaking voice for libespeak-ng: base voice, pitch (0-99), pitch range (0-99), rate (words/min)."""

    base: str = "en-us"
    variant: str = "m1"  # espeak-ng voice variant: timbre (m1..m7, f1..f5, klatt...)
    pitch: int = 50
    pitch_range: int = 50
    rate: int = 160


@dataclass(frozen=True)
class Character:
    """A simple creature with eyes and a mouth. Identity = body shape + colour + pattern + voice."""

    id: str  # unique within the scene, e.g. "char0"
    name: str  # what captions and prompts call it, e.g. "Pip"
    identity: int  # index into the world's identity catalog: same identity, same look and voice
    body: BodyShape
    color: str
    pattern: Pattern
    pattern_color: str
    voice: Voice
    x: float  # feet centre on the floor
    height: float  # metres
    facing: int = 1  # +1 looks right, -1 looks left


@dataclass(frozen=True)
class SceneObject:
    """A rigid body. `size` is the radius of a ball, the half-side of a cube, the half-height of a brick."""

    id: str  # unique within the scene, e.g. "obj0"
    shape: Shape
    color: str
    material: Material
    size: float
    action: Action
    x: float  # initial centre
    y: float
    vx: float = 0.0  # initial velocity, applied at release
    vy: float = 0.0
    spin: float = 0.0  # initial angular velocity, rad/s (counter-clockwise positive)
    release: float = 0.0  # seconds: the body is held still at (x, y) until then


@dataclass(frozen=True)
class Hoop:
    """A basketball backboard (a vertical board) with a rim sticking out towards the stage centre."""

    x: float  # x of the board's face
    board_bottom: float
    board_height: float
    rim_height: float  # y of the rim
    rim_length: float  # how far the rim sticks out from the board
    side: int = 1  # +1: board on the right wall facing left; -1: board on the left facing right


@dataclass(frozen=True)
class WaterTank:
    """A glass tank standing on the floor between x_min and x_max, filled up to `water_level`."""

    x_min: float
    x_max: float
    height: float
    water_level: float


@dataclass(frozen=True)
class Stage:
    width: float = 8.0
    height: float = 4.5
    floor: FloorMaterial = "wood"
    walls: bool = True  # static walls at x = 0 and x = width
    setting: Setting = "indoor"
    hoop: Hoop | None = None
    tank: WaterTank | None = None


@dataclass(frozen=True)
class Line:
    """A line of dialogue: `character` (an id) says `text`, starting at `start` seconds."""

    character: str
    text: str
    start: float


@dataclass(frozen=True)
class Shot:
    """A camera shot from `start` until the next shot. `target` is an object/character id for close-ups."""

    start: float
    framing: Framing = "wide"
    target: str | None = None


@dataclass(frozen=True)
class Scene:
    seed: int
    duration: float
    stage: Stage = field(default_factory=Stage)
    objects: tuple[SceneObject, ...] = ()
    characters: tuple[Character, ...] = ()
    dialogue: tuple[Line, ...] = ()
    ambience: Ambience = "room"
    style: Style = "realistic"
    shots: tuple[Shot, ...] = (Shot(0.0),)
    gravity: float = 9.81

    def body(self, body_id: str) -> SceneObject | Character:
        for b in (*self.objects, *self.characters):
            if b.id == body_id:
                return b
        raise KeyError(f"no object or character with id {body_id!r} in the scene")

    def shot_at(self, t: float) -> int:
        """Index of the shot on screen at time t."""
        idx = 0
        for i, s in enumerate(self.shots):
            if s.start <= t + 1e-9:
                idx = i
        return idx

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), **kw)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scene:
        return from_jsonable(cls, d)

    @classmethod
    def from_json(cls, s: str) -> Scene:
        return cls.from_dict(json.loads(s))


# --- generic, typed (de)serialisation of frozen dataclasses --------------------------------------------


def to_jsonable(obj: Any) -> Any:
    """Dataclasses -> dicts, tuples -> lists, recursively (JSON-ready)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return obj


def from_jsonable(tp: Any, data: Any, where: str = "scene") -> Any:
    """Rebuild a value of type `tp` from JSON data, validating Literals and unknown keys."""
    origin = get_origin(tp)
    if isinstance(tp, str):
        raise TypeError(f"unresolved forward reference {tp!r} at {where}")
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object for {tp.__name__}, got {type(data).__name__}")
        hints = typing.get_type_hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {sorted(unknown)} for {tp.__name__}")
        kwargs = {k: from_jsonable(hints[k], v, f"{where}.{k}") for k, v in data.items()}
        return tp(**kwargs)
    if origin is Literal:
        allowed = get_args(tp)
        if data not in allowed:
            raise ValueError(f"{where}: {data!r} is not one of {list(allowed)}")
        return data
    if origin in (typing.Union, types.UnionType):
        args = get_args(tp)
        if data is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return from_jsonable(a, data, where)
            except (ValueError, TypeError) as e:
                errors.append(str(e))
        raise ValueError(f"{where}: {data!r} matches none of {args}: {errors}")
    if origin is tuple:
        args = get_args(tp)
        if not isinstance(data, list | tuple):
            raise ValueError(f"{where}: expected a list, got {type(data).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_jsonable(args[0], v, f"{where}[{i}]") for i, v in enumerate(data))
        return tuple(from_jsonable(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, data, strict=True)))
    if origin is dict:
        kt, vt = get_args(tp)
        return {from_jsonable(kt, k, where): from_jsonable(vt, v, f"{where}.{k}") for k, v in data.items()}
    if origin is list:
        (vt,) = get_args(tp)
        return [from_jsonable(vt, v, f"{where}[{i}]") for i, v in enumerate(data)]
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise ValueError(f"{where}: expected a number, got {data!r}")
        return float(data)
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise ValueError(f"{where}: expected an integer, got {data!r}")
        return data
    if tp is str:
        if not isinstance(data, str):
            raise ValueError(f"{where}: expected a string, got {data!r}")
        return data
    if tp is bool:
        if not isinstance(data, bool):
            raise ValueError(f"{where}: expected true/false, got {data!r}")
        return data
    if tp is Any:
        return data
    raise TypeError(f"{where}: cannot deserialise type {tp!r}")
