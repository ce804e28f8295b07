"""Sequential-impulse contact solver with speculative contacts, restitution, friction and rolling resistance.

Velocity pass: accumulated impulses per contact, clamped (normal ≥ 0, |friction| ≤ μ·normal,
|rolling| ≤ rolling·normal), warm-started from the previous step so resting stacks converge in a few
iterations. Gauss-Seidel converges slowly when a heavy body lands on a light one held by something fixed
(each iteration moves the heavy body by the mass ratio); when the iterations run out, a "shock" sweep goes
through the contacts outward from the fixed world and treats the nearer body of each pair as immovable,
so every contact ends up resolved and the light body is not squeezed into the floor or a wall.

Restitution is a separate pass after the (inelastic) velocity iterations, normal impulses only (as in
Box2D v3): a bounce then cannot be kept up by the floor while friction from a neighbour drags the bouncing
body back, which would pump energy in. The pass iterates over all contacts, so a bounce cannot drive a
light body into the floor under it. A bounce reflects the approach speed before this step's gravity, and
only on the step a contact starts (a "fresh" contact): an impact the solver did not fully resolve in that
step is finished inelastically. Below RESTITUTION_SPEED a contact is perfectly inelastic, which is what
lets a bouncing ball settle into silence instead of micro-bouncing.

Position pass: overlap left by the velocity pass is removed by moving bodies directly (never by adding
velocity, so it cannot inject kinetic energy): a body on top of another one yields alone, bodies side by
side share the push.
"""

from __future__ import annotations

from collections.abc import Callable

from phonofilm.world.physics.contacts import Contact

RESTITUTION_SPEED = 0.15  # m/s: slower approaches do not bounce
ITERATIONS = 12  # most velocity iterations per step (warm-started resting contacts converge in 1-3)
# converged when no contact's impulses change by more than this fraction of its own normal impulse
CONVERGED = 1e-4
TOUCH_MEMORY = 0.02  # s: a pair that touched this recently is still in contact (no new bounce or event)
LINEAR_SLOP = 0.0005  # m: overlap left alone (keeps resting contacts touching without chatter)
CORRECTION = 0.4  # fraction of the remaining overlap removed per position iteration
MAX_CORRECTION = 0.02  # m: largest push per position iteration
POSITION_ITERATIONS = 2
STACKED = 0.1  # |normal y| above which one body counts as resting on the other (the upper one yields)

Warm = dict[tuple[int, int], tuple[float, float, float]]


def relative_velocity(c: Contact) -> tuple[float, float]:
    """Velocity of body a relative to body b (or to the fixed world) at the contact point."""
    a, b = c.a, c.b
    dvx = a.vx - a.w * c.ray
    dvy = a.vy + a.w * c.rax
    if b is not None:
        dvx -= b.vx - b.w * c.rby
        dvy -= b.vy + b.w * c.rbx
    return dvx, dvy


def prepare(
    contacts: list[Contact], t: float, dt: float, warm: Warm, last_touch: dict[tuple[int, int], float]
) -> None:
    """Effective masses, target normal velocities (restitution or speculative gap), then warm start."""
    recent = t - TOUCH_MEMORY - 1e-9
    for c in contacts:
        _masses(c)
        dvx, dvy = relative_velocity(c)
        vn = dvx * c.nx + dvy * c.ny
        c.vn0 = vn
        c.fresh = last_touch.get(c.pair, -1.0) < recent
        c.bounce = 0.0
        if c.d <= 0.0 or c.d + vn * dt <= 0.0:  # touching, or will touch within this step
            c.bias = 0.0
            if c.fresh and vn < -RESTITUTION_SPEED:
                c.bounce = -c.e * min(_approach_before_forces(c), 0.0)
        else:  # still apart: may approach by the remaining gap, no further
            c.bias = -c.d / dt
    for c in contacts:
        old = warm.get(c.key)
        if old is not None:
            c.jn, c.jt, c.jr = old
            _apply(c, c.jn, c.jt, c.jr)


def _approach_before_forces(c: Contact) -> float:
    """Normal relative velocity before this step's gravity: a bounce reflects that. Reflecting the speed
    with one more step of gravity in it would feed a tiny bounce g·dt·e/(1−e) forever."""
    a, b = c.a, c.b
    dvx = a.pvx - a.w * c.ray
    dvy = a.pvy + a.w * c.rax
    if b is not None:
        dvx -= b.pvx - b.w * c.rby
        dvy -= b.pvy + b.w * c.rbx
    return dvx * c.nx + dvy * c.ny


