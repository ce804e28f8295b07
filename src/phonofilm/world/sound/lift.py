"""Every contact is heard: a contact that what already sounds would mask gets its attack lifted.

The soundtrack is the world's audio-visual sync ground truth, so each contact at or above HEARD_SPEED
should start an onset on its own sample even while another object still rings or a splash roars, as a
foley mixer makes every on-screen hit audible. Before mixing a contact, the mixer checks what already
sounds around its onset and raises the first two windows of the contact's ring just enough for an energy
onset detector to fire, wherever its frames fall; then the ring eases back to its own level, so a lift
adds little to what later contacts must stand out of. The ring is lifted rather than the burst: it gives
the energy at a low crest factor, so a lifted contact does not become the clip's loudest peak.

What it cannot do: separate contacts of a rattle a few milliseconds apart (no 10 ms frame can), or lift
a slow contact more than MAX_LIFT over a far louder one (about 1-2 % of contacts in sampled scenes).
"""

from __future__ import annotations

import numpy as np

from phonofilm.world.sound.impacts import ImpactParts

HEARD_SPEED = 0.3  # m/s: contacts at least this fast are always heard (lifted if masked)
ONSET_WINDOW_S = 0.01  # an onset detector's frame: a contact's frame must rise above the frame before...
ONSET_RISE = 3.5  # ...by this energy ratio (5.4 dB; a detector may ask for 4.3 dB)...
MAX_LIFT = 100.0  # ...if raising its attack by at most +40 dB can do it
RATTLE_HEADROOM = 8.0  # a contact near others is lifted to at most 8x (+18 dB) their level
PEER_WINDOWS = 5  # a lift can matter to contacts up to this many windows later: they are its peers
HOLD_WINDOWS = 2  # the lift holds this long (in windows), then eases back to 1 over one more window
_CANDIDATES = np.geomspace(1.0, MAX_LIFT, 65)  # lifts tried, ~0.6 dB apart


class AttackLifter:
    """Decides, contact by contact in time order, how far to lift each one's attack.

    It remembers the contacts of the last PEER_WINDOWS windows: a contact is lifted at most to
    RATTLE_HEADROOM times the loudest of those as they were made (not as lifted), so a rattle of contacts
    stays near its own level instead of being lifted, each over the one before, into a crescendo.
    """

    def __init__(self, sample_rate: int) -> None:
        self.window = round(ONSET_WINDOW_S * sample_rate)
        self._recent: list[tuple[int, float]] = []  # (onset sample, attack level before any lift) so far

    def lift(self, before: np.ndarray, start: int, parts: ImpactParts, gains: np.ndarray) -> float:
        """Gain (1..MAX_LIFT) for the attack of the contact at sample `start`; remembers the contact.

        `before` [channels, n] is what sounds so far; `gains` [channels] is the contact's pan.
        """
        w = self.window
        panned = np.zeros((2, len(gains), 2 * w), np.float64)  # [ring | burst, channels, 2w] as they sound
        for row, sound in zip(panned, parts, strict=True):
            row[:, : min(2 * w, len(sound))] = gains.astype(np.float64)[:, None] * sound[: 2 * w]
        level = float(np.sqrt(np.sum(panned.sum(axis=0)[:, :w] ** 2)))
        peers = [lv for s, lv in self._recent if start - s <= PEER_WINDOWS * w]
        ceiling = max(1.0, RATTLE_HEADROOM * max(peers) / max(level, 1e-12)) if peers else MAX_LIFT
        lift = min(onset_lift(before, start, panned[0], panned[1], w), ceiling)
        self._recent = [*(r for r in self._recent if start - r[0] <= PEER_WINDOWS * w), (start, level)]
        return lift


def _region(before: np.ndarray, lo: int, n: int) -> np.ndarray:
    """before[:, lo:lo + n] as float64, zero outside the clip."""
    out = np.zeros((before.shape[0], n), np.float64)
    src_lo, src_hi = max(lo, 0), min(lo + n, before.shape[1])
    if src_hi > src_lo:
        out[:, src_lo - lo : src_hi - lo] = before[:, src_lo:src_hi]
    return out


def onset_lift(before: np.ndarray, start: int, ring: np.ndarray, burst: np.ndarray, window: int) -> float:
    """Least gain (up to MAX_LIFT) on a contact's `ring` [channels, 2 * window] that makes its onset heard.

    The ring and the `burst` [channels, 2 * window] (which keeps its level) start at sample `start`.
    An onset detector compares each frame's energy with the frame before. Wherever its frame grid falls
    (every offset is tried), the frame holding the onset or the next one must rise ONSET_RISE above its
    predecessor, given what already sounds (`before` [channels, n]) and how the ring adds to it (in or out
    of phase: a body struck again while it rings can partly cancel its own ring). The worst offset decides.
    """
    w = window
    b = _region(before, start - 2 * w, 4 * w)  # [channels, 4w]: two windows either side of the onset
    b[:, 2 * w :] += burst
    a = np.zeros_like(b)
    a[:, 2 * w :] = ring
    # prefix sums over time of b.b, b.a, a.a: a frame's terms are differences of two of them
    sums = np.concatenate(
        [np.zeros((3, 1)), np.cumsum([(b * b).sum(0), (b * a).sum(0), (a * a).sum(0)], 1)], 1
    )
    offset = np.arange(w)  # the onset's place inside its frame, for every frame grid
    edges = 2 * w - offset + np.arange(-1, 3)[:, None] * w  # [4, w]: frames j-1, j, j+1 begin and end
    prev, cur, nxt = (sums[:, edges[k + 1]] - sums[:, edges[k]] for k in range(3))  # [3 terms, w] each
    failing = ~_heard(np.ones((1, 1)), prev[0], cur, nxt)[0]  # most contacts need no lift: try that first
    if not failing.any():
        return 1.0
    ok = _heard(_CANDIDATES[:, None], prev[0, failing], cur[:, failing], nxt[:, failing])
    first = np.where(ok.any(axis=0), ok.argmax(axis=0), len(_CANDIDATES) - 1)  # least lift per offset
    return float(_CANDIDATES[first.max()])


def _heard(g: np.ndarray, prev: np.ndarray, cur: np.ndarray, nxt: np.ndarray) -> np.ndarray:
    """[lifts, offsets]: whether lifting by g [lifts, 1] makes frame j or j + 1 rise ONSET_RISE.

    prev [offsets] is frame j-1's energy; cur and nxt [3, offsets] hold frame j's and j+1's (b.b, b.a, a.a).
    """
    e_cur, e_nxt = (t[0] + 2.0 * g * t[1] + g * g * t[2] for t in (cur, nxt))
    return (e_cur >= ONSET_RISE * prev) | (e_nxt >= ONSET_RISE * e_cur)


def lifted_attack(parts: ImpactParts, lift: float, window: int) -> np.ndarray:
    """Mono float32 attack to add to the contact's ring: its burst, plus the ring's lift.

    The ring's gain holds `lift` for HOLD_WINDOWS windows, then eases back to 1 over one more window.
    """
    if lift == 1.0:
        return parts.burst
    hold = HOLD_WINDOWS * window
    n = min(len(parts.ring), hold + window)
    extra = np.full(n, lift - 1.0, np.float32)  # gain above the ring's own
    ease = extra[hold:]
    ease *= np.linspace(1.0, 0.0, window, dtype=np.float32)[: len(ease)]
    out = np.zeros(max(n, len(parts.burst)), np.float32)
    out[:n] = parts.ring[:n] * extra
    out[: len(parts.burst)] += parts.burst
    return out
