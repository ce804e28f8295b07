"""The simulation step: forces → contacts → velocity solve → integrate → overlap fix → events → sleep.

Integration is semi-implicit Euler at a fixed step (at most 1/240 s), in plain Python floats over a
handful of bodies, which is faster than numpy at this size and bit-reproducible. Bodies that have been
nearly still while supported for SLEEP_TIME are put to sleep and cost nothing until something hits them.

Event log. An "impact" is logged when a contact starts (the pair has not touched within the last
TOUCH_MEMORY = 0.02 s) with a normal approach speed of at least IMPACT_SPEED = 0.05 m/s, at the contact
point, timed within the step by when the gap closes. Resting contact never makes events: it is never
"starting", and should it lapse for a moment, gravity alone gives an approach of only g·dt = 0.041 m/s
per step at 240 Hz, below the threshold. A bouncing body's impacts fade out the same way: bounces slower
than RESTITUTION_SPEED (solver.py) do not rebound. A "splash" is logged when a body's bottom crosses the
water surface going down at SPLASH_SPEED = 0.05 m/s or more.
"""

from __future__ import annotations

import math

from phonofilm.world import state
from phonofilm.world.physics.bodies import ASLEEP, AWAKE, HELD, Body
from phonofilm.world.physics.contacts import (
    FLOOR_CODE,
    Contact,
    Geometry,
    body_contacts,
    coef,
    static_contacts,
    static_table,
)
from phonofilm.world.physics.materials import WATER_DENSITY
from phonofilm.world.physics.solver import correct_positions, prepare, solve, warm_starts
from phonofilm.world.physics.water import SPIN_DRAG, box_submerged, circle_submerged, drag_factor

IMPACT_SPEED = 0.05  # m/s: slower contact starts are not events
SPLASH_SPEED = 0.05  # m/s
SLEEP_SPEED = 0.01  # m/s (also for a ball's rim speed |ω|·r)
SLEEP_TIME = 0.2  # s


class World:
    """Mutable simulation state of one scene (internal: `simulate` is the public entry point)."""

    def __init__(self, bodies: list[Body], geom: Geometry, gravity: float, dt: float) -> None:
        self.bodies, self.geom, self.g, self.dt = bodies, geom, gravity, dt
        self.pairs = [(a, b, coef(a, b), coef(b, a)) for i, a in enumerate(bodies) for b in bodies[i + 1 :]]
        self.tables = [static_table(b, geom) for b in bodies]
        self.warm: dict[tuple[int, int], tuple[float, float, float]] = {}
        self.last_touch: dict[tuple[int, int], float] = {}  # pair -> start time of the last step it touched
        self.touched: list[tuple[int, int]] = []  # the pairs that touched in the last step
        self.events: list[state.ContactEvent] = []
        self.in_water = False  # whether any awake body felt the water in the last step

    def release_due(self, t: float) -> None:
        """Let go of every held body whose release time has come."""
        for b in self.bodies:
            if b.state == HELD and b.release <= t + 1e-9:
                b.release_now()

    def step(self, t: float) -> None:
        """Advance by one step starting at time t."""
        awake = self._forces()
        if not awake:
            return
        dt = self.dt
        contacts: list[Contact] = []
        if self.pairs and body_contacts(
            self.bodies, self.pairs, dt, contacts
        ):  # True if it woke sleeping bodies
            awake = [b for b in self.bodies if b.state == AWAKE]
        geom, tables = self.geom, self.tables
        for b in awake:
            static_contacts(b, geom, tables[b.index], dt, contacts)
        converged = True
        if contacts:
            prepare(contacts, t, dt, self.warm, self.last_touch)
            converged = solve(contacts)
        for b in awake:
            b.x0, b.y0 = b.x, b.y
            b.x += b.vx * dt
            b.y += b.vy * dt
            b.angle += b.w * dt
        self.touched = []
        if contacts:
            correct_positions(contacts)
            self._log_impacts(contacts, t)
            self.warm = warm_starts(contacts, converged)
        elif self.warm:
            self.warm = {}
        if self.geom.tank is not None:
            self._log_splashes(awake, t)
        self._sleep(awake)

    def _forces(self) -> list[Body]:
        """Gravity, and buoyancy + implicit drag for bodies in the tank's water; returns the awake bodies."""
        dt, g, tank = self.dt, self.g, self.geom.tank
        wet = False
        awake = []
        for b in self.bodies:
            if b.state != AWAKE:
                b.reach = 0.0
                continue
            awake.append(b)
            b.touching = False
            b.contacts = 0
            b.floor = None
            b.pvx, b.pvy = b.vx, b.vy
            b.vy -= g * dt
            b.reach = abs(b.vx) + abs(b.vy)
            if tank is None or not (tank.x_min < b.x < tank.x_max):
                continue
            depth = tank.water_level - b.y
            if depth <= -b.hy:
                continue
            area = circle_submerged(depth, b.r) if b.circle else box_submerged(depth, b.hx, b.hy)
            frac = area / b.area
            b.vy += WATER_DENSITY * g * area * b.inv_m * dt
            f = drag_factor(frac, 2.0 * b.hx, b.m, math.sqrt(b.vx * b.vx + b.vy * b.vy), dt)
            b.vx /= f
            b.vy /= f
            b.w /= 1.0 + dt * SPIN_DRAG * frac
            b.touching = wet = True  # the water carries it: it may fall asleep afloat
        self.in_water = wet
        return awake

    def _log_impacts(self, contacts: list[Contact], t: float) -> None:
        """Log the contacts that started this step with a noticeable approach speed; mark supports."""
        dt, last = self.dt, self.last_touch
        for c in contacts:
            a, b = c.a, c.b
            a.contacts += 1
            if b is not None:
                b.contacts += 1
            if c.jn <= 0.0:
                continue
            if c.key[1] == FLOOR_CODE:
                a.floor = c
            a.touching = True
            if b is not None:
                b.touching = True
            speed = -c.vn0
            if speed >= IMPACT_SPEED and c.fresh:
                tc = t + min(max(c.d / speed, 0.0), dt)  # when the gap closes within the step
                self.events.append(state.ContactEvent(tc, a.id, c.sid, c.px, c.py, speed, "impact"))
            last[c.pair] = t
            self.touched.append(c.pair)

    def _log_splashes(self, awake: list[Body], t: float) -> None:
        """Log bodies whose bottom went below the water surface during this step."""
        tank = self.geom.tank
        assert tank is not None
        level = tank.water_level
        for b in awake:
            before, after = b.y0 - b.hy, b.y - b.hy
            if before > level >= after and -b.vy >= SPLASH_SPEED and tank.x_min < b.x < tank.x_max:
                tc = t + self.dt * (before - level) / (before - after)
                self.events.append(state.ContactEvent(tc, b.id, state.WATER, b.x, level, -b.vy, "splash"))

    def _sleep(self, awake: list[Body]) -> None:
        """Bodies supported and nearly still for SLEEP_TIME stop being simulated until disturbed."""
        lim = SLEEP_SPEED * SLEEP_SPEED
        for b in awake:
            if b.touching and b.vx * b.vx + b.vy * b.vy < lim and (b.w * b.r) ** 2 < lim:
                b.still += self.dt
                if b.still >= SLEEP_TIME:
                    b.set_state(ASLEEP)
            else:
                b.still = 0.0
