"""The scene sampler draws varied, physically sensible scenes; fixed attributes are honoured or refused."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections import Counter

import numpy as np
import pytest

from phonofilm.world.identities import (
    IDENTITY_NAMES,
    NUM_IDENTITIES,
    VOICE_VARIANTS,
    identity,
    identity_index,
)
from phonofilm.world.placement import (
    MARGIN,
    Box,
    ObjectPlan,
    character_box,
    half_extents,
    hoop_box,
    object_box,
    place_objects,
    tank_box,
)
from phonofilm.world.sampler import FLOATERS, SINKERS, SceneSpec, estimate_speech_seconds, sample_scene
from phonofilm.world.scene import (
    ACTIONS,
    AMBIENCES,
    COLORS,
    FLOOR_MATERIALS,
    MATERIALS,
    SETTINGS,
    SHAPES,
    STYLES,
    Scene,
    Shot,
    Stage,
)

N_SCENES = 200


@pytest.fixture(scope="module")
def scenes() -> list[Scene]:
    return [sample_scene(seed) for seed in range(N_SCENES)]


# --- determinism and round trip ----------------------------------------------------------------------


def test_same_seed_same_scene_and_different_seeds_differ(scenes: list[Scene]) -> None:
    assert sample_scene(7) == scenes[7]
    assert sample_scene(7).to_json() == scenes[7].to_json()
    jsons = [s.to_json() for s in scenes]
    assert len(set(jsons)) == len(jsons)


def test_json_round_trip(scenes: list[Scene]) -> None:
    for s in scenes:
        assert Scene.from_json(s.to_json()) == s


def test_fixing_one_part_leaves_the_others_alone() -> None:
    base = sample_scene(11)
    other_style = next(s for s in STYLES if s != base.style)
    fixed = sample_scene(11, style=other_style)
    assert fixed.style == other_style
    assert fixed.objects == base.objects and fixed.characters == base.characters


# --- variety ---------------------------------------------------------------------------------------


def test_every_value_appears(scenes: list[Scene]) -> None:
    objs = [o for s in scenes for o in s.objects]
    assert {o.shape for o in objs} == set(SHAPES)
    assert {o.color for o in objs} == set(COLORS)
    assert {o.material for o in objs} == set(MATERIALS)
    assert {o.action for o in objs} == set(ACTIONS)
    assert {s.style for s in scenes} == set(STYLES)
    assert {s.ambience for s in scenes} == set(AMBIENCES)
    assert {s.stage.floor for s in scenes} == set(FLOOR_MATERIALS)
    assert {s.stage.setting for s in scenes} == set(SETTINGS)
    assert {len(s.characters) for s in scenes} >= {0, 1, 2}
    assert {len(s.objects) for s in scenes} >= {1, 2, 3, 4}


def test_proportions(scenes: list[Scene]) -> None:
    n = len(scenes)
    multi = sum(len(s.shots) > 1 for s in scenes) / n
    talk = sum(bool(s.dialogue) for s in scenes) / n
    hoops = sum(s.stage.hoop is not None for s in scenes) / n
    tanks = sum(s.stage.tank is not None for s in scenes) / n
    assert 0.18 <= multi <= 0.42, multi  # ~30 % multi-shot
    assert 0.27 <= talk <= 0.53, talk  # ~40 % with dialogue
    assert 0.15 <= hoops <= 0.45 and 0.08 <= tanks <= 0.35
    styles = Counter(s.style for s in scenes)
    assert min(styles.values()) >= 0.22 * n  # uniform over three styles


def test_ambience_suits_the_setting(scenes: list[Scene]) -> None:
    pairs = Counter((s.stage.setting, s.ambience) for s in scenes)
    assert pairs[("outdoor", "room")] == 0
    outdoor_sounds = ("birds", "wind", "rain")
    inside = sum(pairs[("indoor", a)] for a in outdoor_sounds)
    outside = sum(pairs[("outdoor", a)] for a in outdoor_sounds)
    assert outside > 2 * inside
    assert all(s.stage.floor != "grass" for s in scenes if s.stage.setting == "indoor")


# --- physical sense --------------------------------------------------------------------------------


def _static_boxes(s: Scene) -> list[Box]:
    out = [tank_box(s.stage.tank)] if s.stage.tank else []
    return out + ([hoop_box(s.stage.hoop, s.stage)] if s.stage.hoop else [])


def test_objects_start_inside_and_apart(scenes: list[Scene]) -> None:
    for s in scenes:
        boxes = [object_box(o) for o in s.objects]
        for o, b in zip(s.objects, boxes, strict=True):
            assert b.x0 >= MARGIN - 1e-9 and b.x1 <= s.stage.width - MARGIN + 1e-9, (s.seed, o)
            assert b.y0 >= -1e-9 and b.y1 <= s.stage.height, (s.seed, o)
            assert not any(b.overlaps(w) for w in _static_boxes(s)), (s.seed, o)
            assert not any(b.overlaps(character_box(c)) for c in s.characters), (s.seed, o)
        for a, b in itertools.combinations(boxes, 2):
            assert not a.overlaps(b), s.seed


def test_actions_set_the_initial_state(scenes: list[Scene]) -> None:
    for s in scenes:
        for o in s.objects:
            _, hh = half_extents(o.shape, o.size)
            if o.action == "dropped":
                assert 0.8 <= o.y <= 3.0 and o.vx == o.vy == o.spin == 0.0
                assert 0.0 <= o.release <= s.duration / 2
            elif o.action == "thrown":
                assert math.hypot(o.vx, o.vy) > 1.0
            else:
                assert o.y == pytest.approx(hh) and o.vy == 0.0 and abs(o.vx) >= 1.0
            if o.action == "rolled":
                assert o.shape == "ball" and o.spin == pytest.approx(-o.vx / o.size, abs=1e-3)
            if o.action == "pushed":
                assert o.shape in ("cube", "brick") and o.spin == 0.0


def test_tank_scenes_drop_floaters_and_sinkers_into_the_tank(scenes: list[Scene]) -> None:
    mixed = 0
    for s in (s for s in scenes if s.stage.tank):
        t = s.stage.tank
        inside = [o for o in s.objects if o.action == "dropped" and t.x_min < o.x < t.x_max]
        for o in inside:
            hw, hh = half_extents(o.shape, o.size)
            assert t.x_min + hw < o.x < t.x_max - hw and o.y - hh > t.height, s.seed
        assert inside or any(o.action == "thrown" for o in s.objects), s.seed
        materials = {o.material for o in inside}
        mixed += bool(materials & set(FLOATERS)) and bool(materials & set(SINKERS))
    assert mixed >= 3


def _board_crossing(s: Scene, o) -> float | None:
    """Height of a thrown object's centre where its flight (no collisions) reaches the board's face."""
    hoop = s.stage.hoop
    hw, _ = half_extents(o.shape, o.size)
    x_face = hoop.x + hoop.side * -hw
    if o.vx * hoop.side <= 0:
        return None
    t = (x_face - o.x) / o.vx
    return o.y + o.vy * t - 0.5 * s.gravity * t * t


def test_throws_at_the_hoop_sometimes_hit_the_board_and_sometimes_miss() -> None:
    hoop_scenes = [sample_scene(seed, with_hoop=True) for seed in range(120)]
    hits = misses = 0
    for s in hoop_scenes:
        hoop = s.stage.hoop
        for o in (o for o in s.objects if o.action == "thrown"):
            y = _board_crossing(s, o)
            if y is None:
                continue
            on_board = hoop.board_bottom <= y <= hoop.board_bottom + hoop.board_height
            hits += on_board
            misses += y < hoop.rim_height
    assert hits >= 10 and misses >= 10, (hits, misses)


def test_characters_stand_clear_of_falling_objects_and_each_other(scenes: list[Scene]) -> None:
    for s in scenes:
        boxes = [character_box(c) for c in s.characters]
        for c, b in zip(s.characters, boxes, strict=True):
            assert b.x0 > 0.0 and b.x1 < s.stage.width
            assert c.name == IDENTITY_NAMES[c.identity] and c.voice == identity(c.identity).voice
            for o in s.objects:
                if o.action == "dropped":  # its whole fall column is kept free
                    hw, _ = half_extents(o.shape, o.size)
                    assert o.x + hw < b.x0 or o.x - hw > b.x1, (s.seed, c.id, o.id)
            if s.stage.tank:
                assert not b.overlaps(tank_box(s.stage.tank))
        for a, b in itertools.combinations(boxes, 2):
            assert not a.overlaps(b), s.seed


def test_dialogue_lines_do_not_overlap(scenes: list[Scene]) -> None:
    for s in (s for s in scenes if s.dialogue):
        assert 1 <= len(s.dialogue) <= 2 and s.characters
        ends = []
        for line in s.dialogue:
            rate = s.body(line.character).voice.rate
            assert 2 <= len(line.text.split()) <= 8
            ends.append(line.start + estimate_speech_seconds(line.text, rate))
        assert ends[-1] <= s.duration
        for end, later in zip(ends, s.dialogue[1:], strict=False):
            assert later.start >= end, s.seed


def test_shots_are_at_least_a_second_apart(scenes: list[Scene]) -> None:
    for s in scenes:
        assert s.shots[0] == Shot(0.0, "wide") or s.shots[0].framing == "wide"
        starts = [sh.start for sh in s.shots] + [s.duration]
        assert all(b - a >= 1.0 for a, b in itertools.pairwise(starts)), s.seed
        assert len(s.shots) <= 3
        for prev, sh in itertools.pairwise(s.shots):
            assert sh.framing != prev.framing or sh.target != prev.target, (
                s.seed
            )  # every cut shows something new
        for sh in s.shots:
            assert (sh.framing == "close") == (sh.target is not None)
            if sh.target:
                s.body(sh.target)  # exists


# --- crowded draws --------------------------------------------------------------------------------


def test_a_random_draw_never_fails() -> None:
    """Some seeds draw more or bigger objects than their first layout has room for (1092, 1293, ...)."""
    for seed in range(3000):
        s = sample_scene(seed)
        assert [o.id for o in s.objects] == [f"obj{i}" for i in range(len(s.objects))], seed
        boxes = [object_box(o) for o in s.objects]
        assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2)), seed


@pytest.mark.parametrize(
    "fixed",
    [
        {"n_objects": 6},
        {"n_objects": 6, "with_hoop": True, "with_tank": True},
        {"objects": [{"action": "thrown"}] * 6, "with_hoop": True},  # six throwers crowd the hoop's side
        {"objects": [{"action": "dropped"}] * 6, "with_tank": True},
        {"objects": [{"shape": "cube", "size": 0.32}] * 6},
        {"with_hoop": True, "with_tank": True, "characters": [0, 1]},
        {"n_objects": 6, "characters": [3, 4], "dialogue": ["Look at that!", "Wow."]},
    ],
)
def test_fixed_options_that_are_possible_never_fail(fixed: dict) -> None:
    n = fixed.get("n_objects", len(fixed.get("objects", ())))
    for seed in range(40):
        s = sample_scene(seed, **fixed)
        assert not n or len(s.objects) == n, seed  # asked-for objects are never left out
        for spec_obj, o in zip(fixed.get("objects", ()), s.objects, strict=False):
            assert spec_obj.get("size", o.size) == o.size  # nor is an asked-for size shrunk


def test_crowded_plans_shrink_then_aim_anywhere_then_drop_and_only_kept_fixed_sizes_fail() -> None:
    def place(plans: list[ObjectPlan], stage: Stage = Stage()) -> tuple:
        return place_objects(np.random.default_rng(0), plans, stage, 4.0)[0]

    # six big balls thrown at the hoop all start on the thrower's side: drawn sizes shrink to fit
    stage = dataclasses.replace(Stage(), hoop=sample_scene(0, with_hoop=True).stage.hoop)
    throwers = [
        ObjectPlan("ball", c, "rubber", "thrown", 0.36, "hoop", min_size=0.15) for c in list(COLORS)[:6]
    ]
    shrunk = place(throwers, stage)
    assert len(shrunk) == 6 and min(o.size for o in shrunk) < 0.36 and max(o.size for o in shrunk) == 0.36
    # ten metre-wide boxes pushed along an 8 m floor: five fit, drawn ones beyond that are left out
    boxes = [
        ObjectPlan("cube", c, "wood", "pushed", 0.5, min_size=0.5, keep=False) for c in list(COLORS)[:10]
    ]
    placed = place(boxes)
    assert placed == place(boxes) and 3 <= len(placed) < 10  # deterministic
    assert [o.id for o in placed] == [f"obj{i}" for i in range(len(placed))]  # renumbered
    assert not any(object_box(a).overlaps(object_box(b)) for a, b in itertools.combinations(placed, 2))
    # asked for (kept, at their size): an actionable error
    kept = [dataclasses.replace(p, min_size=None, keep=True) for p in boxes]
    with pytest.raises(
        ValueError, match=r"could not place obj\d+ \(\w+ wood cube, pushed\) without overlapping"
    ):
        place(kept)


# --- fixing attributes -----------------------------------------------------------------------------


def test_fixed_attributes_are_honoured() -> None:
    s = sample_scene(
        3, duration=6.0, style="anime", ambience="rain", setting="outdoor", floor="grass", with_hoop=True,
        with_tank=False, objects=[{"shape": "ball", "color": "blue", "material": "metal", "action": "rolled"},
                                  {"color": "red"}],
        characters=[5, "Pip"], dialogue=["Watch this!", (1, "Nice shot!")], n_shots=3,
    )  # fmt: skip
    assert (s.style, s.ambience, s.stage.setting, s.stage.floor) == ("anime", "rain", "outdoor", "grass")
    assert s.stage.hoop is not None and s.stage.tank is None
    assert len(s.objects) == 2
    o = s.objects[0]
    assert (o.shape, o.color, o.material, o.action) == ("ball", "blue", "metal", "rolled")
    assert s.objects[1].color == "red"
    assert [c.identity for c in s.characters] == [5, identity_index("Pip")]
    assert [(line.character, line.text) for line in s.dialogue] == [
        ("char0", "Watch this!"),
        ("char1", "Nice shot!"),
    ]
    assert len(s.shots) == 3


def test_spec_object_and_explicit_shots() -> None:
    spec = SceneSpec(n_objects=3, shots=(Shot(0.0), Shot(2.0, "close", "obj1")))
    s = sample_scene(9, spec=spec)
    assert len(s.objects) == 3 and s.shots == spec.shots
    assert sample_scene(9, spec=spec, with_tank=True).stage.tank is not None


def test_fixed_action_picks_a_compatible_shape() -> None:
    for seed in range(20):
        s = sample_scene(seed, objects=[{"action": "pushed"}, {"action": "rolled"}])
        assert s.objects[0].shape in ("cube", "brick") and s.objects[1].shape == "ball"


@pytest.mark.parametrize(
    ("fixed", "message"),
    [
        ({"objects": [{"color": "mauve"}]}, "objects[0].color: 'mauve' is not allowed; choose one of ['red'"),
        ({"style": "noir"}, "choose one of ['realistic', 'cinematic', 'anime']"),
        ({"objects": [{"shape": "cube", "action": "rolled"}]}, "a cube cannot be rolled"),
        ({"colour": "red"}, "unknown scene attribute(s) ['colour']; fixable attributes"),
        ({"objects": [{"hue": "red"}]}, "unknown field(s) ['hue']"),
        ({"setting": "indoor", "floor": "grass"}, "do not go together"),
        ({"ambience": "room", "setting": "outdoor"}, "do not go together"),
        ({"characters": [99]}, "identity index must be an integer in 0..63"),
        ({"dialogue": ['He said "no"']}, "without double quotes"),
        ({"dialogue": ["one two three four five six seven eight"] * 4}, "dialogue needs about"),
        ({"n_shots": 5}, "n_shots must be an integer in 1..4"),
        ({"shots": [Shot(0.0), Shot(1.0, "close", "obj9")]}, "shots[1].target 'obj9' is not in the scene"),
        ({"n_objects": 7}, "n_objects must be an integer in 0..6"),
    ],
)
def test_bad_fixed_values_are_refused_with_the_allowed_ones(fixed: dict, message: str) -> None:
    with pytest.raises(ValueError) as err:
        sample_scene(1, **fixed)
    assert message in str(err.value)


def test_bad_seed_and_duration() -> None:
    with pytest.raises(ValueError, match="non-negative integer"):
        sample_scene(-1)
    with pytest.raises(ValueError, match="duration"):
        sample_scene(1, duration=0.0)
    short = sample_scene(1, duration=0.5)
    assert len(short.shots) == 1 and all(o.release <= 0.5 for o in short.objects)


# --- identities ------------------------------------------------------------------------------------


def test_identity_catalog_is_distinct_and_stable() -> None:
    ids = [identity(k) for k in range(NUM_IDENTITIES)]
    assert NUM_IDENTITIES >= 64
    assert len({(i.body, i.color, i.pattern) for i in ids}) == NUM_IDENTITIES
    assert len({i.name for i in ids}) == NUM_IDENTITIES and all(2 <= len(i.name) <= 5 for i in ids)
    assert len({i.voice for i in ids}) == NUM_IDENTITIES
    pitches = [i.voice.pitch for i in ids]
    assert min(pitches) <= 20 and max(pitches) >= 80
    assert {i.voice.variant for i in ids} == set(VOICE_VARIANTS)
    assert min(i.voice.rate for i in ids) >= 130 and max(i.voice.rate for i in ids) <= 190
    assert all(i.pattern_color != i.color for i in ids)
    assert identity(17) == identity(17)
    assert dataclasses.replace(identity(3).character("char0", 2.0), x=1.0).name == identity(3).name
    assert identity_index("pip") == 0 and identity_index("@Mira") == 2


def test_identity_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"0\.\.63"):
        identity(NUM_IDENTITIES)
    with pytest.raises(ValueError, match="known names"):
        identity_index("Bob")
