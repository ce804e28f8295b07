"""Contacts and free-flight fits on synthetic trajectories with known truth."""

from __future__ import annotations

import numpy as np

from phonofilm.eval.perception.motion import find_contacts, free_flights


def bouncing(n: int = 64, g: float = 0.56, e: float = 0.7, vx: float = 0.8, noise: float = 0.2, seed: int = 0,
             release: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """A ball dropped onto a floor at y = 60 px, sampled once per frame (y down): frames, xy, contact times."""
    dt, t, y, vy, x = 1e-3, 0.0, 10.0, 0.0, 5.0
    xs, ys, contacts = [], [], []
    for k in range(n):
        while t < k:
            if t >= release:
                vy += g * dt
                y += vy * dt
                x += vx * dt
            t += dt
            if y > 60.0 and vy > 0:
                y, vy = 120.0 - y, -e * vy
                contacts.append(t)
        xs.append(x)
        ys.append(y)
    xy = np.stack([xs, ys], 1) + np.random.default_rng(seed).normal(0, noise, (n, 2))
    return np.arange(n), xy, np.array(contacts)


def test_contacts_timed_within_a_fifth_of_a_frame() -> None:
    frames, xy, truth = bouncing()
    found = np.array([c.time for c in find_contacts(frames, xy, 0.56)])
    resolvable = truth[truth < 58]  # the last tiny hops are below the resolvable velocity jump
    assert len(found) >= len(resolvable) - 1
    for t in resolvable[: len(found)]:
        assert np.min(np.abs(found - t)) < 0.2, f"contact at {t:.2f} found as {found.round(2)}"


def test_energy_ratio_is_restitution_squared_and_reversal_gains_energy() -> None:
    frames, xy, _ = bouncing(e=0.7)
    forward = [c.energy_ratio for c in find_contacts(frames, xy, 0.56) if c.is_bounce]
    assert forward and all(0.3 < r < 0.75 for r in forward)  # 0.7² = 0.49 up to noise
    backward = [c.energy_ratio for c in find_contacts(frames, xy[::-1].copy(), 0.56) if c.is_bounce]
    assert backward and all(r > 1.3 for r in backward)


def test_free_flight_recovers_gravity_and_ignores_the_held_start() -> None:
    frames, xy, _ = bouncing(g=0.56, release=8.0)
    contacts = find_contacts(frames, xy, 0.56)
    assert all(c.time > 9 for c in contacts), "a release is not a contact"
    flights = free_flights(frames, xy, contacts)
    assert flights
    accel = np.median([f.accel for f in flights])
    assert abs(accel - 0.56) < 0.05
    half = free_flights(*bouncing(g=0.28)[:2], find_contacts(*bouncing(g=0.28)[:2], 0.56))
    assert abs(np.median([f.accel for f in half]) - 0.28) < 0.04
