"""`simulate`: a Scene in, trajectories on a uniform time grid and the contact event log out."""

from __future__ import annotations

import math

import numpy as np

from phonofilm.world import state
from phonofilm.world.physics.bodies import Body, build_bodies, static_shapes
from phonofilm.world.physics.contacts import Geometry
from phonofilm.world.physics.materials import STATIC_PHYSICS, floor
from phonofilm.world.physics.quiet import advance, quiet_steps
from phonofilm.world.physics.world import World
from phonofilm.world.scene import Scene, WaterTank

MIN_INTERNAL_RATE = 240.0  # Hz: lower output rates are simulated with substeps
MAX_BACKOFF = 8  # samples between looks for a quiet stretch while things keep touching


def geometry(scene: Scene) -> Geometry:
    """The static world of a scene's stage."""
    stage = scene.stage
    if not stage.width > 0:
        raise ValueError(f"stage.width must be > 0 metres, got {stage.width!r}")
    boxes, circles = static_shapes(scene)
    return Geometry(
        stage.width,
        stage.walls,
        floor(stage.floor),
        STATIC_PHYSICS[state.TANK_FLOOR],
        boxes,
        circles,
        stage.tank,
    )


def _validate(scene: Scene, rate: float) -> None:
    """Raise ValueError naming the bad setting and what is allowed."""
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"rate must be a positive number of Hz, got {rate!r}")
    if not (math.isfinite(scene.duration) and scene.duration > 0):
        raise ValueError(f"scene.duration must be a positive number of seconds, got {scene.duration!r}")
    if not (math.isfinite(scene.gravity) and scene.gravity >= 0):
        raise ValueError(
            f"scene.gravity must be a finite number >= 0 (m/s², downwards), got {scene.gravity!r}"
        )


def simulate(scene: Scene, rate: float = 240.0) -> state.Simulation:
    """Simulate the scene's objects; states are sampled at `rate` Hz from 0 to scene.duration inclusive.

    Deterministic: the same scene gives bit-identical arrays and events. Steps are at most 1/240 s
    (a lower `rate` is simulated with substeps). Held objects stay at (x, y) until their release time.
    """
    return run(scene, rate)


def run(scene: Scene, rate: float = 240.0, quiet: bool = True) -> state.Simulation:
    """`simulate`, with the closed-form fast path for quiet stretches switchable (off: every step is a
    full step; tests use it to check the fast path against plain stepping)."""
    _validate(scene, rate)
    n = round(scene.duration * rate) + 1
    substeps = max(1, math.ceil(MIN_INTERNAL_RATE / rate - 1e-9))
    dt = 1.0 / (rate * substeps)
    bodies = build_bodies(scene)
    world = World(bodies, geometry(scene), scene.gravity, dt)
    rec = _Recorder(bodies, n)
    world.release_due(0.0)
    rec.record()
    k = 1  # index of the next sample
    check, backoff = 1, 1  # when to look for a quiet stretch next; failed looks back off (they cost a step)
    while k < n:
        t0 = (k - 1) / rate
        if quiet and k >= check:
            m = quiet_steps(world, t0, (n - k) * substeps) // substeps  # samples in which nothing can touch
            if m >= 2:
                advance(world, t0, m * substeps, substeps, rec.block(m))
                k += m
                check, backoff = k, 1
                continue
            backoff = min(2 * backoff, MAX_BACKOFF)
            check = k + backoff
        for s in range(substeps):
            if s:
                world.release_due(t0 + s * dt)
            world.step(t0 + s * dt)
        world.release_due(k / rate)
        rec.record()
        k += 1
    return _result(bodies, rec.finish(), world.events, scene.stage.tank, rate)


class _Recorder:
    """Every body's (x, y, angle, vx, vy) at every sample, in one [N, bodies, 5] array."""

    def __init__(self, bodies: list[Body], n: int) -> None:
        self.bodies = bodies
        self.buf = np.zeros((n, len(bodies), 5), dtype=np.float64)
        self.pending: list[list[float]] = []  # rows of stepped samples not yet copied into buf
        self.filled = 0

    def record(self) -> None:
        """Append the current state of every body as the next sample."""
        row: list[float] = []
        for b in self.bodies:
            row += (b.x, b.y, b.angle, b.vx, b.vy)
        self.pending.append(row)

    def block(self, m: int) -> np.ndarray:
        """The next `m` samples as a writable view [m, bodies, 5] (for closed-form stretches)."""
        self._flush()
        view = self.buf[self.filled : self.filled + m]
        self.filled += m
        return view

    def finish(self) -> np.ndarray:
        """All samples [N, bodies, 5]."""
        self._flush()
        assert self.filled == len(self.buf)
        return self.buf

    def _flush(self) -> None:
        """Copy the stepped samples collected so far into the array."""
        if self.pending:
            m = len(self.pending)
            self.buf[self.filled : self.filled + m] = np.array(self.pending).reshape(m, len(self.bodies), 5)
            self.filled += m
            self.pending = []


def _result(
    bodies: list[Body],
    states: np.ndarray,
    events: list[state.ContactEvent],
    tank: WaterTank | None,
    rate: float,
) -> state.Simulation:
    """Package the [N, bodies, 5] states and the events as a Simulation."""
    n = len(states)
    pos, angle, vel, in_water = {}, {}, {}, {}
    for b in bodies:
        s = states[:, b.index]  # [N, 5]
        pos[b.id] = np.ascontiguousarray(s[:, 0:2])
        angle[b.id] = np.ascontiguousarray(s[:, 2])
        vel[b.id] = np.ascontiguousarray(s[:, 3:5])
        if tank is None:
            in_water[b.id] = np.zeros(n, dtype=bool)
        else:
            x, y = s[:, 0], s[:, 1]
            in_water[b.id] = (x > tank.x_min) & (x < tank.x_max) & (y - b.hy < tank.water_level)
    ordered = tuple(sorted(events, key=lambda e: (e.t, e.a, e.b, e.kind)))
    return state.Simulation(
        t=np.arange(n, dtype=np.float64) / rate,
        pos=pos,
        angle=angle,
        vel=vel,
        events=ordered,
        rate=float(rate),
        in_water=in_water,
    )
