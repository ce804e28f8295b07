"""Per-second pricing at Sora 2's published prices, and usage totals per key (completed videos only)."""

from __future__ import annotations

from sqlalchemy import func, select

from phonofilm.server.schemas import Usage, UsageLine
from phonofilm.server.store import Store, Video

# USD per generated second: sora-2 at 720p; sora-2-pro at 720p and at 1024p / 1080p.
PRICE_PER_SECOND = {
    ("sora-2", "720p"): 0.10,
    ("sora-2-pro", "720p"): 0.30,
    ("sora-2-pro", "hd"): 0.50,
}


def tier(size: str) -> str:
    """'720p' for 720x1280 / 1280x720, 'hd' for the 1024p and 1080p sizes."""
    width, height = (int(v) for v in size.split("x"))
    return "720p" if min(width, height) <= 720 else "hd"


def price_per_second(preset: str, size: str) -> float:
    """The price of one generated second; ValueError for a combination that has none."""
    try:
        return PRICE_PER_SECOND[(preset, tier(size))]
    except KeyError:
        raise ValueError(f"no price for model preset {preset!r} at size {size}") from None


def cost(preset: str, size: str, seconds: float) -> float:
    """USD for `seconds` newly generated seconds, rounded to a hundredth of a cent."""
    return round(price_per_second(preset, size) * seconds, 4)


def usage_for(store: Store, key_id: str) -> Usage:
    """Totals of completed videos for one key, overall and per (model, size)."""
    with store.read() as session:
        rows = session.execute(
            select(Video.model, Video.size, func.count(), func.sum(Video.new_seconds), func.sum(Video.cost_usd))
            .where(Video.owner == key_id, Video.status == "completed")
            .group_by(Video.model, Video.size)
            .order_by(Video.model, Video.size)
        ).all()
    lines = [
        UsageLine(model=m, size=s, videos=int(n), seconds=float(sec or 0), cost_usd=round(float(c or 0), 4))
        for m, s, n, sec, c in rows
    ]
    return Usage(
        key_id=key_id,
        videos=sum(line.videos for line in lines),
        seconds=sum(line.seconds for line in lines),
        cost_usd=round(sum(line.cost_usd for line in lines), 4),
        by_model=lines,
    )


def usage_all(store: Store) -> dict[str, Usage]:
    """Usage of every key that has any video, by key id."""
    with store.read() as session:
        owners = session.scalars(select(Video.owner).distinct()).all()
    return {owner: usage_for(store, owner) for owner in sorted(owners)}
