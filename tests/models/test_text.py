"""Prompt conditioning: the real MiniLM encoder (offline) and the dialogue tokenizer."""

from __future__ import annotations

import pytest
import torch

from phonofilm.config import transformer_preset
from phonofilm.models.text import (
    DIALOGUE_VOCAB_SIZE,
    LINE_START_ID,
    DialogueLine,
    TextConditioning,
    TextEncoder,
    dialogue_token_ids,
    parse_dialogue,
)


@pytest.fixture(scope="module")
def encoder() -> TextEncoder:
    return TextEncoder()


def test_parse_dialogue_finds_lines_and_speakers() -> None:
    prompt = (
        'A red ball rolls. Pip says "Hello there!" Then Bo: "Hi." "Nice shot!" shouts Zed. '
        'Someone hums "la la".'
    )
    assert parse_dialogue(prompt) == (
        DialogueLine("Pip", "Hello there!"),
        DialogueLine("Bo", "Hi."),
        DialogueLine("Zed", "Nice shot!"),
        DialogueLine("", "la la"),
    )
    assert parse_dialogue("A quiet room with no speech.") == ()


def test_dialogue_tokens_spell_each_line_with_speaker_and_line_index() -> None:
    lines = (DialogueLine("Pip", "Hi!"), DialogueLine("Bo", "yo"), DialogueLine("Pip", "ok"))
    ids, speakers, line_ids = dialogue_token_ids(lines, max_tokens=100, max_speakers=8, max_lines=32)
    assert len(ids) == len(speakers) == len(line_ids) == 4 + 3 + 3
    assert [i for i, c in enumerate(ids) if c == LINE_START_ID] == [0, 4, 7]
    assert speakers == [1] * 4 + [2] * 3 + [1] * 3  # Pip keeps its index when it speaks again
    assert line_ids == [0] * 4 + [1] * 3 + [2] * 3
    assert 1 not in ids  # every character of these lines is in the alphabet (1 = unknown)
    assert max(ids) < DIALOGUE_VOCAB_SIZE <= transformer_preset("small").dialogue_vocab
    short = dialogue_token_ids(lines, max_tokens=5, max_speakers=2, max_lines=2)
    assert len(short[0]) == 5 and max(short[1]) <= 1 and max(short[2]) <= 1


def test_encoder_loads_lazily_and_gives_token_states(encoder: TextEncoder) -> None:
    fresh = TextEncoder()
    assert fresh._model is None  # nothing loaded by construction
    prompts = ['A blue cube falls and clangs. Pip says "Look out!"', "Rain falls on a wooden floor."]
    cond = encoder.encode(prompts)
    b, n, c = cond.tokens.shape
    assert (b, c) == (2, 384) and 2 < n <= 77
    assert cond.mask.shape == (2, n) and cond.mask[0].sum() != cond.mask[1].sum()
    assert (
        cond.dialogue_ids.shape
        == cond.dialogue_mask.shape
        == cond.speaker_ids.shape
        == (2, len("Look out!") + 1)
    )
    assert cond.dialogue_mask[0].all() and not cond.dialogue_mask[1].any()
    a, b_ = encoder.encode([prompts[0]]), encoder.encode(["A green ball bounces twice."])
    k = min(a.tokens.shape[1], b_.tokens.shape[1])
    assert (a.tokens[0, 1:k] - b_.tokens[0, 1:k]).abs().max() > 0.1  # different prompts, different states
    assert torch.equal(encoder.encode([prompts[0]]).tokens, a.tokens)  # cached and deterministic


def test_long_prompts_are_cut_at_77_tokens(encoder: TextEncoder) -> None:
    cond = encoder.encode(["ball " * 200])
    assert cond.tokens.shape[1] == 77


def test_drop_null_and_cat_keep_shapes(encoder: TextEncoder) -> None:
    cond = encoder.encode(['Pip says "hi"', 'Bo says "hello there"'])
    dropped = cond.drop(torch.tensor([False, True]), torch.tensor([True, False]))
    assert not dropped.mask[0].any() and dropped.mask[1].equal(cond.mask[1])
    assert dropped.dialogue_mask[0].equal(cond.dialogue_mask[0]) and not dropped.dialogue_mask[1].any()
    assert torch.count_nonzero(dropped.tokens[0]) == 0
    null = cond.null()
    assert not null.mask.any() and not null.dialogue_mask.any()
    both = TextConditioning.cat([encoder.encode(["a"]), cond])
    assert both.batch_size == 3 and both.tokens.shape[1] == cond.tokens.shape[1]
