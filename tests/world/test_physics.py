"""Physics invariants and behaviours: gravity, energy, contacts, events, water, determinism, robustness."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from phonofilm.world.physics import (
    FLOOR_PHYSICS,
    IMPACT_SPEED,
    MATERIAL_PHYSICS,
    kinetic_plus_potential_energy,
    simulate,
)
from phonofilm.world.physics.simulation import run
from phonofilm.world.scene import (
    FLOOR_MATERIALS,
    MATERIALS,
    SHAPES,
    Hoop,
    Scene,
    SceneObject,
    Stage,
    WaterTank,
)
from phonofilm.world.state import STATIC_SURFACES, Simulation

G = 9.81
RATE = 240.0


def obj(
    i: int,
    shape: str = "ball",
    material: str = "rubber",
    size: float = 0.12,
    x: float = 2.0,
    y: float = 1.0,
    **kw: float,
) -> SceneObject:
    return SceneObject(f"obj{i}", shape, "red", material, size, "thrown", x, y, **kw)


def scene(*objects: SceneObject, duration: float = 4.0, **stage: object) -> Scene:
    return Scene(seed=0, duration=duration, stage=Stage(**stage), objects=objects)


def half_extents(o: SceneObject) -> tuple[float, float]:
    return (2 * o.size, o.size) if o.shape == "brick" else (o.size, o.size)


def max_overlap(sc: Scene, sim: Simulation) -> float:
    """Deepest overlap (m) between any two objects, or an object and the floor, over the whole run."""
    worst = 0.0
    for i, a in enumerate(sc.objects):
        pa, (ax, ay) = sim.pos[a.id], half_extents(a)
        worst = max(worst, float((ay - pa[:, 1]).max()))
        for b in sc.objects[i + 1 :]:
            pb, (bx, by) = sim.pos[b.id], half_extents(b)
            d = pa - pb
            if a.shape == "ball" and b.shape == "ball":
                pen = a.size + b.size - np.hypot(d[:, 0], d[:, 1])
            elif a.shape != "ball" and b.shape != "ball":
                pen = np.minimum(ax + bx - np.abs(d[:, 0]), ay + by - np.abs(d[:, 1]))
            else:  # circle against box: distance from the centre to the box
                c, box, r, hx, hy = (
                    (pa, pb, a.size, bx, by) if a.shape == "ball" else (pb, pa, b.size, ax, ay)
                )
                rel = c - box
                out = rel - np.clip(rel, [-hx, -hy], [hx, hy])
                dist = np.hypot(out[:, 0], out[:, 1])
                inside = r + np.minimum(hx - np.abs(rel[:, 0]), hy - np.abs(rel[:, 1]))
                pen = np.where(dist > 0, r - dist, inside)
            worst = max(worst, float(pen.max()))
    return worst


def energy_rise(sc: Scene, sim: Simulation) -> tuple[float, float]:
    """Largest one-step energy increase after the last release, and the largest |energy| (for scale)."""
    e = kinetic_plus_potential_energy(sc, sim)
    start = int(np.ceil(max((o.release for o in sc.objects), default=0.0) * RATE)) + 1
    return float(np.diff(e[start:]).max()), float(np.abs(e).max())


def impacts(sim: Simulation, body: str, other: str | None = None) -> list:
    return [e for e in sim.events if e.kind == "impact" and e.a == body and (other is None or e.b == other)]


# --- gravity, bouncing, energy ---------------------------------------------------------------------------


def test_free_flight_fits_gravity() -> None:
    sc = scene(obj(0, x=1.0, y=1.0, vx=2.0, vy=3.0))
    sim = simulate(sc)
    first = impacts(sim, "obj0")[0].t
    free = sim.t < first - 0.02
    y = sim.pos["obj0"][free, 1]
    acc = 2 * np.polyfit(sim.t[free], y, 2)[0]
    assert abs(-acc - G) < 0.01 * G
    vx = np.polyfit(sim.t[free], sim.pos["obj0"][free, 0], 1)[0]
    assert abs(vx - 2.0) < 1e-6


def test_dropped_ball_bounces_lower_and_lower_then_falls_silent() -> None:
    sc = scene(obj(0, material="wood", y=1.0), duration=6.0)
    sim = simulate(sc)
    hits = impacts(sim, "obj0", "floor")
    speeds = [e.speed for e in hits]
    assert len(hits) >= 3
    assert all(b < a for a, b in itertools.pairwise(speeds))
    assert all(s >= IMPACT_SPEED for s in speeds)
    y = sim.pos["obj0"][:, 1]
    apexes = [y[(sim.t > a.t) & (sim.t < b.t)].max() for a, b in itertools.pairwise(hits)]
    assert all(b < a for a, b in itertools.pairwise(apexes))
    # settled: silent for the last seconds, resting on the floor
    assert hits[-1].t < 4.0
    assert abs(y[-1] - 0.12) < 1e-3 and np.abs(sim.vel["obj0"][-1]).max() < 1e-6
    # the first bounce keeps e² of the energy (wood ball on a wood floor: restitution min(0.5, 0.8))
    e = MATERIAL_PHYSICS["wood"].restitution
    assert abs(speeds[1] / speeds[0] - e) < 0.02


def test_lively_ball_settles_instead_of_micro_bouncing_forever() -> None:
    sc = scene(obj(0, material="rubber", y=0.4), floor="concrete", duration=5.0)  # restitution 0.85
    sim = simulate(sc)
    hits = impacts(sim, "obj0", "floor")
    assert 5 < len(hits) < 40 and hits[-1].t < 4.0
    assert abs(sim.pos["obj0"][-1, 1] - 0.12) < 1e-3 and np.abs(sim.vel["obj0"][-1]).max() < 1e-6


def test_bounce_height_depends_on_floor() -> None:
    heights = {}
    for floor in ("concrete", "grass"):
        sim = simulate(scene(obj(0, material="rubber", y=1.5), floor=floor, duration=2.0))
        first = impacts(sim, "obj0", "floor")[0].t
        heights[floor] = sim.pos["obj0"][sim.t > first, 1].max()
    assert heights["concrete"] > 2 * heights["grass"]


@pytest.mark.parametrize("walls", [True, False])
def test_energy_never_increases(walls: bool) -> None:
    sc = scene(
        obj(0, "ball", "rubber", 0.12, x=1.0, y=2.0, vx=4.0, vy=1.0, spin=-5.0),
        obj(1, "cube", "wood", 0.15, x=3.0, y=0.15),
        obj(2, "brick", "metal", 0.08, x=3.05, y=1.2, vy=-1.0, release=0.3),
        obj(3, "ball", "glass", 0.1, x=5.0, y=0.1, vx=-2.5),
        obj(4, "cube", "metal", 0.1, x=6.5, y=1.5, vx=3.0, vy=2.0),
        walls=walls,
    )
    rise, scale = energy_rise(sc, simulate(sc))
    assert rise < 1e-3 * scale + 1e-6


def test_energy_never_increases_in_water() -> None:
    tank = WaterTank(x_min=2.0, x_max=4.0, height=1.0, water_level=0.7)
    sc = scene(
        obj(0, "ball", "wood", 0.12, x=2.6, y=2.0),
        obj(1, "cube", "metal", 0.1, x=3.4, y=1.5, vx=0.5),
        obj(2, "brick", "rubber", 0.06, x=3.0, y=2.5),
        tank=tank,
    )
    rise, scale = energy_rise(sc, simulate(sc))
    assert rise < 1e-3 * scale + 1e-6


# --- contacts ----------------------------------------------------------------------------------------------


def test_resting_bodies_make_no_events_and_stay_put() -> None:
    sc = scene(
        obj(0, "cube", "wood", 0.1, x=2.0, y=0.1),
        obj(1, "cube", "metal", 0.1, x=2.0, y=0.3),
        obj(2, "brick", "glass", 0.05, x=2.0, y=0.45),
        obj(3, "ball", "rubber", 0.1, x=4.0, y=0.1),
    )
    sim = simulate(sc)
    assert sim.events == ()
    for o in sc.objects:
        assert np.abs(sim.pos[o.id] - [o.x, o.y]).max() < 2e-3


def test_dropped_stack_settles_without_jitter_or_overlap() -> None:
    cubes = tuple(
        obj(i, "cube", "wood", 0.1, x=3.0 + 0.02 * i, y=0.1 + 0.21 * i + 0.05 * i) for i in range(5)
    )
    sc = scene(*cubes, obj(5, "brick", "metal", 0.06, x=3.1, y=1.6))
    sim = simulate(sc)
    assert max_overlap(sc, sim) < 0.005
    tail = sim.t > 3.0
    for o in sc.objects:
        assert np.ptp(sim.pos[o.id][tail], axis=0).max() < 1e-6  # perfectly still: no jitter
    tops = sorted(sim.pos[o.id][-1, 1] for o in cubes)
    assert np.allclose(np.diff(tops), 0.2, atol=2e-3)  # stacked, not sunk into each other
    assert not [e for e in sim.events if e.t > 2.0]


def test_pushed_cube_slides_and_stops_by_friction() -> None:
    sc = scene(obj(0, "cube", "wood", 0.1, x=1.0, y=0.1, vx=2.0), floor="wood")
    sim = simulate(sc)
    mu = np.sqrt(MATERIAL_PHYSICS["wood"].friction * FLOOR_PHYSICS["wood"].friction)
    distance = sim.pos["obj0"][-1, 0] - 1.0
    assert abs(distance - 2.0**2 / (2 * mu * G)) < 0.02
    assert np.abs(sim.vel["obj0"][-1]).max() == 0.0
    assert abs(sim.pos["obj0"][-1, 1] - 0.1) < 1e-3 and not sim.events


def test_rolled_ball_rolls_and_slows_by_rolling_resistance() -> None:
    r = 0.1
    sc = scene(obj(0, "ball", "rubber", r, x=1.0, y=r, vx=2.0), floor="grass", duration=3.0)
    sim = simulate(sc)
    vx = sim.vel["obj0"][:, 0]
    spin = np.diff(sim.angle["obj0"]) * RATE  # [N-1] rad/s over each step
    rolling = (sim.t[1:] > 0.3) & (vx[1:] > 0.01)
    assert rolling.sum() > RATE
    assert np.allclose(spin[rolling], -vx[1:][rolling] / r, atol=1e-6)  # rolls without slipping: ω = −v/r
    assert sim.angle["obj0"][-1] < -5.0  # it turned a lot (clockwise when rolling to the right)
    decel = -np.polyfit(sim.t[1:][rolling & (vx[1:] > 0.2)], vx[1:][rolling & (vx[1:] > 0.2)], 1)[0]
    c = MATERIAL_PHYSICS["rubber"].rolling + FLOOR_PHYSICS["grass"].rolling
    assert abs(decel - c * G / 1.4) < 0.02 * decel  # solid-sphere rolling: a = c·g / (1 + 2/5)
    assert vx[-1] < vx[int(0.3 * RATE)]


def test_thrown_ball_rebounds_off_backboard() -> None:
    hoop = Hoop(x=7.5, board_bottom=2.0, board_height=1.0, rim_height=2.2, rim_length=0.45, side=1)
    sc = scene(obj(0, x=5.0, y=2.5, vx=6.0, vy=2.0), hoop=hoop, duration=2.0)
    sim = simulate(sc)
    board = impacts(sim, "obj0", "backboard")
    assert board and abs(board[0].x - 7.5) < 1e-9
    vx = sim.vel["obj0"][:, 0]
    assert vx[0] > 0 and vx[sim.t > board[0].t + 0.01][0] < 0
    assert sim.pos["obj0"][:, 0].max() <= 7.5 - 0.12 + 1e-3  # never into the board


def test_ball_hits_the_rim() -> None:
    hoop = Hoop(x=7.5, board_bottom=2.0, board_height=1.0, rim_height=2.2, rim_length=0.45, side=1)
    sim = simulate(scene(obj(0, x=7.5 - 0.45 + 0.05, y=3.5), hoop=hoop, duration=1.5))
    assert impacts(sim, "obj0", "rim")


def test_walls_contain_and_sound() -> None:
    sc = scene(obj(0, x=1.0, y=0.5, vx=-8.0), obj(1, "cube", "metal", 0.1, x=7.0, y=0.1, vx=9.0))
    sim = simulate(sc)
    assert impacts(sim, "obj0", "wall_left") and impacts(sim, "obj1", "wall_right")
    for o in sc.objects:
        x = sim.pos[o.id][:, 0]
        assert x.min() >= o.size - 1e-3 and x.max() <= 8.0 - o.size + 1e-3


def test_held_body_waits_for_its_release() -> None:
    sim = simulate(scene(obj(0, y=2.0, vx=1.0, release=1.0)))
    before = sim.t < 1.0
    assert np.all(sim.pos["obj0"][before] == [2.0, 2.0]) and np.all(sim.vel["obj0"][before] == 0.0)
    assert sim.vel["obj0"][int(RATE), 0] == 1.0 and sim.pos["obj0"][int(RATE) + 1, 1] < 2.0


def test_collision_between_bodies_is_logged_with_its_normal_speed() -> None:
    sc = scene(obj(0, x=1.0, y=0.12, vx=3.0, spin=-25.0), obj(1, "cube", "wood", 0.12, x=3.0, y=0.12))
    sim = simulate(sc)
    hits = [e for e in sim.events if {e.a, e.b} == {"obj0", "obj1"}]
    assert len(hits) >= 1
    first = hits[0]
    assert 2.5 < first.speed < 3.0  # the ball's speed when it arrives (slowed a little by rolling)
    assert abs(first.x - (sim.pos["obj1"][0, 0] - 0.12)) < 0.01  # on the cube's face
    assert sim.vel["obj1"][-1, 0] == 0.0 and sim.pos["obj1"][-1, 0] > 3.0  # shoved, then stopped by friction


# --- water ---------------------------------------------------------------------------------------------------


def test_metal_cube_sinks_and_wood_ball_floats() -> None:
    tank = WaterTank(x_min=2.0, x_max=4.0, height=1.0, water_level=0.7)
    sc = scene(
        obj(0, "cube", "metal", 0.1, x=2.5, y=1.5), obj(1, "ball", "wood", 0.1, x=3.5, y=1.5), tank=tank
    )
    sim = simulate(sc)
    assert abs(sim.pos["obj0"][-1, 1] - 0.1) < 2e-3  # on the tank's floor
    assert impacts(sim, "obj0", "tank_floor")
    # afloat and still, with the submerged area fraction equal to the density ratio
    y, r = sim.pos["obj1"][-1, 1], 0.1
    d = np.clip(0.7 - y, -r, r)
    frac = (d * np.sqrt(r * r - d * d) + r * r * np.arcsin(d / r) + 0.5 * np.pi * r * r) / (np.pi * r * r)
    assert abs(frac - MATERIAL_PHYSICS["wood"].density / 1000.0) < 0.02
    assert np.abs(sim.vel["obj1"][-int(RATE) :]).max() < 0.02
    splashes = [e for e in sim.events if e.kind == "splash"]
    assert {e.a for e in splashes} == {"obj0", "obj1"} and all(
        e.b == "water" and e.y == 0.7 for e in splashes
    )
    entry = splashes[0]
    k = int(entry.t * RATE)
    assert abs(entry.speed - -sim.vel[entry.a][k, 1]) < 0.1  # the downward speed at the surface
    assert sim.in_water["obj0"][-1] and sim.in_water["obj1"][-1] and not sim.in_water["obj1"][0]


def test_splash_is_not_repeated_by_a_floating_body() -> None:
    tank = WaterTank(x_min=2.0, x_max=4.0, height=1.0, water_level=0.7)
    sim = simulate(scene(obj(0, "ball", "wood", 0.1, x=3.0, y=1.2), tank=tank, duration=6.0))
    assert len([e for e in sim.events if e.kind == "splash"]) <= 2


def test_buoyancy_potential_is_minus_the_buoyant_force_integrated() -> None:
    from phonofilm.world.physics.water import box_submerged, buoyancy_potential, circle_submerged

    depth = np.linspace(-0.2, 0.3, 501)  # [K] centre depth below the surface
    for circle, area in (
        (True, lambda d: circle_submerged(d, 0.1)),
        (False, lambda d: box_submerged(d, 0.2, 0.1)),
    ):
        u = buoyancy_potential(circle, depth, 0.1, 0.2, 0.1, G)
        force = 1000.0 * G * np.array([area(d) for d in depth])  # upward, N per metre of depth
        # deeper = lower: dU/d(depth) = +force
        assert np.allclose(np.gradient(u, depth)[1:-1], force[1:-1], rtol=1e-3, atol=3e-3 * force.max())
        assert u[0] == 0.0


def test_energy_jumps_by_the_launch_energy_at_release() -> None:
    from phonofilm.world.physics.bodies import Body

    o = obj(0, y=2.0, vx=2.0, spin=10.0, release=1.0)
    sc = scene(o, duration=1.5)
    e = kinetic_plus_potential_energy(sc, simulate(sc))
    body = Body(0, o)
    launch = 0.5 * body.m * 2.0**2 + 0.5 / body.inv_i * 10.0**2
    k = int(RATE)  # the release sample
    assert abs((e[k + 1] - e[k - 1]) - launch) < 0.01 * launch
    assert np.all(np.diff(e[k + 1 :]) < 1e-6 * e.max())


# --- contract, determinism, robustness ----------------------------------------------------------------------


def test_tables_cover_every_material_and_floor() -> None:
    assert set(MATERIAL_PHYSICS) == set(MATERIALS) and set(FLOOR_PHYSICS) == set(FLOOR_MATERIALS)
    assert MATERIAL_PHYSICS["wood"].density < 1000.0 < MATERIAL_PHYSICS["metal"].density
    for p in (*MATERIAL_PHYSICS.values(), *FLOOR_PHYSICS.values()):
        assert 0 < p.restitution < 1 and p.friction > 0 and p.rolling > 0


def test_output_shapes_and_event_contract() -> None:
    sc = random_scene(3, n=5)
    sim = simulate(sc)
    n = round(sc.duration * RATE) + 1
    assert sim.t.shape == (n,) and sim.rate == RATE and np.allclose(np.diff(sim.t), 1 / RATE)
    ids = {o.id for o in sc.objects}
    assert set(sim.pos) == set(sim.vel) == set(sim.angle) == set(sim.in_water) == ids
    for i in ids:
        assert sim.pos[i].shape == (n, 2) and sim.vel[i].shape == (n, 2) and sim.angle[i].shape == (n,)
        assert sim.in_water[i].shape == (n,) and sim.in_water[i].dtype == bool
    times = [e.t for e in sim.events]
    assert times == sorted(times) and all(0 <= t <= sc.duration for t in times)
    for e in sim.events:
        assert e.a in ids and (e.b in ids or e.b in STATIC_SURFACES) and e.a != e.b
        assert e.speed >= IMPACT_SPEED and e.kind in ("impact", "splash")


def test_deterministic() -> None:
    sc = random_scene(7, n=6)
    a, b = simulate(sc), simulate(Scene.from_json(sc.to_json()))
    assert a.events == b.events
    for i in a.pos:
        assert a.pos[i].tobytes() == b.pos[i].tobytes() and a.angle[i].tobytes() == b.angle[i].tobytes()
        assert a.vel[i].tobytes() == b.vel[i].tobytes()


def test_fast_path_matches_plain_stepping() -> None:
    sc = scene(
        obj(0, y=2.0, vx=1.0),
        obj(1, "cube", "wood", 0.1, x=5.0, y=0.1, vx=-2.0),
        obj(2, "ball", "metal", 0.1, x=6.0, y=0.1, vx=1.5, spin=-15.0),
        obj(3, "brick", "glass", 0.05, x=3.5, y=0.05),
    )
    fast, slow = run(sc), run(sc, quiet=False)
    for i in fast.pos:
        assert np.abs(fast.pos[i] - slow.pos[i]).max() < 1e-9
    assert [(e.a, e.b) for e in fast.events] == [(e.a, e.b) for e in slow.events]
    assert max(abs(e.t - f.t) for e, f in zip(fast.events, slow.events, strict=True)) < 1e-9


def test_lower_rate_is_the_same_physics() -> None:
    sc = scene(obj(0, y=2.0, vx=1.0), obj(1, "cube", "wood", 0.1, x=5.0, y=0.1, vx=-2.0), duration=2.0)
    hi, lo = simulate(sc), simulate(sc, rate=60.0)
    assert lo.t.shape == (121,)
    for i in hi.pos:
        assert np.abs(hi.pos[i][::4] - lo.pos[i]).max() < 1e-9


def random_scene(seed: int, n: int = 8) -> Scene:
    """A crowded, violent scene: n objects of every shape and material thrown around, hoop and tank maybe."""
    rng = np.random.default_rng(seed)
    hoop = Hoop(x=0.3, board_bottom=2.0, board_height=1.0, rim_height=2.2, rim_length=0.45, side=-1)
    tank = WaterTank(x_min=5.5, x_max=7.5, height=1.0, water_level=0.7)
    placed: list[tuple[float, float, float, float]] = []
    objects = []
    while len(objects) < n:
        shape, size = str(rng.choice(SHAPES)), float(rng.uniform(0.05, 0.2))
        hx, hy = (2 * size, size) if shape == "brick" else (size, size)
        x, y = float(rng.uniform(1.2 + hx, 5.2 - hx)), float(rng.uniform(hy, 3.0))
        if any(abs(x - px) < hx + qx + 0.01 and abs(y - py) < hy + qy + 0.01 for px, py, qx, qy in placed):
            continue
        placed.append((x, y, hx, hy))
        objects.append(
            SceneObject(
                f"obj{len(objects)}",
                shape,
                "red",
                str(rng.choice(MATERIALS)),
                size,
                "thrown",
                x,
                y,
                vx=float(rng.uniform(-6, 6)),
                vy=float(rng.uniform(-3, 6)),
                spin=float(rng.uniform(-10, 10)),
                release=float(rng.choice([0.0, rng.uniform(0, 1)])),
            )
        )
    stage = Stage(
        floor=str(rng.choice(FLOOR_MATERIALS)),
        hoop=hoop if rng.random() < 0.5 else None,
        tank=tank if rng.random() < 0.5 else None,
    )
    return Scene(seed=seed, duration=4.0, stage=stage, objects=tuple(objects))


@pytest.mark.parametrize("seed", range(24))
def test_random_crowded_scenes_stay_sane(seed: int) -> None:
    sc = random_scene(seed)
    sim = simulate(sc)
    for o in sc.objects:
        assert np.isfinite(sim.pos[o.id]).all() and np.isfinite(sim.vel[o.id]).all()
        x, hx = sim.pos[o.id][:, 0], half_extents(o)[0]
        assert x.min() - hx > -0.01 and x.max() + hx < sc.stage.width + 0.01  # inside the walls
    rise, scale = energy_rise(sc, sim)
    assert rise < 1e-3 * scale + 1e-6
    assert max_overlap(sc, sim) < 0.01


def test_empty_scene() -> None:
    sim = simulate(scene(duration=1.0))
    assert sim.t.shape == (241,) and sim.pos == {} and sim.events == ()


def test_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="rate"):
        simulate(scene(obj(0)), rate=0.0)
    with pytest.raises(ValueError, match="size"):
        simulate(scene(obj(0, size=0.0)))
    bad = SceneObject("obj0", "ball", "red", "cheese", 0.1, "dropped", 1.0, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"cheese.*allowed"):
        simulate(scene(bad))
