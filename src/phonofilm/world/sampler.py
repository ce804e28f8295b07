"""Seeded scene sampler: varied but physically sensible scenes, with any attribute optionally fixed.

`sample_scene(seed, duration, **fixed)` draws everything not fixed. Each part of the scene (look,
fixtures, objects, characters, dialogue, shots) draws from its own child stream of the seed, so fixing
one part (say the style) leaves the others as they would have been.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from phonofilm.world.identities import NUM_IDENTITIES, identity
from phonofilm.world.placement import (
    Box,
    ObjectPlan,
    Path,
    place_character,
    place_objects,
    relative_density,
    sample_fixtures,
    tank_box,
)
from phonofilm.world.scene import (
    COLORS,
    MATERIALS,
    SETTINGS,
    SHAPES,
    STYLES,
    Character,
    Line,
    Scene,
    Shot,
    Stage,
)
from phonofilm.world.spec import (
    ACTIONS_FOR_SHAPE,
    AMBIENCE_WEIGHTS,
    FLOOR_WEIGHTS,
    LineSpec,
    ObjectSpec,
    SceneSpec,
    make_spec,
    setting_weights,
    validate_spec,
)
from phonofilm.world.vocab import DIALOGUE_LINES

# metres, see SceneObject.size
SIZE_RANGE = {"ball": (0.15, 0.36), "cube": (0.15, 0.32), "brick": (0.09, 0.15)}
FLOATERS = tuple(m for m in MATERIALS if relative_density(m) < 1.0)  # as the physics has it
SINKERS = tuple(m for m in MATERIALS if relative_density(m) >= 1.0)
PLACEMENT_ROUNDS = 8


def sample_scene(seed: int, duration: float = 4.0, spec: SceneSpec | None = None, **fixed: object) -> Scene:
    """A random scene from `seed`; `spec` and/or keyword arguments (SceneSpec fields) fix parts of it."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(duration, bool) or not isinstance(duration, int | float) or not 0.0 < duration <= 120.0:
        raise ValueError(f"duration must be a number of seconds in (0, 120], got {duration!r}")
    spec = make_spec(spec, **fixed)
    validate_spec(spec, float(duration))
    look, fix, objs, chars, lines, shots = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)
    )
    style, setting, floor, ambience = _sample_look(look, spec)
    stage = Stage(floor=floor, setting=setting)  # type: ignore[arg-type]
    hoop, tank = sample_fixtures(fix, stage, spec.with_hoop, spec.with_tank)
    stage = dataclasses.replace(stage, hoop=hoop, tank=tank)
    plans = _plan_objects(objs, spec, stage)
    for attempt in range(PLACEMENT_ROUNDS):  # a crowded draw can leave required characters no room: redraw
        if attempt == PLACEMENT_ROUNDS // 2:  # still none: drawn sizes become as small as they may be
            plans = [p if p.min_size is None else dataclasses.replace(p, size=p.min_size) for p in plans]
        objects, paths = place_objects(objs, plans, stage, float(duration))
        characters = _sample_characters(chars, spec, stage, paths)
        if characters is not None:
            break
    else:
        raise ValueError(
            "could not place the required characters clear of the tank, each other and the objects; "
            "ask for fewer characters or objects"
        )
    dialogue = _sample_dialogue(lines, spec, characters, float(duration))
    scene = Scene(
        seed=seed,
        duration=float(duration),
        stage=stage,
        objects=objects,
        characters=characters,
        dialogue=dialogue,
        ambience=ambience,
        style=style,
    )  # type: ignore[arg-type]
    return dataclasses.replace(scene, shots=_sample_shots(shots, spec, scene))


