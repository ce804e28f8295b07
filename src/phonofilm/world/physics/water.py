"""Water in the tank: submerged area, buoyancy, drag, and the buoyancy potential used for energy checks.

Buoyancy is Archimedes in 2D: the upward force per metre of depth is ρ_water·g·(submerged area). Drag is
linear + quadratic in speed, scaled by the submerged fraction so it fades in as a body enters the water;
it is integrated implicitly (v ← v / (1 + dt·k)), which can only remove energy however large dt·k is.
"""

from __future__ import annotations

import math

import numpy as np

from phonofilm.world.physics.materials import WATER_DENSITY

DRAG_LINEAR = 0.8  # m/s: F = ρ_water · width · (DRAG_LINEAR + DRAG_QUADRATIC·|v|) · v · submerged fraction
DRAG_QUADRATIC = 0.5  # dimensionless (half a drag coefficient)
SPIN_DRAG = 3.0  # 1/s: how fast water stops a ball's spin when fully submerged


def circle_submerged(depth: float, r: float) -> float:
    """Submerged area of a circle whose centre lies `depth` below the surface (negative = above)."""
    if depth <= -r:
        return 0.0
    if depth >= r:
        return math.pi * r * r
    # ∫ 2·sqrt(r² − s²) ds for s (height above the centre) from −r up to the surface at s = depth
    return depth * math.sqrt(r * r - depth * depth) + r * r * math.asin(depth / r) + 0.5 * math.pi * r * r


def box_submerged(depth: float, hx: float, hy: float) -> float:
    """Submerged area of an axis-aligned box whose centre lies `depth` below the surface."""
    return 2.0 * hx * min(max(depth + hy, 0.0), 2.0 * hy)


def drag_factor(fraction: float, width: float, mass: float, speed: float, dt: float) -> float:
    """The implicit-drag divisor 1 + dt·k for one step (k in 1/s); `fraction` of the area is submerged."""
    k = WATER_DENSITY * width * (DRAG_LINEAR + DRAG_QUADRATIC * speed) * fraction / mass
    return 1.0 + dt * k


def buoyancy_potential(
    circle: bool, depth: np.ndarray, r: float, hx: float, hy: float, g: float
) -> np.ndarray:
    """Potential energy (J per metre of depth) of the buoyant force: ρ·g·∫ max(level − y, 0) dA over the body.

    `depth`: [N] how far the body's centre lies below the surface. The derivative of the potential with
    respect to the body's height is −ρ·g·(submerged area), i.e. minus the buoyant force, so kinetic +
    gravitational + this potential is conserved by buoyancy alone.
    """
    rho_g = WATER_DENSITY * g
    depth = np.asarray(depth, dtype=np.float64)
    if circle:
        d = np.clip(depth, -r, r)
        chord = r * r - d * d
        area = d * np.sqrt(chord) + r * r * np.arcsin(d / r) + 0.5 * np.pi * r * r
        partial = d * area + (2.0 / 3.0) * chord * np.sqrt(chord)
        # beyond full submersion the area is constant and the potential grows linearly with depth
        return rho_g * np.where(depth >= r, np.pi * r * r * depth, partial)
    h = np.clip(depth + hy, 0.0, 2.0 * hy)  # submerged height
    # ∫ (level − y) over the submerged part = width · h · (depth + hy − h/2)
    return rho_g * 2.0 * hx * h * (depth + hy - 0.5 * h)
