"""Where things start: the hoop and tank, and objects placed inside the stage without overlaps.

Geometry as physics and rendering use it: a ball's half-extents are (r, r), a cube's (s, s), a brick's
(BRICK_ASPECT * s, s); a character is CHARACTER_WIDTH[body] * height wide either side of its x. Starting
boxes keep MARGIN apart; the tank's glass (physics: 2 cm centred on x_min and x_max) is treated as a
TANK_WALL-thick band just outside [x_min, x_max], which also keeps starts a little clear of it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from phonofilm.world.physics.materials import MATERIAL_PHYSICS, WATER_DENSITY
from phonofilm.world.scene import Character, Hoop, SceneObject, Stage, WaterTank

BRICK_ASPECT = 2.0  # a brick is twice as wide as it is tall
TANK_WALL = 0.05  # metres: the band around each tank wall that nothing starts in or flies into
# half-width of a character's body per metre of height (as render/tracks.py draws them)
CHARACTER_WIDTH = {"blob": 0.46, "tall": 0.24, "square": 0.37}
MARGIN = 0.05  # free space kept between starting boxes
DROP_HEIGHT = (0.8, 3.0)  # centre height of a dropped object, metres
P_HOOP, P_TANK, P_TANK_WITH_HOOP = 0.3, 0.25, 0.1
HOOP_AIMS = {"board": 0.45, "rim": 0.3, "miss": 0.25}  # where a throw at the hoop is aimed
PLACE_TRIES = 300  # positions tried for one object within one layout
LAYOUT_ROUNDS = 4  # layouts drawn afresh before an object that finds no room is shrunk or left out
SHRINK = 0.85  # a drawn size that does not fit shrinks by this factor at a time


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in metres."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, margin: float = 0.0) -> bool:
        """Whether the boxes come closer than `margin`."""
        return (self.x0 < other.x1 + margin and other.x0 < self.x1 + margin
                and self.y0 < other.y1 + margin and other.y0 < self.y1 + margin)  # fmt: skip


@dataclass(frozen=True)
class ObjectPlan:
    """An object with every attribute decided but its position. role: "free", "tank" or "hoop".

    What placement may change when the object finds no room: shrink it down to `min_size` (None: its size
    was asked for and stays), and leave it out unless `keep` (it, or the number of objects, was asked for).
    """

    shape: str
    color: str
    material: str
    action: str
    size: float
    role: str = "free"
    min_size: float | None = None
    keep: bool = True


@dataclass(frozen=True)
class Path:
    """Points an object's centre passes through early in its motion, with its half-extents."""

    points: np.ndarray  # [K, 2] metres
    hw: float
    hh: float


def half_extents(shape: str, size: float) -> tuple[float, float]:
    """(half-width, half-height) of an object's bounding box, metres."""
    return (BRICK_ASPECT * size, size) if shape == "brick" else (size, size)


def character_half_width(body: str, height: float) -> float:
    """Half-width of the box a character with this body and height occupies."""
    return CHARACTER_WIDTH[body] * height


def relative_density(material: str) -> float:
    """Density relative to water, from the physics tables: below 1 floats, above 1 sinks."""
    return MATERIAL_PHYSICS[material].density / WATER_DENSITY


def object_box(o: SceneObject) -> Box:
    """The starting bounding box of an object."""
    hw, hh = half_extents(o.shape, o.size)
    return Box(o.x - hw, o.y - hh, o.x + hw, o.y + hh)


def character_box(c: Character) -> Box:
    """The box a standing character occupies."""
    hw = character_half_width(c.body, c.height)
    return Box(c.x - hw, 0.0, c.x + hw, c.height)


def tank_box(tank: WaterTank) -> Box:
    """The tank with its walls."""
    return Box(tank.x_min - TANK_WALL, 0.0, tank.x_max + TANK_WALL, tank.height)


def hoop_box(hoop: Hoop, stage: Stage) -> Box:
    """The space around board and rim (up to the ceiling) where nothing may start."""
    reach = hoop.rim_length + 0.15
    y0 = hoop.rim_height - 0.15
    if hoop.side > 0:
        return Box(hoop.x - reach, y0, stage.width, stage.height)
    return Box(0.0, y0, hoop.x + reach, stage.height)


def _r(v: float, nd: int = 3) -> float:
    return float(round(float(v), nd))


# --- fixtures ---------------------------------------------------------------------------------------