# --- look: style, setting, floor, ambience ----------------------------------------------------------


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = list(weights)
    p = np.array([weights[n] for n in names], dtype=np.float64)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _sample_look(rng: np.random.Generator, spec: SceneSpec) -> tuple[str, str, str, str]:
    """Style uniform; setting, then floor and ambience that suit it (fixed values are kept)."""
    style = STYLES[int(rng.integers(len(STYLES)))]  # drawn even when fixed, to keep the stream aligned
    setting = SETTINGS[int(rng.choice(len(SETTINGS), p=setting_weights(spec)))]
    floor = _pick(rng, FLOOR_WEIGHTS[setting])
    ambience = _pick(rng, AMBIENCE_WEIGHTS[setting])
    return spec.style or style, setting, spec.floor or floor, spec.ambience or ambience


# --- objects ----------------------------------------------------------------------------------------


def _plan_objects(rng: np.random.Generator, spec: SceneSpec, stage: Stage) -> list[ObjectPlan]:
    """Decide every object's shape, colour, material, action, size and role (free / tank / hoop).

    Also what placement may change when an object finds no room: a drawn size may shrink to the shape's
    smallest, a drawn object (not asked for, nor counted by n_objects) may be left out.
    """
    u_count = rng.random()
    fixed = list(spec.objects or ())
    if spec.n_objects is not None:
        n = spec.n_objects
    elif spec.objects is not None:
        n = len(fixed)
    else:
        n = 1 + int(np.searchsorted(np.cumsum([0.3, 0.35, 0.2, 0.15]), u_count, side="right"))
    partial = fixed + [ObjectSpec()] * (n - len(fixed))
    roles = _assign_roles(rng, partial, stage)
    used_colors = {o.color for o in partial if o.color}
    tank_materials: list[str] = []
    plans = []
    for k, (o, role) in enumerate(zip(partial, roles, strict=True)):
        shape = o.shape or _draw_shape(rng, o.action, role)
        action = o.action or _draw_action(rng, shape, role)
        if role == "free" and action == "thrown" and stage.hoop is not None and rng.random() < 0.6:
            role = "hoop"
        material = o.material or _draw_material(rng, role, tank_materials)
        if role == "tank":
            tank_materials.append(material)
        color = o.color or _draw_color(rng, used_colors)
        used_colors.add(color)
        lo, hi = SIZE_RANGE[shape]
        size = float(o.size) if o.size is not None else round(float(rng.uniform(lo, hi)), 3)
        # placement may shrink a drawn size and leave out a drawn object, never what the caller asked for
        keep = k < len(fixed) or spec.n_objects is not None
        min_size = None if o.size is not None else lo
        plans.append(ObjectPlan(shape, color, material, action, size, role, min_size, keep))
    return plans


def _assign_roles(rng: np.random.Generator, partial: list[ObjectSpec], stage: Stage) -> list[str]:
    """Which objects go into the tank (1-3 of them) and which one is thrown at the hoop (usually one)."""
    roles = ["free"] * len(partial)
    if stage.tank is not None:
        cand = [i for i, o in enumerate(partial) if o.action in (None, "dropped", "thrown")]
        if cand:
            k = int(rng.integers(1, min(3, len(cand)) + 1))
            for i in rng.permutation(cand)[:k]:
                roles[int(i)] = "tank"
    if stage.hoop is not None:
        cand = [i for i, o in enumerate(partial)
                if roles[i] == "free" and o.action in (None, "thrown") and o.shape in (None, "ball")]  # fmt: skip
        if cand and rng.random() < 0.85:
            roles[cand[int(rng.integers(len(cand)))]] = "hoop"
    return roles


def _draw_shape(rng: np.random.Generator, action: str | None, role: str) -> str:
    if role == "hoop":
        return "ball" if rng.random() < 0.85 else ("cube", "brick")[int(rng.integers(2))]
    weights = {s: w for s, w in zip(SHAPES, (0.45, 0.3, 0.25), strict=True)
               if action is None or action in ACTIONS_FOR_SHAPE[s]}  # fmt: skip
    return _pick(rng, weights)


