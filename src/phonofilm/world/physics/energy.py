"""Mechanical energy of a simulation's bodies over time (for invariant tests and physics eval)."""

from __future__ import annotations

import numpy as np

from phonofilm.world.physics.bodies import Body
from phonofilm.world.physics.water import buoyancy_potential
from phonofilm.world.scene import Scene
from phonofilm.world.state import Simulation


def kinetic_plus_potential_energy(scene: Scene, sim: Simulation) -> np.ndarray:
    """Total mechanical energy [N] (J per metre of depth) of the scene's objects at each sample of `sim`.

    Kinetic (translation + a ball's spin) + gravitational m·g·y + the buoyancy potential of the tank's
    water (so buoyancy alone conserves the sum). Contacts, friction and drag can only lower it; it jumps
    up only when a held object is released with a launch velocity.
    """
    g = scene.gravity
    tank = scene.stage.tank
    total = np.zeros(len(sim.t), dtype=np.float64)
    for i, obj in enumerate(scene.objects):
        body = Body(i, obj)
        pos, vel, ang = sim.pos[obj.id], sim.vel[obj.id], sim.angle[obj.id]  # [N, 2], [N, 2], [N]
        spin = _spin(ang, sim.rate)  # [N] rad/s
        inertia = 1.0 / body.inv_i if body.inv_i > 0 else 0.0
        total += 0.5 * body.m * (vel**2).sum(axis=1) + 0.5 * inertia * spin**2 + body.m * g * pos[:, 1]
        if tank is not None:
            over = (pos[:, 0] > tank.x_min) & (pos[:, 0] < tank.x_max)
            depth = tank.water_level - pos[:, 1]
            total += np.where(over, buoyancy_potential(body.circle, depth, body.r, body.hx, body.hy, g), 0.0)
    return total


def _spin(angle: np.ndarray, rate: float) -> np.ndarray:
    """Angular velocity [N] from the angle track: a backward difference is exact for the integrator,
    whose angle advances by the post-step spin (the first sample borrows the second's)."""
    spin = np.zeros_like(angle)
    if len(angle) > 1:
        spin[1:] = np.diff(angle) * rate
        spin[0] = spin[1]
    return spin
