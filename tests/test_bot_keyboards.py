"""bot.keyboards: callback data that round-trips, stays under 64 bytes, and rejects strangers."""

from __future__ import annotations

import pytest

from bot.keyboards import MAX_CALLBACK_BYTES, Action, answer_keyboard
from bot.texts import EN, ZH

SQLITE_MAX_ROWID = 2**63 - 1


@pytest.mark.parametrize(
    "action",
    [
        Action(1, "full", "1"),
        Action(1, "full", "0"),
        Action(42, "page", "0"),
        Action(42, "page", "4"),
        Action(42, "page", "999"),
        Action(7, "vote", "up"),
        Action(7, "vote", "down"),
        Action(0, "page", "1"),
        Action(10**17, "vote", "down"),
    ],
)
def test_encode_decode_round_trip(action):
    data = action.encode()
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert Action.decode(data) == action


def test_encoded_data_carries_id_kind_and_arg():
    assert Action(12, "page", "3").encode() == "a:12:page:3"


def test_a_huge_answer_id_cannot_exceed_64_bytes():
    with pytest.raises(ValueError, match="64 bytes"):
        Action(10**70, "vote", "down").encode()


def test_the_largest_decodable_id_still_fits_in_64_bytes():
    data = Action(10**18 - 1, "vote", "down").encode()
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert Action.decode(data) == Action(10**18 - 1, "vote", "down")


def test_every_id_sqlite_can_hand_out_round_trips():
    action = Action(SQLITE_MAX_ROWID, "vote", "up")
    assert Action.decode(action.encode()) == action


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "garbage",
        "a:1:full",  # no arg
        "a::full:1",  # no id
        "a:-1:page:1",  # negative id
        "a:x:page:1",
        "b:1:page:1",  # another prefix
        "a:1:delete:1",  # unknown kind
        "a:1:FULL:1",  # kinds are lower case
        "a:1:vote:1",  # vote with a numeric arg
        "a:1:vote:0",
        "a:1:vote:sideways",
        "a:1:page:up",  # page with a vote arg
        "a:1:full:down",
        "a:1:page:1000",  # four-digit page
        "a:1:page:-1",
        "a:1:page:1:extra",
        " a:1:page:1",
        "a:1:page:1 ",
        "a:12345678901234567890:page:1",  # 20 digits: beyond any SQLite row id
    ],
)
def test_decode_rejects_what_this_bot_did_not_make(data):
    assert Action.decode(data) is None


def test_decode_rejects_a_trailing_newline():
    assert Action.decode("a:1:page:2\n") is None


# ----------------------------------------------------------------- answer_keyboard


def rows(markup) -> list[list[tuple[str, str]]]:
    return [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]


def test_page_zero_offers_full_text_and_more():
    navigation, feedback = rows(answer_keyboard(5, ZH, page=0, pages=3, expanded=False))
    assert navigation == [(ZH.button_full, "a:5:full:1"), (ZH.button_more, "a:5:page:1")]
    assert feedback == [("👍", "a:5:vote:up"), ("👎", "a:5:vote:down")]


def test_expanded_page_zero_offers_collapse_instead_of_full_text():
    navigation, _ = rows(answer_keyboard(5, ZH, page=0, pages=3, expanded=True))
    assert navigation == [(ZH.button_collapse, "a:5:full:0"), (ZH.button_more, "a:5:page:1")]


def test_a_single_page_answer_has_no_more_button():
    navigation, _ = rows(answer_keyboard(9, ZH, page=0, pages=1, expanded=False))
    assert navigation == [(ZH.button_full, "a:9:full:1")]


def test_a_middle_page_goes_back_and_forward_without_full_text():
    navigation, feedback = rows(answer_keyboard(5, EN, page=2, pages=5, expanded=False))
    assert navigation == [(EN.button_previous, "a:5:page:1"), (EN.button_more, "a:5:page:3")]
    assert [data for _, data in feedback] == ["a:5:vote:up", "a:5:vote:down"]


def test_the_last_page_only_goes_back():
    navigation, _ = rows(answer_keyboard(5, ZH, page=4, pages=5, expanded=False))
    assert navigation == [(ZH.button_previous, "a:5:page:3")]


def test_every_button_decodes_back_to_its_answer():
    for page, expanded in [(0, False), (0, True), (1, False), (2, False)]:
        markup = answer_keyboard(123456789, ZH, page=page, pages=3, expanded=expanded)
        for row in markup.inline_keyboard:
            for button in row:
                action = Action.decode(button.callback_data)
                assert action is not None and action.answer_id == 123456789
                assert len(button.callback_data.encode()) <= MAX_CALLBACK_BYTES