def warm_starts(contacts: list[Contact], converged: bool) -> Warm:
    """Impulses to start the next step from: resting contacts of bodies that did not bounce this step
    (a bounce's impulses are a one-off, and they travel through everything the bouncing body touched);
    nothing after a shock sweep."""
    if not converged:
        return {}
    bounced = set()
    for c in contacts:
        if c.bounce > 0.0 and c.jn > 0.0:
            bounced.add(c.a.index)
            if c.b is not None:
                bounced.add(c.b.index)
    return {
        c.key: (c.jn, c.jt, c.jr)
        for c in contacts
        if c.jn > 0.0 and c.a.index not in bounced and (c.b is None or c.b.index not in bounced)
    }


def _masses(c: Contact) -> None:
    """Effective masses of the contact's normal, tangent and rolling constraints."""
    a, b = c.a, c.b
    tx, ty = -c.ny, c.nx
    ta = c.rax * ty - c.ray * tx
    kn, kt, kr = a.im, a.im + a.ii * ta * ta, a.ii
    if b is not None:
        tb = c.rbx * ty - c.rby * tx
        kn += b.im
        kt += b.im + b.ii * tb * tb
        kr += b.ii
    # circles touch along their centre line and boxes do not turn: the normal has no angular term
    c.mass_n = 1.0 / kn if kn > 0.0 else 0.0
    c.mass_t = 1.0 / kt if kt > 0.0 else 0.0
    c.mass_r = 1.0 / kr if kr > 0.0 and c.rr > 0.0 else 0.0


def _apply(c: Contact, jn: float, jt: float, jr: float) -> None:
    """Apply normal, tangent and rolling impulses to both sides of a contact."""
    a, b = c.a, c.b
    nx, ny = c.nx, c.ny
    px = jn * nx - jt * ny
    py = jn * ny + jt * nx
    ta = c.rax * nx + c.ray * ny  # r × t with t = (−ny, nx)
    a.vx += px * a.im
    a.vy += py * a.im
    a.w += (ta * jt + jr) * a.ii
    if b is not None:
        tb = c.rbx * nx + c.rby * ny
        b.vx -= px * b.im
        b.vy -= py * b.im
        b.w -= (tb * jt + jr) * b.ii


def _relax(c: Contact) -> float:
    """One Gauss-Seidel update of a contact; returns how much its impulses changed."""
    a, b = c.a, c.b
    nx, ny = c.nx, c.ny
    dvx, dvy = relative_velocity(c)
    # normal: no approach faster than the target (restitution / remaining gap), never pull
    jn = max(c.jn + (c.bias - (dvx * nx + dvy * ny)) * c.mass_n, 0.0)
    dn = jn - c.jn
    c.jn = jn
    # friction: stop sliding at the contact point, at most μ·normal (the normal impulse has no
    # tangential effect: circles touch along their centre line and boxes do not turn)
    lim = c.mu * jn
    jt = min(max(c.jt - (dvy * nx - dvx * ny) * c.mass_t, -lim), lim)
    djt = jt - c.jt
    c.jt = jt
    # rolling resistance: resist relative spin, at most rolling·radius·normal
    dr = 0.0
    if c.mass_r > 0.0:
        wrel = a.w + (c.rax * nx + c.ray * ny) * djt * a.ii
        if b is not None:
            wrel -= b.w - (c.rbx * nx + c.rby * ny) * djt * b.ii
        lim = c.rr * jn
        jr = min(max(c.jr - wrel * c.mass_r, -lim), lim)
        dr = jr - c.jr
        c.jr = jr
    if dn == 0.0 and djt == 0.0 and dr == 0.0:
        return 0.0
    # apply the changes (as _apply, inlined: this is the solver's innermost loop)
    px = dn * nx - djt * ny
    py = dn * ny + djt * nx
    a.vx += px * a.im
    a.vy += py * a.im
    a.w += ((c.rax * nx + c.ray * ny) * djt + dr) * a.ii
    if b is not None:
        b.vx -= px * b.im
        b.vy -= py * b.im
        b.w -= ((c.rbx * nx + c.rby * ny) * djt + dr) * b.ii
    return abs(dn) + abs(djt) + abs(dr)


def solve(contacts: list[Contact]) -> bool:
    """Gauss-Seidel over contacts until impulses stop changing (a shock sweep if they never do), then
    the restitution pass. Returns whether the iterations converged: after a shock sweep the accumulated
    impulses are one-sided and must not be warm-started."""
    converged = _iterate(contacts, _relax)
    if not converged:
        _shock_sweep(contacts)
    bouncing = False
    for c in contacts:
        if c.bounce > 0.0 and c.jn > 0.0:
            c.bias = c.bounce
            bouncing = True
    if bouncing:  # normal impulses only: the bounces, and whatever they push into
        _iterate(contacts, _relax_normal)
    return converged


def _iterate(contacts: list[Contact], relax: Callable[[Contact], float]) -> bool:
    """Gauss-Seidel sweeps of `relax` until no contact's impulses change by more than CONVERGED of its
    normal impulse (per contact: a light ball's friction must converge beside a heavy stack)."""
    for _ in range(ITERATIONS):
        done = True
        for c in contacts:
            if relax(c) > CONVERGED * c.jn + 1e-12:
                done = False
        if done:
            return True
    return False