def sample_fixtures(
    rng: np.random.Generator, stage: Stage, with_hoop: bool | None, with_tank: bool | None
) -> tuple[Hoop | None, WaterTank | None]:
    """A basketball hoop on one wall and/or a water tank on the floor, apart from each other."""
    u_hoop, u_tank = rng.random(2)  # always drawn, so fixing one does not shift the other
    has_hoop = bool(with_hoop) if with_hoop is not None else bool(u_hoop < P_HOOP)
    p_tank = P_TANK_WITH_HOOP if has_hoop else P_TANK
    has_tank = bool(with_tank) if with_tank is not None else bool(u_tank < p_tank)
    hoop = _sample_hoop(rng, stage) if has_hoop else None
    tank = _sample_tank(rng, stage, hoop) if has_tank else None
    return hoop, tank


def _sample_hoop(rng: np.random.Generator, stage: Stage) -> Hoop:
    side = 1 if rng.random() < 0.5 else -1
    bottom = rng.uniform(2.6, 2.95)
    return Hoop(
        x=_r(stage.width - 0.12 if side > 0 else 0.12),
        board_bottom=_r(bottom),
        board_height=_r(rng.uniform(0.9, 1.1)),
        rim_height=_r(bottom + rng.uniform(0.1, 0.25)),
        rim_length=_r(rng.uniform(0.4, 0.5)),
        side=side,
    )


def _sample_tank(rng: np.random.Generator, stage: Stage, hoop: Hoop | None) -> WaterTank:
    width = rng.uniform(1.6, 2.6)
    height = rng.uniform(0.9, 1.3)
    lo, hi = 1.2, stage.width - 1.2 - width
    if hoop is not None:  # keep the thrower's spot and the space under the hoop free
        if hoop.side > 0:
            lo, hi = max(lo, 1.6), min(hi, hoop.x - hoop.rim_length - 1.2 - width)
        else:
            lo, hi = max(lo, hoop.x + hoop.rim_length + 1.2), min(hi, stage.width - 1.6 - width)
    x_min = rng.uniform(lo, max(lo, hi))
    return WaterTank(_r(x_min), _r(x_min + width), _r(height), _r(height * rng.uniform(0.6, 0.8)))


# --- objects ----------------------------------------------------------------------------------------


def place_objects(
    rng: np.random.Generator, plans: list[ObjectPlan], stage: Stage, duration: float, gravity: float = 9.81
) -> tuple[tuple[SceneObject, ...], tuple[Path, ...]]:
    """Give every planned object a non-overlapping start and an initial motion; also its early path.

    When an object finds no room, the whole layout is drawn again (LAYOUT_ROUNDS times), then the object
    shrinks (by SHRINK, down to its min_size), then it stops aiming at the hoop or the tank, then it is
    left out (unless it must be kept); only an object that must be kept at its asked-for size can make
    this fail. The remaining objects are numbered
    obj0, obj1, ... in plan order. All of it is drawn from `rng`: the same inputs give the same layout.
    """
    plans, names = list(plans), list(range(len(plans)))  # names: plan indices, for the error message
    misses = [0] * len(plans)  # failed layouts since the object last changed
    while True:
        failed = _layout(rng, plans, stage, duration, gravity)
        if not isinstance(failed, int):  # all placed
            return failed, tuple(early_path(o, gravity) for o in failed)
        misses[failed] += 1
        if misses[failed] < LAYOUT_ROUNDS:
            continue  # a fresh layout may leave room
        plan, misses[failed] = plans[failed], 0
        if plan.min_size is not None and plan.size > plan.min_size:
            plans[failed] = dataclasses.replace(plan, size=_r(max(plan.size * SHRINK, plan.min_size)))
        elif plan.role != "free":  # aimed at the hoop or the tank from a crowded spot: aim anywhere
            plans[failed] = dataclasses.replace(plan, role="free")
        elif not plan.keep:
            for column in (plans, names, misses):
                del column[failed]
        else:
            raise ValueError(
                f"could not place obj{names[failed]} ({plan.color} {plan.material} {plan.shape}, "
                f"{plan.action}) without overlapping others; ask for fewer or smaller objects"
            )


def _layout(
    rng: np.random.Generator, plans: list[ObjectPlan], stage: Stage, duration: float, gravity: float
) -> tuple[SceneObject, ...] | int:
    """Every object placed (in plan order), or the index of the first one that found no room."""
    obstacles = [tank_box(stage.tank)] if stage.tank else []
    if stage.hoop:
        obstacles.append(hoop_box(stage.hoop, stage))
    rank = {"tank": 0, "hoop": 1}  # the most constrained first
    order = sorted(range(len(plans)), key=lambda i: (rank.get(plans[i].role, 2), plans[i].action, i))
    placed: dict[int, SceneObject] = {}
    for i in order:
        for _ in range(PLACE_TRIES):
            obj = _propose(rng, plans[i], f"obj{i}", stage, duration, gravity)
            if _fits(obj, obstacles, stage, gravity):
                placed[i] = obj
                obstacles.append(object_box(obj))
                break
        else:
            return i
    return tuple(placed[i] for i in range(len(plans)))


