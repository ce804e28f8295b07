"""Contact generation: which pairs are touching or about to touch this step (speculative contacts).

A contact is made as soon as two shapes are closer than the distance they could close in one step (plus a
small margin). The solver then lets them approach by exactly the remaining gap, so fast bodies cannot
tunnel through the thin backboard or tank glass, and nothing sinks into anything between steps.
"""

from __future__ import annotations

from dataclasses import dataclass

from phonofilm.world import state
from phonofilm.world.physics.bodies import (
    ASLEEP,
    AWAKE,
    Body,
    Gap,
    StaticBox,
    StaticCircle,
    box_box,
    circle_box,
    circle_circle,
)
from phonofilm.world.physics.materials import STATIC_PHYSICS, SurfacePhysics, combine
from phonofilm.world.scene import WaterTank

SPECULATIVE_MARGIN = 0.004  # m: contacts are made this much before shapes could touch
WAKE_SPEED = 0.1  # m/s: an awake body hitting or sliding past a sleeping one faster than this wakes it
BOX_ON_BALL = 0.5  # normal y above which a box lies on a ball: that contact is frictionless (boxes never tip)

Coef = tuple[
    float, float, float
]  # restitution, friction, rolling·radius (the limit torque per unit normal force)

# Contact keys name the other side: a body index (>= 0) or one of these static codes (< 0).
FLOOR_CODE, TANK_FLOOR_CODE, WALL_LEFT_CODE, WALL_RIGHT_CODE = -1, -2, -3, -4
BOX_CODE0, CIRCLE_CODE0 = -100, -200


@dataclass(frozen=True)
class Geometry:
    """The static world: floor plane, side walls, static boxes and circles, the tank."""

    width: float
    walls: bool
    floor: SurfacePhysics
    tank_floor: SurfacePhysics
    boxes: tuple[StaticBox, ...]
    circles: tuple[StaticCircle, ...]
    tank: WaterTank | None


class Contact:
    """One contact point between an awake body `a` and a body or static surface; normal points b → a."""

    __slots__ = (
        "a",
        "b",
        "bias",
        "bounce",
        "d",
        "e",
        "fresh",
        "jn",
        "jr",
        "jt",
        "key",
        "mass_n",
        "mass_r",
        "mass_t",
        "mu",
        "nx",
        "ny",
        "pair",
        "px",
        "py",
        "rax",
        "ray",
        "rbx",
        "rby",
        "rr",
        "sid",
        "vn0",
    )

    def __init__(self, a: Body, b: Body | None, key: tuple[int, int], sid: str, gap: Gap, coef: Coef) -> None:
        self.a, self.b, self.key, self.sid = a, b, key, sid
        # the unordered pair: which body is `a` may change from step to step, the pair stays the same
        self.pair = key if b is None or key[0] < key[1] else (key[1], key[0])
        self.fresh = True  # not touched within the last moment (set by the solver's prepare)
        self.d, self.nx, self.ny, self.px, self.py = gap
        self.e, self.mu, self.rr = coef
        self.rax, self.ray = self.px - a.x, self.py - a.y
        if b is not None:
            self.rbx, self.rby = self.px - b.x, self.py - b.y
        else:
            self.rbx = self.rby = 0.0
        self.jn = self.jt = self.jr = 0.0
        self.bias = self.bounce = self.vn0 = self.mass_n = self.mass_t = self.mass_r = 0.0


def _pair_gap(a: Body, b: Body) -> Gap:
    """Signed gap, normal (b → a) and contact point of two bodies."""
    if a.circle and b.circle:
        return circle_circle(a.x, a.y, a.r, b.x, b.y, b.r)
    if a.circle:
        return circle_box(a.x, a.y, a.r, b.x, b.y, b.hx, b.hy)
    if b.circle:
        d, nx, ny, _, _ = circle_box(b.x, b.y, b.r, a.x, a.y, a.hx, a.hy)
        return d, -nx, -ny, b.x - nx * b.r, b.y - ny * b.r
    return box_box(a.x, a.y, a.hx, a.hy, b.x, b.y, b.hx, b.hy)


