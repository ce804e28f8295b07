"""AV sync at its ideal on world clips; audio shifted by 120 ms or replaced by noise fails it; matches that
coincidence alone would make are not counted as sync."""

from __future__ import annotations

import numpy as np

from phonofilm.eval.corrupt import noise_audio, shift_audio
from phonofilm.eval.metrics.registry import METRICS
from phonofilm.eval.metrics.sync import SyncResult, analyse_sync, best_lag, chance_matches, match_events
from phonofilm.world.clip import Clip


def pooled(clips: list[Clip]) -> tuple[float, float, float, float]:
    """(mean |offset| ms, recall, precision, median best lag ms) pooled over clips."""
    rs: list[SyncResult] = [analyse_sync(c) for c in clips]
    offsets = np.concatenate([r.offsets for r in rs])
    within = sum(int((np.abs(r.offsets) <= r.tolerance).sum()) for r in rs)
    visual = sum(len(r.visual) for r in rs)
    clear = sum(r.clear_matched for r in rs)
    heard = sum(r.clear for r in rs)
    lags = [r.best_lag for r in rs if np.isfinite(r.best_lag)]
    mean_ms = float(np.abs(offsets).mean() * 1000) if len(offsets) else float("nan")
    lag_ms = float(np.median(lags) * 1000) if lags else float("nan")
    return mean_ms, within / max(visual, 1), clear / max(heard, 1), lag_ms


def test_matching_and_lag_on_known_times() -> None:
    visual = np.array([0.5, 1.0, 2.0, 3.0])
    audio = visual + 0.12
    np.testing.assert_allclose(match_events(visual, audio), 0.12)
    assert abs(best_lag(visual, audio) - 0.12) < 0.005
    assert abs(best_lag(visual, np.array([0.51, 1.49, 2.01, 3.3]))) <= 0.01  # the two that agree win


def test_world_clips_are_in_sync(physics_clips: list[Clip]) -> None:
    offset, recall, precision, lag = pooled(physics_clips)
    assert offset < 35.0, offset
    assert abs(lag) < 25.0, lag
    assert recall >= 0.6 and precision >= 0.3, (recall, precision)
    for name, value in (("av_offset_ms", offset), ("av_best_lag_ms", lag), ("av_recall", recall),
                        ("av_precision", precision)):  # fmt: skip
        assert not METRICS[name].failed(value), (name, value)


def test_sound_shifted_by_120ms_fails(physics_clips: list[Clip]) -> None:
    offset, recall, _, lag = pooled([shift_audio(c, 120.0) for c in physics_clips])
    assert abs(lag - 120.0) < 25.0, lag
    assert METRICS["av_best_lag_ms"].failed(lag)
    assert METRICS["av_offset_ms"].failed(offset), offset
    assert METRICS["av_recall"].failed(recall), recall


def test_sound_replaced_by_noise_fails(physics_clips: list[Clip]) -> None:
    _, recall, _, _ = pooled([noise_audio(c, seed=i) for i, c in enumerate(physics_clips)])
    assert METRICS["av_recall"].failed(recall), recall


def over_chance(clips: list[Clip]) -> tuple[float, float]:
    """Mean (recall, precision) over chance across the clips where each is measurable."""
    rs = [analyse_sync(c) for c in clips]

    def mean(values: list[float]) -> float:
        measured = [v for v in values if np.isfinite(v)]
        return float(np.mean(measured)) if measured else float("nan")

    return mean([r.recall_over_chance for r in rs]), mean([r.precision_over_chance for r in rs])


def test_chance_level_of_unrelated_events() -> None:
    """Onsets that have nothing to do with the contacts match by coincidence about as often as their
    shifted copies do; the same onsets on the contacts match far above that level."""
    rng = np.random.default_rng(0)
    tol, duration = 1 / 16, 4.0
    got, chance, synced = [], [], []
    for _ in range(200):
        visual, audio = np.sort(rng.uniform(0, duration, 5)), np.sort(rng.uniform(0, duration, 9))
        got.append(int((np.abs(match_events(visual, audio)) <= tol).sum()))
        chance.append(chance_matches(visual, audio, duration, tol))
        synced.append(chance_matches(visual, np.concatenate([visual, audio[5:]]), duration, tol))
    assert abs(np.mean(got) - np.mean(chance)) < 0.15 * np.mean(got), (np.mean(got), np.mean(chance))
    assert 0.5 < np.mean(chance) < 2.0  # 5 contacts, 9 onsets in 4 s: about one pair within a frame
    assert np.mean(synced) < 2.0  # shifted away, synced onsets are no longer on their contacts
    assert chance_matches(np.array([1.0]), np.array([]), duration, tol) == 0.0


def test_world_clips_are_in_sync_beyond_chance(physics_clips: list[Clip]) -> None:
    recall, precision = over_chance(physics_clips)
    assert not METRICS["av_recall_over_chance"].failed(recall), recall
    assert not METRICS["av_precision_over_chance"].failed(precision), precision


def test_sound_shifted_or_replaced_is_at_chance(physics_clips: list[Clip]) -> None:
    """Shifted 120 ms, contacts keep an onset within a frame only by coincidence (recall over chance fails,
    as recall does above); replaced by noise, nothing is heard as an impact (precision not measurable)."""
    world_precision = over_chance(physics_clips)[1]
    recall, precision = over_chance([shift_audio(c, 120.0) for c in physics_clips])
    assert METRICS["av_recall_over_chance"].failed(recall), recall
    assert precision < world_precision - 0.1, (precision, world_precision)
    recall, _ = over_chance([noise_audio(c, seed=i) for i, c in enumerate(physics_clips)])
    assert METRICS["av_recall_over_chance"].failed(recall), recall