def _fits(o: SceneObject, obstacles: list[Box], stage: Stage, gravity: float) -> bool:
    box = object_box(o)
    inside = box.x0 >= MARGIN and box.x1 <= stage.width - MARGIN and box.y0 >= -1e-9
    if not inside or box.y1 > stage.height - MARGIN:
        return False
    if any(box.overlaps(b, MARGIN) for b in obstacles):
        return False
    tank = stage.tank
    if tank is None:
        return True
    hw, hh = half_extents(o.shape, o.size)
    pts = early_path(o, gravity).points
    pts = pts[pts[:, 1] >= tank.water_level]  # under water the object is slow; only its flight matters
    low = pts[:, 1] < tank.height + hh
    # Nothing may start its motion straight into a tank wall (on the way in, over the rim, is fine).
    for a, b in ((tank.x_min - TANK_WALL, tank.x_min), (tank.x_max, tank.x_max + TANK_WALL)):
        if np.any(low & (pts[:, 0] + hw > a) & (pts[:, 0] - hw < b)):
            return False
    return True


def _propose(
    rng: np.random.Generator, plan: ObjectPlan, oid: str, stage: Stage, duration: float, g: float
) -> SceneObject:
    hw, hh = half_extents(plan.shape, plan.size)
    base = dict(id=oid, shape=plan.shape, color=plan.color, material=plan.material, size=plan.size,
                action=plan.action)  # fmt: skip
    if plan.action == "dropped":
        x_lo, x_hi = hw + MARGIN, stage.width - hw - MARGIN
        y_lo = DROP_HEIGHT[0]
        if plan.role == "tank" and stage.tank:
            tank = stage.tank
            x_lo, x_hi = tank.x_min + hw + MARGIN, tank.x_max - hw - MARGIN
            y_lo = max(y_lo, tank.height + hh + 0.25)
        y_hi = min(DROP_HEIGHT[1], stage.height - hh - 0.1)
        return SceneObject(**base, x=_r(rng.uniform(x_lo, x_hi)), y=_r(rng.uniform(y_lo, y_hi)),
                           release=_r(rng.uniform(0.0, duration / 2), 2))  # fmt: skip
    if plan.action == "thrown":
        x, y, vx, vy = _throw(rng, plan, stage, hw, hh, g)
        spin = rng.uniform(-4.0, 4.0) if plan.shape == "ball" else rng.uniform(-6.0, 6.0)
        return SceneObject(**base, x=_r(x), y=_r(y), vx=_r(vx), vy=_r(vy), spin=_r(spin),
                           release=_r(rng.uniform(0.0, min(1.0, duration / 4)), 2))  # fmt: skip
    x = rng.uniform(hw + 0.2, stage.width - hw - 0.2)
    towards = 1.0 if x < stage.width / 2 else -1.0  # mostly towards the far wall, so it travels
    if rng.random() < 0.2:
        towards = -towards
    lo, hi = (1.0, 3.5) if plan.action == "rolled" else (1.5, 4.0)
    vx = _r(towards * rng.uniform(lo, hi))
    spin = _r(-vx / plan.size, 4) if plan.action == "rolled" else 0.0  # rolling without slipping
    return SceneObject(**base, x=_r(x), y=_r(hh), vx=vx, spin=spin,
                       release=_r(rng.uniform(0.0, min(1.0, duration / 4)), 2))  # fmt: skip


def _throw(
    rng: np.random.Generator, plan: ObjectPlan, stage: Stage, hw: float, hh: float, g: float
) -> tuple[float, float, float, float]:
    """Start (x, y) near one side and launch velocity (vx, vy): at the hoop, into the tank or across."""
    hoop, tank = stage.hoop, stage.tank
    if plan.role == "hoop" and hoop is not None:
        from_left = hoop.side > 0
    elif plan.role == "tank" and tank is not None:
        from_left = (tank.x_min + tank.x_max) / 2 > stage.width / 2
    else:
        from_left = rng.random() < 0.5
    offset = hw + rng.uniform(0.3, 1.2)
    x0 = offset if from_left else stage.width - offset
    y0 = rng.uniform(0.8, 1.8)
    ceiling = stage.height - hh - 0.1
    if plan.role == "hoop" and hoop is not None:
        xt, yt = _hoop_target(rng, hoop, hw, hh)
        return (x0, y0, *_aim(rng, x0, y0, xt, yt, ceiling, g))
    if plan.role == "tank" and tank is not None:
        inner = tank.x_max - tank.x_min - 2 * hw
        xt = (tank.x_min + tank.x_max) / 2 + rng.uniform(-0.3, 0.3) * inner
        return (x0, y0, *_aim(rng, x0, y0, xt, tank.height + hh, ceiling, g))
    direction = 1.0 if from_left else -1.0
    return x0, y0, direction * rng.uniform(2.0, 5.0), rng.uniform(1.0, 4.5)