def _draw_action(rng: np.random.Generator, shape: str, role: str) -> str:
    if role == "hoop":
        return "thrown"
    if role == "tank":
        return "dropped" if rng.random() < 0.8 else "thrown"
    moving = "rolled" if shape == "ball" else "pushed"
    return _pick(rng, {"dropped": 0.4, "thrown": 0.28, moving: 0.32})


def _draw_material(rng: np.random.Generator, role: str, tank_materials: list[str]) -> str:
    """Uniform, except that the second object in a tank floats if the first sank, and vice versa."""
    options: tuple[str, ...] = MATERIALS
    if role == "tank" and len(tank_materials) == 1:
        options = SINKERS if tank_materials[0] in FLOATERS else FLOATERS
    return options[int(rng.integers(len(options)))]


def _draw_color(rng: np.random.Generator, used: set[str]) -> str:
    """A colour no other object in the scene has, while there are any left."""
    free = [c for c in COLORS if c not in used] or list(COLORS)
    return free[int(rng.integers(len(free)))]


# --- characters and dialogue ------------------------------------------------------------------------


def _sample_characters(
    rng: np.random.Generator, spec: SceneSpec, stage: Stage, paths: tuple[Path, ...]
) -> tuple[Character, ...] | None:
    """0-2 characters on the floor, clear of the tank, each other and where objects start and fly.

    None when a required character (fixed, or needed by fixed dialogue) finds no room.
    """
    u = rng.random()
    speakers = [line.speaker for line in spec.dialogue or () if line.speaker is not None]
    need = max([*speakers, 0]) + 1 if spec.dialogue else 0  # characters the fixed dialogue speaks through
    if spec.characters is not None:
        ids = [int(k) for k in spec.characters]
        need = len(ids)
    else:
        n = max(need, 0 if u < 0.4 else 1 if u < 0.75 else 2)
        ids = [int(k) for k in rng.choice(NUM_IDENTITIES, size=n, replace=False)]
    boxes: list[Box] = [tank_box(stage.tank)] if stage.tank else []
    placed = [
        (k, place_character(rng, identity(k).body, identity(k).height, stage, boxes, paths)) for k in ids
    ]
    if any(x is None for _, x in placed[:need]):
        return None
    # a drawn character that finds no free spot is left out (only the drawn ones can be missing)
    ids, xs = [k for k, x in placed if x is not None], [x for _, x in placed if x is not None]
    chars = []
    for i, (k, x) in enumerate(zip(ids, xs, strict=True)):
        others = [xo for j, xo in enumerate(xs) if j != i]
        look_at = sum(others) / len(others) if others else stage.width / 2
        chars.append(identity(k).character(f"char{i}", x, facing=1 if look_at >= x else -1))
    return tuple(chars)


def estimate_speech_seconds(text: str, rate: int) -> float:
    """Rough length of a spoken line: words at `rate` words per minute plus a short tail."""
    return len(text.split()) * 60.0 / rate + 0.35