def _relax_normal(c: Contact) -> float:
    """One Gauss-Seidel update of a contact's normal impulse alone."""
    dvx, dvy = relative_velocity(c)
    jn = max(c.jn + (c.bias - (dvx * c.nx + dvy * c.ny)) * c.mass_n, 0.0)
    dn = jn - c.jn
    if dn == 0.0:
        return 0.0
    _apply(c, dn, 0.0, 0.0)
    c.jn = jn
    return abs(dn)


def _shock_sweep(contacts: list[Contact]) -> None:
    """Resolve contacts outward from the fixed world: in a contact between bodies at different distances
    from it (see `_levels`), the nearer body counts as immovable (it is resolved against what holds it
    already) and the farther one alone gets the push it still needs (normal impulse only). Contacts
    within a level, or in a clump that touches nothing fixed, are relaxed as usual."""
    level = _levels(contacts)
    far = len(contacts) + 1
    for c in sorted(contacts, key=lambda c: (_contact_level(c, level, far), c.py, c.key)):
        la = level.get(c.a.index, far)
        lb = level.get(c.b.index, far) if c.b is not None and c.b.im > 0.0 else 0
        fixed = c.a if la < lb else (c.b if lb < la else None)
        if fixed is None or fixed.im == 0.0 or min(la, lb) == far or not _needs_push(c):
            _relax(c)
            continue
        im, ii = fixed.im, fixed.ii
        fixed.im = fixed.ii = 0.0
        _masses(c)
        _relax_normal(c)
        fixed.im, fixed.ii = im, ii
        _masses(c)


def _levels(contacts: list[Contact]) -> dict[int, int]:
    """Contact-graph distance of each awake body from the fixed world (floor, walls, static shapes, bodies
    asleep or held): 1 if it presses on something fixed, 2 if on a level-1 body, ... Bodies pressing on
    nothing fixed are left out."""
    level: dict[int, int] = {}
    links: dict[int, list[int]] = {}
    frontier = []
    for c in contacts:
        if c.jn <= 0.0:
            continue
        if c.b is None or c.b.im == 0.0:
            if c.a.index not in level:
                level[c.a.index] = 1
                frontier.append(c.a.index)
        else:
            links.setdefault(c.a.index, []).append(c.b.index)
            links.setdefault(c.b.index, []).append(c.a.index)
    while frontier:
        nxt = []
        for i in frontier:
            for j in links.get(i, ()):
                if j not in level:
                    level[j] = level[i] + 1
                    nxt.append(j)
        frontier = nxt
    return level


def _contact_level(c: Contact, level: dict[int, int], far: int) -> int:
    """The level of the contact's body nearest to the fixed world (0 for a contact with the world)."""
    if c.b is None or c.b.im == 0.0:
        return 0
    return min(level.get(c.a.index, far), level.get(c.b.index, far))


def _needs_push(c: Contact) -> bool:
    """Whether the contact's normal impulse has to grow (the bodies still approach faster than allowed)."""
    dvx, dvy = relative_velocity(c)
    return dvx * c.nx + dvy * c.ny < c.bias


def correct_positions(contacts: list[Contact]) -> None:
    """Push overlapping bodies apart along the contact normal (positions only), from the lowest contact up.

    One on top of the other, only the upper one moves, so a light body under a heavy one is not squeezed
    into the floor (shock propagation). Side by side, both move by the same amount: that costs no energy
    (the push is horizontal), and a light body pinned against a wall by a heavy one gets out.
    """
    ordered = sorted(contacts, key=lambda c: (c.py, c.key)) if len(contacts) > 1 else contacts
    for _ in range(POSITION_ITERATIONS):
        moved = False
        for c in ordered:
            a, b = c.a, c.b
            # current gap, linearised: the gap at detection plus how far the bodies moved along the normal
            mx, my = a.x - a.x0, a.y - a.y0
            if b is not None:
                mx -= b.x - b.x0
                my -= b.y - b.y0
            d = c.d + mx * c.nx + my * c.ny
            if d >= -LINEAR_SLOP:
                continue
            wa = 1.0 if a.im > 0.0 else 0.0
            wb = 1.0 if b is not None and b.im > 0.0 else 0.0
            if wa > 0.0 and wb > 0.0 and abs(c.ny) > STACKED:  # stacked: the upper body yields
                wa, wb = (wa, 0.0) if c.ny > 0.0 else (0.0, wb)
            if wa + wb == 0.0:
                continue
            push = min(CORRECTION * (-d - LINEAR_SLOP), MAX_CORRECTION) / (wa + wb)
            a.x += push * wa * c.nx
            a.y += push * wa * c.ny
            if wb > 0.0:
                b.x -= push * wb * c.nx
                b.y -= push * wb * c.ny
            moved = True
        if not moved:
            return