def _hoop_target(rng: np.random.Generator, hoop: Hoop, hw: float, hh: float) -> tuple[float, float]:
    """Where the throw's centre should arrive: on the board, at the rim, or short of the hoop (a miss)."""
    names = list(HOOP_AIMS)
    aim = names[int(rng.choice(len(names), p=list(HOOP_AIMS.values())))]
    front = -hoop.side  # from the board towards the stage
    if aim == "board":
        top = hoop.board_bottom + hoop.board_height - hh - 0.05
        return hoop.x + front * (hw + 0.02), rng.uniform(min(hoop.rim_height + 0.2, top), top)
    if aim == "rim":
        return hoop.x + front * hoop.rim_length * rng.uniform(0.3, 0.7), hoop.rim_height + hh + 0.05
    return hoop.x + front * (hoop.rim_length + rng.uniform(0.5, 1.5)), hoop.rim_height - rng.uniform(0.0, 0.5)


def _aim(
    rng: np.random.Generator, x0: float, y0: float, xt: float, yt: float, ceiling: float, g: float
) -> tuple[float, float]:
    """Launch velocity reaching (xt, yt) on the way down, with the apex below `ceiling`."""
    dy = yt - y0
    t_down = math.sqrt(2.0 * max(dy, 0.0) / g) + 0.1  # later than this, the object arrives descending
    t = rng.uniform(max(0.7, t_down), max(0.7, t_down) + 0.5)
    while True:
        vx, vy = (xt - x0) / t, dy / t + 0.5 * g * t
        apex = y0 + max(vy, 0.0) ** 2 / (2.0 * g)
        if apex <= ceiling or t <= t_down:
            return vx, vy
        t = max(t_down, t * 0.92)  # a shorter flight is a flatter one


def early_path(o: SceneObject, gravity: float = 9.81) -> Path:
    """Points the centre passes through from release until it first reaches the floor (or ~2 m of travel)."""
    hw, hh = half_extents(o.shape, o.size)
    if o.action == "dropped":
        ys = np.linspace(o.y, hh, 24)
        pts = np.stack([np.full_like(ys, o.x), ys], axis=-1)
    elif o.action == "thrown":
        # time until the centre is back at height hh: the larger root of y0 + vy t - g t^2 / 2 = hh
        t_land = (o.vy + math.sqrt(o.vy**2 + 2.0 * gravity * max(o.y - hh, 0.0))) / gravity
        t = np.linspace(0.0, t_land, 48)
        pts = np.stack([o.x + o.vx * t, o.y + o.vy * t - 0.5 * gravity * t**2], axis=-1)
    else:
        xs = np.linspace(o.x, o.x + math.copysign(min(2.0, abs(o.vx)), o.vx), 16)
        pts = np.stack([xs, np.full_like(xs, o.y)], axis=-1)
    return Path(pts, hw, hh)


# --- characters ------------------------------------------------------------------------------------


def place_character(
    rng: np.random.Generator,
    body: str,
    height: float,
    stage: Stage,
    boxes: list[Box],
    paths: tuple[Path, ...],
) -> float | None:
    """An x clear of `boxes` (appended to) and of where objects start and fly; None if there is no room."""
    hw = character_half_width(body, height)
    for attempt in range(2 * PLACE_TRIES):
        strict = attempt < PLACE_TRIES  # after that, only avoid where objects start, not where they fly
        x = _r(rng.uniform(0.4 + hw, stage.width - 0.4 - hw))
        box = Box(x - hw, 0.0, x + hw, height + 0.1)
        if any(box.overlaps(b, 0.25) for b in boxes):
            continue
        if all(_clear(box, p, strict) for p in paths):
            boxes.append(box)
            return x
    return None


def _clear(box: Box, path: Path, whole_path: bool) -> bool:
    pts = path.points if whole_path else path.points[:1]
    inside_x = (pts[:, 0] + path.hw + 0.1 > box.x0) & (pts[:, 0] - path.hw - 0.1 < box.x1)
    inside_y = pts[:, 1] - path.hh - 0.1 < box.y1
    return not np.any(inside_x & inside_y)