def _wakes(a: Body, gap: Gap, dt: float) -> bool:
    """Whether awake `a` disturbs a sleeping body: hitting it this step, or sliding along it."""
    d, nx, ny = gap[0], gap[1], gap[2]
    vn = a.vx * nx + a.vy * ny
    if vn < -WAKE_SPEED and d + vn * dt <= 0.0:
        return True
    vt = -a.vx * ny + a.vy * nx
    return d <= SPECULATIVE_MARGIN and abs(vt) > WAKE_SPEED


def coef(a: Body, b: Body | None, surface: SurfacePhysics | None = None) -> Coef:
    """Contact coefficients of body `a` against body `b` or a static `surface`."""
    other = b.mat if b is not None else surface
    assert other is not None, "coef() needs the other body or a static surface"
    phys = combine(a.mat, other)
    # rolling resistance acts on a ball: its limit torque is rolling·N·radius
    radius = a.r if a.circle else (b.r if b is not None and b.circle else 0.0)
    return phys.restitution, phys.friction, phys.rolling * radius


@dataclass(frozen=True)
class StaticTable:
    """One body's contact coefficients against every static surface, plus the features' bounding box."""

    floor: Coef
    tank_floor: Coef
    wall_left: Coef
    wall_right: Coef
    boxes: tuple[tuple[StaticBox, int, Coef], ...]  # (shape, contact code, coefficients)
    circles: tuple[tuple[StaticCircle, int, Coef], ...]
    bounds: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max of boxes and circles


def static_table(a: Body, geom: Geometry) -> StaticTable:
    """Precompute body `a`'s coefficients against the static world (once per simulation)."""
    boxes = tuple((s, BOX_CODE0 - k, coef(a, None, s.surface)) for k, s in enumerate(geom.boxes))
    circles = tuple((s, CIRCLE_CODE0 - k, coef(a, None, s.surface)) for k, s in enumerate(geom.circles))
    xs = [v for s in geom.boxes for v in (s.x - s.hx, s.x + s.hx)] + [
        v for s in geom.circles for v in (s.x - s.r, s.x + s.r)
    ]
    ys = [v for s in geom.boxes for v in (s.y - s.hy, s.y + s.hy)] + [
        v for s in geom.circles for v in (s.y - s.r, s.y + s.r)
    ]
    bounds = (min(xs), max(xs), min(ys), max(ys)) if xs else (0.0, -1.0, 0.0, -1.0)
    return StaticTable(
        coef(a, None, geom.floor),
        coef(a, None, geom.tank_floor),
        coef(a, None, STATIC_PHYSICS[state.WALL_LEFT]),
        coef(a, None, STATIC_PHYSICS[state.WALL_RIGHT]),
        boxes,
        circles,
        bounds,
    )


def body_contacts(
    bodies: list[Body], pairs: list[tuple[Body, Body, Coef, Coef]], dt: float, out: list[Contact]
) -> bool:
    """Contacts between bodies where at least one is awake; first wakes sleeping bodies that get hit.

    `pairs`: every (first, second, coefficients with first as a, with second as a), in scene order.
    Waking comes first (repeated until nothing more wakes) so that a body woken by one pair still gets its
    contacts with every other pair this step. Returns whether any body was woken.
    """
    woke = False
    while True:
        near, more = _near_pairs(bodies, pairs, dt)
        if not more:
            break
        woke = True
    for (bi, bj, cij, cji), margin in near:
        a, b, cf = (bi, bj, cij) if bi.state == AWAKE else (bj, bi, cji)
        gap = _pair_gap(a, b)
        if gap[0] <= margin:
            if a.circle != b.circle and (gap[2] if b.circle else -gap[2]) > BOX_ON_BALL:
                cf = (cf[0], 0.0, 0.0)  # a box cannot balance on a ball: it would tip, here it slides off
            out.append(Contact(a, b, (a.index, b.index), b.id, gap, cf))
    return woke


