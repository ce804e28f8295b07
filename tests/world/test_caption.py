"""Captions state every fact of the scene in varied words, and parse_prompt reads them back."""

from __future__ import annotations

import itertools
import re
from collections import Counter

import numpy as np
import pytest

from phonofilm.world import state
from phonofilm.world.caption import caption, parse_prompt
from phonofilm.world.identities import IDENTITY_NAMES
from phonofilm.world.sampler import sample_scene
from phonofilm.world.scene import Scene
from phonofilm.world.state import ContactEvent
from phonofilm.world.vocab import (
    ACTION_WORDS,
    AMBIENCE_PHRASES,
    AMBIENCE_TRIGGERS,
    FLOOR_PHRASES,
    FRAMING_TRIGGERS,
    MATERIAL_SOUNDS,
    SETTING_TRIGGERS,
    SOUND_WORDS,
    STYLE_PREFIXES,
    STYLE_SUFFIXES,
    STYLE_TRIGGERS,
)


@pytest.fixture(scope="module")
def scenes() -> list[Scene]:
    return [sample_scene(seed) for seed in range(300)]


def _objects(items) -> Counter:
    return Counter((o.color, o.shape, o.material, o.action) for o in items)


def _fake_events(scene: Scene, seed: int) -> tuple[ContactEvent, ...]:
    """Contacts of every kind a simulation can log, so every event phrasing gets exercised."""
    rng = np.random.default_rng(seed)
    kinds = ["floor", state.WALL_LEFT, "object"]
    kinds += [state.BACKBOARD, state.RIM] if scene.stage.hoop else []
    kinds += [state.TANK_WALL, state.WATER] if scene.stage.tank else []
    events = []
    for o in scene.objects:
        t = o.release
        for k in [*rng.choice(kinds, size=3), *["floor"] * int(rng.integers(0, 4))]:
            t += 0.2
            other = (
                next((p.id for p in scene.objects if p.id != o.id), state.FLOOR) if k == "object" else str(k)
            )
            kind = "splash" if other == state.WATER else "impact"
            events.append(ContactEvent(t, o.id, other, o.x, 0.5, 2.0, kind))
    return tuple(sorted(events, key=lambda e: e.t))


def _assert_recovered(scene: Scene, text: str) -> None:
    got = parse_prompt(text)
    assert _objects(got.objects) == _objects(scene.objects), text
    assert (got.style, got.ambience, got.setting, got.floor) == (
        scene.style, scene.ambience, scene.stage.setting, scene.stage.floor), text  # fmt: skip
    assert got.hoop == (scene.stage.hoop is not None) and got.tank == (scene.stage.tank is not None), text
    lines = [
        (ln.text, scene.body(ln.character).name) for ln in sorted(scene.dialogue, key=lambda ln: ln.start)
    ]
    assert [(ln.text, ln.speaker) for ln in got.dialogue] == lines, text
    assert set(got.characters) == {c.name for c in scene.characters}, text
    assert got.n_shots == len(scene.shots), text
    if len(scene.shots) > 1:
        assert [s.framing for s in got.shots] == [s.framing for s in scene.shots], text
    assert got.counts == dict(Counter(o.shape for o in scene.objects)), text


# --- captions mention the ground truth ----------------------------------------------------------------


def test_parse_recovers_every_fact_of_300_scenes(scenes: list[Scene]) -> None:
    for scene in scenes:
        _assert_recovered(scene, caption(scene))


def test_parse_recovers_facts_with_other_seeds_and_events(scenes: list[Scene]) -> None:
    for scene in scenes[:150]:
        _assert_recovered(scene, caption(scene, seed=scene.seed + 1000))
        _assert_recovered(scene, caption(scene, _fake_events(scene, scene.seed), seed=scene.seed + 2000))


def test_material_sounds_are_named(scenes: list[Scene]) -> None:
    for scene in scenes[:100]:
        sounds = set(parse_prompt(caption(scene)).sounds)
        for o in scene.objects:
            material_words = {
                SOUND_WORDS[w] for p in MATERIAL_SOUNDS[o.material] for w in p.split() if w in SOUND_WORDS
            }
            assert sounds & material_words, (o.material, sounds)


