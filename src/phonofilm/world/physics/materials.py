"""Material physics: density, restitution, friction and rolling resistance, and how two surfaces combine.

Values are plausible for solid objects (a rubber ball is solid rubber, so it sinks slowly in water); they
are chosen so that the world shows visibly different behaviour per material and floor, not to match a
lab. Static surfaces (floors, walls, backboard, rim, tank glass) have no density: they never move.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from phonofilm.world import state

WATER_DENSITY = 1000.0  # kg/m³


@dataclass(frozen=True)
class MaterialPhysics:
    """How a body's material moves and touches. rolling: rolling-resistance coefficient (torque = rolling·N·r)."""

    density: float  # kg/m³
    restitution: float  # 0 (dead) .. 1 (perfectly elastic)
    friction: float  # Coulomb coefficient
    rolling: float  # dimensionless


@dataclass(frozen=True)
class SurfacePhysics:
    """How a static surface touches (floors, walls, board, rim, tank glass)."""

    restitution: float
    friction: float
    rolling: float


@dataclass(frozen=True)
class PairPhysics:
    """The combined coefficients of one contact."""

    restitution: float
    friction: float
    rolling: float


MATERIAL_PHYSICS: Mapping[str, MaterialPhysics] = MappingProxyType(
    {
        "wood": MaterialPhysics(density=600.0, restitution=0.5, friction=0.5, rolling=0.01),
        "metal": MaterialPhysics(density=7800.0, restitution=0.45, friction=0.35, rolling=0.002),
        "rubber": MaterialPhysics(density=1100.0, restitution=0.85, friction=0.9, rolling=0.015),
        "glass": MaterialPhysics(density=2500.0, restitution=0.6, friction=0.3, rolling=0.002),
    }
)

FLOOR_PHYSICS: Mapping[str, SurfacePhysics] = MappingProxyType(
    {
        "wood": SurfacePhysics(restitution=0.8, friction=0.5, rolling=0.01),
        "concrete": SurfacePhysics(restitution=0.9, friction=0.7, rolling=0.008),
        "tile": SurfacePhysics(restitution=0.85, friction=0.35, rolling=0.005),
        "grass": SurfacePhysics(restitution=0.3, friction=0.8, rolling=0.12),
    }
)

# The other static surfaces, by their ContactEvent id. The tank's floor is its glass bottom.
STATIC_PHYSICS: Mapping[str, SurfacePhysics] = MappingProxyType(
    {
        state.WALL_LEFT: SurfacePhysics(restitution=0.75, friction=0.5, rolling=0.01),
        state.WALL_RIGHT: SurfacePhysics(restitution=0.75, friction=0.5, rolling=0.01),
        state.BACKBOARD: SurfacePhysics(restitution=0.8, friction=0.4, rolling=0.01),
        state.RIM: SurfacePhysics(restitution=0.6, friction=0.5, rolling=0.01),
        state.TANK_WALL: SurfacePhysics(restitution=0.6, friction=0.2, rolling=0.002),
        state.TANK_FLOOR: SurfacePhysics(restitution=0.6, friction=0.3, rolling=0.004),
    }
)


def combine(a: MaterialPhysics | SurfacePhysics, b: MaterialPhysics | SurfacePhysics) -> PairPhysics:
    """Pair coefficients: the softer surface limits the bounce (min), friction is the geometric mean,
    rolling losses of both surfaces add up."""
    return PairPhysics(
        restitution=min(a.restitution, b.restitution),
        friction=math.sqrt(a.friction * b.friction),
        rolling=a.rolling + b.rolling,
    )


def material(name: str, where: str) -> MaterialPhysics:
    """The physics of material `name`, with an error naming the allowed ones."""
    try:
        return MATERIAL_PHYSICS[name]
    except KeyError:
        raise ValueError(f"{where}: unknown material {name!r}; allowed: {sorted(MATERIAL_PHYSICS)}") from None


def floor(name: str) -> SurfacePhysics:
    """The physics of floor material `name`, with an error naming the allowed ones."""
    try:
        return FLOOR_PHYSICS[name]
    except KeyError:
        raise ValueError(f"stage.floor: unknown floor {name!r}; allowed: {sorted(FLOOR_PHYSICS)}") from None
