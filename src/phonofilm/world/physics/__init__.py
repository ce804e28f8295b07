"""Deterministic 2D side-view rigid-body physics: balls, boxes, floor, walls, backboard, rim, water tank.

`simulate(scene)` returns trajectories on a uniform grid plus the contact event log that sound, captions
and ground truth are built from. Balls are circles that roll (spin coupled to the floor by friction, slowed
by rolling resistance); cubes and bricks are boxes that stay axis-aligned, which keeps stacks exactly
stable. Layout:

  materials.py   MATERIAL_PHYSICS / FLOOR_PHYSICS / STATIC_PHYSICS tables and how two surfaces combine
  bodies.py      bodies, static shapes (backboard, rim ends, tank glass), distance queries
  contacts.py    speculative contact generation, waking sleeping bodies
  solver.py      sequential impulses, restitution pass, shock sweep, overlap correction
  water.py       buoyancy, drag, buoyancy potential
  world.py       one step, the event log (thresholds), sleeping
  quiet.py       closed-form fast path while nothing can touch (flight, gliding on the floor, rest)
  simulation.py  `simulate`: the sample loop and the output arrays
  energy.py      `kinetic_plus_potential_energy`
"""

from phonofilm.world.physics.energy import kinetic_plus_potential_energy
from phonofilm.world.physics.materials import (
    FLOOR_PHYSICS,
    MATERIAL_PHYSICS,
    STATIC_PHYSICS,
    MaterialPhysics,
    SurfacePhysics,
)
from phonofilm.world.physics.simulation import simulate
from phonofilm.world.physics.world import IMPACT_SPEED, SPLASH_SPEED

__all__ = [
    "FLOOR_PHYSICS",
    "IMPACT_SPEED",
    "MATERIAL_PHYSICS",
    "SPLASH_SPEED",
    "STATIC_PHYSICS",
    "MaterialPhysics",
    "SurfacePhysics",
    "kinetic_plus_potential_energy",
    "simulate",
]