def test_event_sounds_backboard_splash_sink_float() -> None:
    scene = sample_scene(4, with_hoop=True, with_tank=True, characters=[], objects=[
        {"color": "red", "shape": "ball", "material": "rubber", "action": "thrown"},
        {"color": "blue", "shape": "cube", "material": "metal", "action": "dropped"},
        {"color": "green", "shape": "cube", "material": "wood", "action": "dropped"}])  # fmt: skip
    ball, metal, wood = scene.objects
    events = (
        ContactEvent(1.0, ball.id, state.BACKBOARD, 7.8, 3.2, 5.0),
        ContactEvent(1.5, metal.id, state.WATER, 4.0, 0.8, 4.0, "splash"),
        ContactEvent(1.6, wood.id, state.WATER, 4.5, 0.8, 4.0, "splash"),
    )
    for seed in range(10):
        text = caption(scene, events, seed=seed)
        starts = sorted((text.index(c), c) for c in ("red", "blue", "green"))  # each object's own stretch
        ends = [i for i, _ in starts[1:]] + [len(text)]
        part = {c: text[i:j] for (i, c), j in zip(starts, ends, strict=True)}
        assert "backboard" in part["red"] and "splash" not in part["red"], text
        assert "splash" in part["blue"] and "sinks" in part["blue"], text  # metal is denser than water
        assert "splash" in part["green"] and "floats" in part["green"], text  # wood is lighter
        assert "splash" in parse_prompt(text).sounds
    no_events = caption(scene, seed=0)
    assert "backboard" not in no_events and "splash" not in no_events


def test_captions_of_simulated_scenes_follow_their_events() -> None:
    """With the real physics: backboard and splash are said exactly when they happened."""
    from phonofilm.world.physics import simulate

    boards = splashes = 0
    for seed in range(30):
        scene = sample_scene(seed, with_hoop=seed % 2 == 0, with_tank=seed % 2 == 1)
        events = simulate(scene).events
        text = caption(scene, events)
        hit_board = any(e.b == state.BACKBOARD for e in events)
        splashed = any(e.kind == "splash" for e in events)
        assert ("backboard" in text) == hit_board and ("splash" in text) == splashed, text
        boards, splashes = boards + hit_board, splashes + splashed
        _assert_recovered(scene, text)
    assert boards >= 3 and splashes >= 5, (boards, splashes)  # the sampler aims throws and drops well


def test_multi_shot_script() -> None:
    scene = sample_scene(2, n_shots=3, objects=[{"color": "blue", "shape": "cube"}, {"color": "red"}])
    text = caption(scene)
    assert re.search(r"Shot 1\b.*Shot 2\b.*Shot 3\b", text), text
    for shot in scene.shots:
        if shot.framing == "close":
            body = scene.body(shot.target)
            assert getattr(body, "name", getattr(body, "color", "")) in text.split("Shot 2")[1]


def test_characters_are_named_and_described() -> None:
    scene = sample_scene(5, characters=[0], dialogue=["Watch this!"])
    pip = scene.characters[0]
    for seed in range(10):
        text = caption(scene, seed=seed)
        assert "Pip" in text and pip.color in text and '"Watch this!"' in text
    assert parse_prompt(caption(scene)).dialogue[0].speaker == "Pip"


# --- variety and determinism -------------------------------------------------------------------------


def test_same_scene_and_seed_same_caption(scenes: list[Scene]) -> None:
    for scene in scenes[:20]:
        assert caption(scene) == caption(scene, seed=scene.seed) == caption(Scene.from_json(scene.to_json()))


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z]+", text.lower())
    return set(zip(words, words[1:], words[2:], strict=False))


