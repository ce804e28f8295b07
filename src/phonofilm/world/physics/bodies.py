"""Bodies and static geometry of the 2D side view, and the narrow-phase distance queries between them.

Balls are circles that rotate. Cubes and bricks are axis-aligned boxes that never rotate: without
rotation a box contact is a single point with a fixed normal, so stacks cannot tip or jitter, and the
solver stays a few lines. Every query returns the signed gap `d` (negative = overlap), the unit normal
pointing from the second shape to the first, and a contact point on the second shape's surface.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from phonofilm.world import state
from phonofilm.world.physics.materials import STATIC_PHYSICS, MaterialPhysics, SurfacePhysics, material
from phonofilm.world.scene import Scene, SceneObject

HELD, AWAKE, ASLEEP = 0, 1, 2
BALL_INERTIA = 0.4  # I = 0.4·m·r²: a ball looks like a solid sphere, so it rolls like one (a = 5/7·g·sinθ)
BACKBOARD_THICKNESS = 0.05  # m, behind the board's face
RIM_RADIUS = 0.02  # m, the rim tube seen end-on
TANK_GLASS = 0.02  # m, thickness of the tank's side walls, centred on x_min and x_max

Gap = tuple[float, float, float, float, float]  # d, nx, ny, px, py


class Body:
    """The mutable state of one scene object during a simulation (internal to the physics package)."""

    __slots__ = (
        "angle",
        "area",
        "circle",
        "contacts",
        "floor",
        "hx",
        "hy",
        "id",
        "ii",
        "im",
        "index",
        "inv_i",
        "inv_m",
        "launch",
        "m",
        "mat",
        "pvx",
        "pvy",
        "r",
        "reach",
        "release",
        "state",
        "still",
        "touching",
        "vx",
        "vy",
        "w",
        "x",
        "x0",
        "y",
        "y0",
    )

    def __init__(self, index: int, obj: SceneObject) -> None:
        where = f"scene.objects[{index}] ({obj.id!r})"
        if not obj.size > 0:
            raise ValueError(f"{where}: size must be > 0 metres, got {obj.size!r}")
        self.index, self.id = index, obj.id
        self.mat: MaterialPhysics = material(obj.material, where)
        self.circle = obj.shape == "ball"
        if obj.shape == "ball":
            self.r = self.hx = self.hy = obj.size
            self.area = math.pi * obj.size**2
        elif obj.shape == "cube":
            self.r, self.hx, self.hy = 0.0, obj.size, obj.size
            self.area = 4.0 * obj.size**2
        elif obj.shape == "brick":
            self.r, self.hx, self.hy = 0.0, 2.0 * obj.size, obj.size
            self.area = 8.0 * obj.size**2
        else:
            raise ValueError(f"{where}: unknown shape {obj.shape!r}; allowed: ball, cube, brick")
        self.m = self.mat.density * self.area  # kg per metre of depth: the world is a 2D slice
        self.inv_m = 1.0 / self.m
        self.inv_i = 1.0 / (BALL_INERTIA * self.m * self.r**2) if self.circle else 0.0
        self.x, self.y = float(obj.x), float(obj.y)
        self.x0, self.y0 = self.x, self.y
        self.vx = self.vy = self.w = self.angle = 0.0
        self.pvx = self.pvy = 0.0  # velocity before this step's forces (what a bounce reflects)
        self.launch = (float(obj.vx), float(obj.vy), float(obj.spin) if self.circle else 0.0)
        self.release = float(obj.release)
        self.state = HELD
        self.im = self.ii = 0.0  # effective inverse mass / inertia this step: 0 while held or asleep
        self.still = 0.0  # seconds spent nearly motionless (for sleeping)
        self.touching = False  # had a supporting contact this step
        self.contacts = 0  # contacts (touching or speculative) in the last step
        self.reach = 0.0  # m/s: bound on its speed after this step's collisions (for contact margins)
        self.floor: object = None  # the last step's floor contact, if it pushed

    def set_state(self, new: int) -> None:
        """Hold, wake or put to sleep; only awake bodies move and feel impulses."""
        self.state = new
        awake = new == AWAKE
        self.im = self.inv_m if awake else 0.0
        self.ii = self.inv_i if awake else 0.0
        if not awake:
            self.vx = self.vy = self.w = 0.0
        self.pvx, self.pvy = self.vx, self.vy
        self.still = 0.0
        self.contacts = 0
        self.floor = None
        self.x0, self.y0 = self.x, self.y

    def release_now(self) -> None:
        """Let go: the body starts moving with its launch velocity and spin."""
        self.set_state(AWAKE)
        self.vx, self.vy, self.w = self.launch
        self.pvx, self.pvy = self.vx, self.vy


def build_bodies(scene: Scene) -> list[Body]:
    """One Body per scene object, in scene order (the order fixes the solver order: determinism)."""
    ids = [o.id for o in scene.objects]
    if len(set(ids)) != len(ids):
        raise ValueError(f"scene.objects: ids must be unique, got {ids}")
    return [Body(i, o) for i, o in enumerate(scene.objects)]


@dataclass(frozen=True)
class StaticBox:
    """A static axis-aligned rectangle (backboard, tank glass)."""

    sid: str
    x: float
    y: float
    hx: float
    hy: float
    surface: SurfacePhysics


@dataclass(frozen=True)
class StaticCircle:
    """A static circle (the rim's two ends seen from the side)."""

    sid: str
    x: float
    y: float
    r: float
    surface: SurfacePhysics


def static_shapes(scene: Scene) -> tuple[tuple[StaticBox, ...], tuple[StaticCircle, ...]]:
    """The backboard, rim ends and tank glass of the stage (floor and side walls are handled as planes)."""
    boxes: list[StaticBox] = []
    circles: list[StaticCircle] = []
    hoop, tank = scene.stage.hoop, scene.stage.tank
    if hoop is not None:
        if hoop.side not in (1, -1):
            raise ValueError(f"stage.hoop.side must be +1 or -1, got {hoop.side!r}")
        half = BACKBOARD_THICKNESS / 2
        boxes.append(
            StaticBox(
                state.BACKBOARD,
                hoop.x + hoop.side * half,
                hoop.board_bottom + hoop.board_height / 2,
                half,
                hoop.board_height / 2,
                STATIC_PHYSICS[state.BACKBOARD],
            )
        )
        rim = STATIC_PHYSICS[state.RIM]
        near = min(RIM_RADIUS * 1.5, hoop.rim_length / 2)  # the ring's near end, just off the board's face
        circles.append(
            StaticCircle(state.RIM, hoop.x - hoop.side * hoop.rim_length, hoop.rim_height, RIM_RADIUS, rim)
        )
        circles.append(StaticCircle(state.RIM, hoop.x - hoop.side * near, hoop.rim_height, RIM_RADIUS, rim))
    if tank is not None:
        if not (tank.x_min < tank.x_max and 0 <= tank.water_level <= tank.height):
            raise ValueError(f"stage.tank needs x_min < x_max and 0 <= water_level <= height, got {tank}")
        glass = STATIC_PHYSICS[state.TANK_WALL]
        for x in (tank.x_min, tank.x_max):
            boxes.append(
                StaticBox(state.TANK_WALL, x, tank.height / 2, TANK_GLASS / 2, tank.height / 2, glass)
            )
    return tuple(boxes), tuple(circles)


# --- narrow phase: signed gap, normal (second → first), contact point ----------------------------------


def circle_circle(ax: float, ay: float, ar: float, bx: float, by: float, br: float) -> Gap:
    """Gap between two circles; the contact point lies on circle b."""
    dx, dy = ax - bx, ay - by
    dist = math.sqrt(dx * dx + dy * dy)
    if dist < 1e-12:  # coincident centres: any normal is right, up is the least surprising
        nx, ny = 0.0, 1.0
    else:
        nx, ny = dx / dist, dy / dist
    return dist - ar - br, nx, ny, bx + nx * br, by + ny * br


def circle_box(cx: float, cy: float, r: float, bx: float, by: float, hx: float, hy: float) -> Gap:
    """Gap between a circle and an axis-aligned box; normal from box to circle, point on the box."""
    dx, dy = cx - bx, cy - by
    qx = min(max(dx, -hx), hx)
    qy = min(max(dy, -hy), hy)
    if qx != dx or qy != dy:  # centre outside the box: nearest point on the boundary
        ex, ey = dx - qx, dy - qy
        dist = math.sqrt(ex * ex + ey * ey)
        return dist - r, ex / dist, ey / dist, bx + qx, by + qy
    # centre inside the box: leave through the nearest face
    ox, oy = hx - abs(dx), hy - abs(dy)
    if ox < oy:
        s = 1.0 if dx >= 0 else -1.0
        return -ox - r, s, 0.0, bx + s * hx, cy
    s = 1.0 if dy >= 0 else -1.0
    return -oy - r, 0.0, s, cx, by + s * hy


def box_box(
    ax: float, ay: float, ahx: float, ahy: float, bx: float, by: float, bhx: float, bhy: float
) -> Gap:
    """Gap between two axis-aligned boxes along the axis of least overlap (or largest separation)."""
    dx, dy = ax - bx, ay - by
    gx = abs(dx) - ahx - bhx
    gy = abs(dy) - ahy - bhy
    if gx > gy:  # separated more (or overlapping less) along x: the contact faces are vertical
        s = 1.0 if dx >= 0 else -1.0
        lo, hi = max(ay - ahy, by - bhy), min(ay + ahy, by + bhy)
        return gx, s, 0.0, bx + s * bhx, 0.5 * (lo + hi)
    s = 1.0 if dy >= 0 else -1.0
    lo, hi = max(ax - ahx, bx - bhx), min(ax + ahx, bx + bhx)
    return gy, 0.0, s, 0.5 * (lo + hi), by + s * bhy
