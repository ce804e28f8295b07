"""Fast path for quiet stretches: while no new contact can form, bodies move in closed form, many steps at once.

Every awake body must be in one of three motions, each with a closed form that equals stepping one by one
(up to float rounding):
- flight: no contact at all; semi-implicit Euler under constant gravity sums exactly;
- glide: on the open floor with the floor as the only contact, either a box sliding (friction saturated:
  constant deceleration μ·g) or a ball rolling without slip (rolling resistance saturated: constant
  deceleration rolling·g·k/(1+k), k = m·r²/I); a glide hands over to normal steps before it stops;
- rest: supported and slower than REST_SPEED: it stays put (as sleep would make it) until just before it
  would fall asleep, which then happens in a normal step.
A conservative bound on how far each body can move, s·t + a·t²/2, against the gaps between bounding
boxes, gives a time during which no new contact can form. With every body asleep or held, nothing moves
until the next release.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from phonofilm.world.physics.bodies import AWAKE, HELD, Body
from phonofilm.world.physics.contacts import SPECULATIVE_MARGIN, Contact
from phonofilm.world.physics.solver import LINEAR_SLOP
from phonofilm.world.physics.world import SLEEP_SPEED, SLEEP_TIME, World


class Motion(NamedTuple):
    """How a body moves through a quiet stretch: kind, speed bound, acceleration bound, glide deceleration."""

    kind: int
    speed: float
    acc: float
    decel: float


GLIDE_STOP = 2.0 * SLEEP_SPEED  # m/s: a glide hands over to normal steps before slowing below this
ROLL_SLIP = 1e-4  # m/s: a ball whose contact point slips slower than this is rolling (solver tolerance)
REST_SPEED = 1e-4  # m/s: a supported body this slow counts as resting
FLY, GLIDE, REST = 0, 1, 2
STILL = Motion(REST, 0.0, 0.0, 0.0)  # how sleeping and held bodies "move"


def _reach_time(gap: float, speed: float, acc: float) -> float:
    """Time until a body moving at `speed` under acceleration `acc` could have covered `gap`."""
    if gap <= 0.0:
        return 0.0
    den = speed + math.sqrt(speed * speed + 2.0 * acc * gap)
    return math.inf if den == 0.0 else 2.0 * gap / den


def _box_gap(a: Body, x: float, y: float, hx: float, hy: float) -> float:
    """Lower bound on the distance between a's bounding box and a box centred at (x, y)."""
    return max(abs(a.x - x) - a.hx - hx, abs(a.y - y) - a.hy - hy)


def _clearance(world: World, a: Body, floor: bool) -> float:
    """Smallest gap between body a and the static features (the floor only if `floor`)."""
    geom = world.geom
    gap = a.y - a.hy if floor else math.inf
    if geom.walls:
        gap = min(gap, a.x - a.hx, geom.width - a.x - a.hx)
    for s in geom.boxes:
        gap = min(gap, _box_gap(a, s.x, s.y, s.hx, s.hy))
    for c in geom.circles:
        gap = min(gap, _box_gap(a, c.x, c.y, c.r, c.r))
    tank = geom.tank
    if tank is not None:
        half = 0.5 * tank.water_level
        gap = min(
            gap, _box_gap(a, 0.5 * (tank.x_min + tank.x_max), half, 0.5 * (tank.x_max - tank.x_min), half)
        )
    return gap


def glide_stop(decel: float, dt: float) -> float:
    """Speed at which a glide hands over to normal steps (well before the last, partial, step)."""
    return max(GLIDE_STOP, 2.0 * decel * dt)


def glide_deceleration(b: Body, g: float, dt: float) -> float | None:
    """Constant deceleration of a body sliding or rolling on the floor, or None if it is not gliding."""
    c = b.floor
    if b.contacts != 1 or not isinstance(c, Contact) or abs(b.vy) > 1e-9 or abs(b.y - b.hy) > LINEAR_SLOP:
        return None
    if not b.circle:
        decel = c.mu * g
    elif abs(b.vx + b.w * _lever(b)) <= ROLL_SLIP and c.rr > 0.0:
        lever = _lever(b)
        k = b.m * lever * lever * b.inv_i
        decel = c.rr / lever * g * k / (1.0 + k)
        if decel > c.mu * g:  # friction could not keep it rolling: not a pure roll
            return None
    else:
        return None
    return decel if decel > 0.0 and abs(b.vx) > glide_stop(decel, dt) else None


def _lever(b: Body) -> float:
    """Distance from a ball's centre to its floor contact point (the radius, less any slop overlap): the
    lever the solver's friction acts on, so rolling without slip is v = −ω·lever."""
    c = b.floor
    assert isinstance(c, Contact)
    return -c.ray