def _near_pairs(
    bodies: list[Body], pairs: list[tuple[Body, Body, Coef, Coef]], dt: float
) -> tuple[list[tuple[tuple[Body, Body, Coef, Coef], float]], bool]:
    """The pairs with an awake body whose bounding boxes are within reach (with that margin), and whether
    a sleeping body was woken by one.

    A body's `reach` (its speed, set by the caller) first grows by the speed of any neighbour that could
    hit it this step, since a collision can hand it that much: a heavy box landing on a ball must find the
    floor, or the box, under the ball already in the contact list.
    """
    fastest = max(b.reach for b in bodies)
    candidates = []  # pairs close enough for any reach this step: (pair, gap between bounding boxes)
    boost = [0.0] * len(bodies)
    for pair in pairs:
        bi, bj = pair[0], pair[1]
        if bi.state != AWAKE and bj.state != AWAKE:
            continue
        speed = bi.reach + bj.reach
        gap = max(abs(bi.x - bj.x) - bi.hx - bj.hx, abs(bi.y - bj.y) - bi.hy - bj.hy)
        if gap > (speed + 2.0 * fastest) * dt + SPECULATIVE_MARGIN:
            continue
        candidates.append((pair, gap))
        if gap <= speed * dt + SPECULATIVE_MARGIN:
            boost[bi.index] = max(boost[bi.index], speed)
            boost[bj.index] = max(boost[bj.index], speed)
    for b in bodies:
        b.reach = max(b.reach, boost[b.index])
    near = []
    woke = False
    for pair, gap in candidates:
        bi, bj = pair[0], pair[1]
        margin = (bi.reach + bj.reach) * dt + SPECULATIVE_MARGIN
        if gap > margin:
            continue
        near.append((pair, margin))
        si, sj = bi.state, bj.state
        if si == ASLEEP or sj == ASLEEP:
            a, b = (bi, bj) if si == AWAKE else (bj, bi)
            g = _pair_gap(a, b)
            if g[0] <= margin and _wakes(a, g, dt):
                b.set_state(AWAKE)
                woke = True
    return near, woke


def static_contacts(a: Body, geom: Geometry, table: StaticTable, dt: float, out: list[Contact]) -> None:
    """Contacts of awake body `a` with the floor, walls, backboard, rim and tank glass."""
    margin = max(a.reach, abs(a.vx) + abs(a.vy)) * dt + SPECULATIVE_MARGIN
    x, y, hx, hy = a.x, a.y, a.hx, a.hy
    idx = a.index
    if y - hy <= margin:
        tank = geom.tank
        if tank is not None and tank.x_min < x < tank.x_max:
            out.append(
                Contact(
                    a,
                    None,
                    (idx, TANK_FLOOR_CODE),
                    state.TANK_FLOOR,
                    (y - hy, 0.0, 1.0, x, 0.0),
                    table.tank_floor,
                )
            )
        else:
            out.append(
                Contact(a, None, (idx, FLOOR_CODE), state.FLOOR, (y - hy, 0.0, 1.0, x, 0.0), table.floor)
            )
    if geom.walls:
        if x - hx <= margin:
            out.append(
                Contact(
                    a,
                    None,
                    (idx, WALL_LEFT_CODE),
                    state.WALL_LEFT,
                    (x - hx, 1.0, 0.0, 0.0, y),
                    table.wall_left,
                )
            )
        if geom.width - x - hx <= margin:
            out.append(
                Contact(
                    a,
                    None,
                    (idx, WALL_RIGHT_CODE),
                    state.WALL_RIGHT,
                    (geom.width - x - hx, -1.0, 0.0, geom.width, y),
                    table.wall_right,
                )
            )
    x0, x1, y0, y1 = table.bounds
    if x + hx < x0 - margin or x - hx > x1 + margin or y + hy < y0 - margin or y - hy > y1 + margin:
        return  # far from the backboard, rim and tank glass
    for s, code, cf in table.boxes:
        if abs(x - s.x) - hx - s.hx > margin or abs(y - s.y) - hy - s.hy > margin:
            continue
        gap = (
            circle_box(x, y, a.r, s.x, s.y, s.hx, s.hy)
            if a.circle
            else box_box(x, y, hx, hy, s.x, s.y, s.hx, s.hy)
        )
        if gap[0] <= margin:
            out.append(Contact(a, None, (idx, code), s.sid, gap, cf))
    for s, code, cf in table.circles:
        if abs(x - s.x) - hx - s.r > margin or abs(y - s.y) - hy - s.r > margin:
            continue
        if a.circle:
            gap = circle_circle(x, y, a.r, s.x, s.y, s.r)
        else:
            d, nx, ny, _, _ = circle_box(s.x, s.y, s.r, x, y, hx, hy)
            gap = (d, -nx, -ny, s.x - nx * s.r, s.y - ny * s.r)
        if gap[0] <= margin:
            out.append(Contact(a, None, (idx, code), s.sid, gap, cf))