def _sample_dialogue(
    rng: np.random.Generator, spec: SceneSpec, chars: tuple[Character, ...], duration: float
) -> tuple[Line, ...]:
    """With probability ~0.65 when someone is there (~0.4 of scenes), 1-2 short non-overlapping lines."""
    u, u_two, u_other = rng.random(3)
    picks = rng.choice(len(DIALOGUE_LINES), size=2, replace=False)
    first, second = (int(i) for i in rng.integers(len(chars) or 1, size=2))
    if spec.dialogue is not None:
        specs = list(spec.dialogue)
        speakers = [s.speaker if s.speaker is not None else i % len(chars) for i, s in enumerate(specs)]
    elif not chars or u >= 0.65:
        return ()
    else:
        specs = [LineSpec(DIALOGUE_LINES[int(i)]) for i in picks[: 1 if u_two < 0.55 else 2]]
        if len(chars) > 1 and u_other < 0.8 and second == first:
            second = (first + 1) % len(chars)  # mostly a reply from someone else
        speakers = [first, second][: len(specs)]
    gaps = rng.uniform(0.25, 0.6, size=len(specs))
    while specs:
        lengths = [
            estimate_speech_seconds(s.text, chars[k].voice.rate)
            for s, k in zip(specs, speakers, strict=False)
        ]
        slack = duration - 0.4 - sum(lengths) - float(gaps[: len(specs) - 1].sum())
        if slack >= 0:
            break
        if spec.dialogue is not None:
            raise ValueError(f"dialogue needs about {duration - slack:.1f} s but the scene lasts {duration:g} s; "
                             "use fewer or shorter lines or a longer duration")  # fmt: skip
        specs.pop()
    if not specs:
        return ()
    t = 0.2 + float(rng.uniform(0.0, slack))
    lines = []
    for s, k, length, gap in zip(specs, speakers, lengths, gaps, strict=False):
        lines.append(Line(character=chars[k].id, text=s.text, start=round(t, 2)))
        t = round(t, 2) + length + float(gap)
    return tuple(lines)


# --- shots ------------------------------------------------------------------------------------------


def _sample_shots(rng: np.random.Generator, spec: SceneSpec, scene: Scene) -> tuple[Shot, ...]:
    """70 %: one wide shot. 30 %: 2-3 shots (wide, then close-ups and reverse angles), cuts >= 1 s apart."""
    ids = [b.id for b in (*scene.objects, *scene.characters)]
    if spec.shots is not None:
        for i, s in enumerate(spec.shots):
            if s.target is not None and s.target not in ids:
                raise ValueError(f"shots[{i}].target {s.target!r} is not in the scene; ids: {ids}")
            if s.framing == "close" and s.target is None:
                raise ValueError(f"shots[{i}]: a close shot needs a target; ids: {ids}")
        return spec.shots
    u, u_n = rng.random(2)
    max_n = max(1, int(scene.duration))
    n = spec.n_shots if spec.n_shots is not None else 1 if u < 0.7 else min(max_n, 2 if u_n < 0.5 else 3)
    if n == 1:
        return (Shot(0.0),)
    # every shot lasts 1 s plus a random share of the rest; cuts rounded down to 0.01 s stay >= 1 s apart
    lengths = 1.0 + (scene.duration - n) * rng.dirichlet(np.ones(n))
    starts = [0.0, *(math.floor(float(v) * 100 + 1e-6) / 100 for v in np.cumsum(lengths)[:-1])]
    shots = [Shot(0.0, "wide")]
    for i, start in enumerate(starts[1:], start=1):
        end = starts[i + 1] if i + 1 < n else scene.duration
        prev = shots[-1].framing
        weights = {"close": 0.55, "reverse": 0.3, "wide": 0.15}
        framing = _pick(rng, {k: 0.0 if k == prev != "close" else w for k, w in weights.items()})
        target = _close_target(rng, scene, start, end, avoid=shots[-1].target) if framing == "close" else None
        if framing == "close" and target is None:  # nothing (new) to show close up
            framing = "reverse" if prev != "reverse" else "wide"
        shots.append(Shot(start, framing, target))  # type: ignore[arg-type]
    return tuple(shots)


def _close_target(
    rng: np.random.Generator, scene: Scene, start: float, end: float, avoid: str | None
) -> str | None:
    """Who a close-up shows: mostly whoever speaks during the shot, else any object or character.

    Never `avoid` (the previous close-up's subject): a cut between two close-ups of one thing shows nothing new.
    """
    speakers = [
        line.character for line in scene.dialogue if start <= line.start < end and line.character != avoid
    ]
    if speakers and rng.random() < 0.8:
        return speakers[0]
    ids = [b.id for b in (*scene.objects, *scene.characters) if b.id != avoid]
    return ids[int(rng.integers(len(ids)))] if ids else None