def _motions(world: World) -> dict[int, Motion] | None:
    """The motion of every awake body, or None if one of them is in none of the closed-form motions."""
    g, dt = world.g, world.dt
    out = {}
    for b in world.bodies:
        if b.state != AWAKE:
            continue
        if b.contacts == 0:
            out[b.index] = Motion(FLY, abs(b.vx) + abs(b.vy), g, 0.0)
            continue
        decel = glide_deceleration(b, g, dt)
        if decel is not None:
            out[b.index] = Motion(GLIDE, abs(b.vx), 0.0, decel)
        elif b.touching and max(abs(b.vx), abs(b.vy), abs(b.w * b.r)) <= REST_SPEED:
            out[b.index] = Motion(REST, 0.0, 0.0, 0.0)
        else:
            return None
    return out


def quiet_steps(world: World, t: float, max_steps: int) -> int:
    """How many steps from time t can be taken in closed form (0 if not provably any)."""
    dt = world.dt
    horizon = max_steps * dt
    for b in world.bodies:
        if b.state == HELD:  # stop just before a release; the release itself goes through a normal step
            horizon = min(horizon, b.release - t - 1e-9)
    motions = None if world.in_water else _motions(world)
    if motions is None:
        return 0
    margin = 2.0 * SPECULATIVE_MARGIN
    for i, m in motions.items():
        b = world.bodies[i]
        if m.kind == REST:  # until just before it would fall asleep
            horizon = min(horizon, SLEEP_TIME - b.still - 1.5 * dt)
            continue
        if m.kind == GLIDE:  # until it slows down; the floor under it is no new contact
            horizon = min(horizon, (abs(b.vx) - glide_stop(m.decel, dt)) / m.decel)
        horizon = min(horizon, _reach_time(_clearance(world, b, m.kind == FLY) - margin, m.speed, m.acc) - dt)
    for a, b, _, _ in world.pairs:
        ma, mb = motions.get(a.index, STILL), motions.get(b.index, STILL)
        if ma.speed + mb.speed + ma.acc + mb.acc > 0.0:
            gap = _box_gap(a, b.x, b.y, b.hx, b.hy) - margin
            horizon = min(horizon, _reach_time(gap, ma.speed + mb.speed, ma.acc + mb.acc) - dt)
    return max(0, min(max_steps, math.floor(horizon / dt))) if horizon > 0 else 0


def advance(world: World, t: float, steps: int, stride: int, out: np.ndarray) -> None:
    """Advance every body `steps` steps from time t in closed form, writing its state every `stride` steps.

    out: [steps // stride, bodies, (x, y, angle, vx, vy)], filled in place.
    """
    motions = _motions(world)
    assert motions is not None, "advance() must follow a quiet_steps() that found a quiet stretch"
    dt = world.dt
    k = np.arange(stride, steps + 1, stride, dtype=np.float64)  # [M] steps taken at each recorded sample
    for b in world.bodies:
        view = out[:, b.index]  # [M, 5]
        m = motions.get(b.index, STILL)
        if m.kind == FLY:
            _fly(b, k, dt, world.g, view)
        elif m.kind == GLIDE:
            _glide(b, k, dt, m.decel, view)
        else:  # resting, asleep or held: stays put
            if b.state == AWAKE:
                b.vx = b.vy = b.w = 0.0
                b.still += steps * dt
            view[:] = (b.x, b.y, b.angle, b.vx, b.vy)
            continue
        b.x0, b.y0 = b.x, b.y
        b.x, b.y, b.angle, b.vx, b.vy = (float(v) for v in view[-1])
        if m.kind == GLIDE and b.circle:
            b.w = -b.vx / _lever(b)
    last = t + (steps - 1) * dt  # resting contacts stay "in touch": no impact when stepping resumes
    for pair in world.touched:
        world.last_touch[pair] = last


def _fly(b: Body, k: np.ndarray, dt: float, g: float, out: np.ndarray) -> None:
    """States [M, 5] after k steps of free flight."""
    out[:, 0] = b.x + k * (dt * b.vx)
    out[:, 1] = b.y + dt * (k * b.vy) - (g * dt * dt) * (k * (k + 1.0) * 0.5)
    out[:, 2] = b.angle + k * (dt * b.w)
    out[:, 3] = b.vx
    out[:, 4] = b.vy - k * (g * dt)


def _glide(b: Body, k: np.ndarray, dt: float, decel: float, out: np.ndarray) -> None:
    """States [M, 5] after k steps of gliding: v_k = v0 − s·a·dt·k, x_k = x0 + dt·Σ v_i."""
    dv = math.copysign(decel * dt, b.vx)
    x = b.x + dt * (k * b.vx - dv * (k * (k + 1.0) * 0.5))
    out[:, 0] = x
    out[:, 1] = b.y
    out[:, 2] = b.angle - (x - b.x) / _lever(b) if b.circle else b.angle  # rolling: ω = −v/lever
    out[:, 3] = b.vx - dv * k
    out[:, 4] = 0.0