def test_captions_vary_with_the_seed(scenes: list[Scene]) -> None:
    distances = []
    for scene in scenes[:50]:
        texts = [caption(scene, seed=s) for s in range(5)]
        assert len(set(texts)) == 5
        for a, b in itertools.combinations(texts, 2):
            ta, tb = _trigrams(a), _trigrams(b)
            distances.append(1 - len(ta & tb) / len(ta | tb))
    assert np.mean(distances) > 0.5, np.mean(distances)  # most word triples differ between phrasings
    openings = Counter(caption(s).split()[0] for s in scenes)
    assert len(openings) >= 15


# --- the vocabulary is unambiguous --------------------------------------------------------------------


def test_every_phrase_parses_to_its_own_fact_only() -> None:
    for amb, phrases in AMBIENCE_PHRASES.items():
        for p in phrases:
            got = parse_prompt(p + ".")
            assert got.ambience == amb and got.style is None and got.objects == (), p
    for style, phrases in [*STYLE_PREFIXES.items(), *STYLE_SUFFIXES.items()]:
        for p in phrases:
            got = parse_prompt(p + ".")
            assert got.style == style and got.ambience is None and got.setting is None, p
    for floor, phrases in FLOOR_PHRASES.items():
        for p in phrases:
            got = parse_prompt(f"on {p}.")
            assert got.floor == floor and got.ambience is None and got.style is None, p


def test_names_never_collide_with_vocabulary() -> None:
    words = {w for table in (AMBIENCE_TRIGGERS, STYLE_TRIGGERS, SETTING_TRIGGERS, FRAMING_TRIGGERS, ACTION_WORDS)
             for ws in table.values() for w in ws}  # fmt: skip
    assert not {n.lower() for n in IDENTITY_NAMES} & (words | set(SOUND_WORDS))


# --- free user text --------------------------------------------------------------------------------


def test_parse_free_prompts() -> None:
    got = parse_prompt(
        "two red balls and a Steel block fall onto a wooden floor while it is raining, anime style. "
        'pip says "It\'s windy today!" Then "Nice shot!" shouts @Bo. Someone rolls a grey sphere.'
    )
    assert got.counts == {"ball": 3, "cube": 1}
    assert Counter((o.color, o.shape, o.material) for o in got.objects) == Counter(
        {("red", "ball", None): 2, (None, "cube", "metal"): 1, ("gray", "ball", None): 1})  # fmt: skip
    assert [o.action for o in got.objects if o.color == "gray"] == ["rolled"]
    assert (got.floor, got.ambience, got.style) == ("wood", "rain", "anime")  # "windy" is quoted speech
    assert [(ln.text, ln.speaker) for ln in got.dialogue] == [
        ("It's windy today!", "Pip"),
        ("Nice shot!", "Bo"),
    ]
    assert set(got.characters) == {"Pip", "Bo"}


def test_parse_digits_and_conjoined_subjects() -> None:
    got = parse_prompt("3 red cubes and 2 glass bricks are pushed across a tiled floor; an iron orb drops.")
    assert got.counts == {"cube": 3, "brick": 2, "ball": 1}
    assert [o.action for o in got.objects] == ["pushed"] * 5 + ["dropped"]
    assert got.objects[-1].material == "metal" and got.floor == "tile"


def test_parse_shots_and_definite_references() -> None:
    got = parse_prompt(
        "Shot 1: a wide shot of a blue glass cube on concrete outdoors. "
        "Shot 2: close-up on the blue cube as it is pushed. Shot 3: reverse angle. Birds chirp."
    )
    assert [s.framing for s in got.shots] == ["wide", "close", "reverse"] and got.n_shots == 3
    assert [(o.color, o.shape, o.material, o.action) for o in got.objects] == [
        ("blue", "cube", "glass", "pushed")
    ]
    assert (got.setting, got.floor, got.ambience) == ("outdoor", "concrete", "birds")
    cut = parse_prompt("A ball drops. Cut to a close-up of the ball, then cut to a wide view.")
    assert [s.framing for s in cut.shots] == [None, "close", "wide"] and len(cut.objects) == 1


def test_parse_nothing_from_nothing() -> None:
    got = parse_prompt("hello world")
    assert got.objects == () and got.style is None and got.n_shots == 1 and got.dialogue == ()
