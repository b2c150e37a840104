"""Pure pieces of the Discord front-end: addresses, the token's usable window, buttons, texts."""

from __future__ import annotations

import pytest

from bots.discord.buttons import build_view, is_ours, owned_id
from bots.discord.client import _message_incoming
from bots.discord.port import MAX_CONTENT, fit
from bots.discord.targets import hook_usable, switch_margin
from bots.discord.texts import TEXTS
from core.ports import Button, Target


def test_the_switch_margin_is_a_minute_of_the_real_lifetime_and_scales_for_tests() -> None:
    assert switch_margin(900.0) == 60.0
    assert switch_margin(3.0) == pytest.approx(1.2)


def test_the_interaction_token_is_used_until_the_margin() -> None:
    target = Target("discord", "1", "2", extra={"token": "t", "app": "9", "created": 1000.0})
    assert hook_usable(target, 900.0, now=1000.0 + 839.0)
    assert not hook_usable(target, 900.0, now=1000.0 + 841.0)
    assert not hook_usable(Target("discord", "1", "2", extra={"channel": "1"}), 900.0, now=1000.0)


async def test_buttons_carry_their_owner_and_are_templates_discord_py_does_not_store() -> None:
    view = build_view([Button("Export", action="export", owner="42"), Button("Open video", url="https://x/v.mp4"),
                       Button("Status", action="status")])
    assert view is not None and view.is_finished()
    ids = [c.get("custom_id") for row in view.to_components() for c in row["components"]]
    assert ids == [owned_id("export", "42"), None, "nb:status"]
    assert build_view([]) is None
    assert build_view([Button("Export", action="export", owner="42")]) is build_view(
        (Button("Export", action="export", owner="42"),))  # cached: the status is edited many times


@pytest.mark.parametrize(("custom_id", "ours"), [
    ("nb:export:42", True), ("nb:cancel", True), ("nb:export:", False), ("nb:rm -rf:1", False),
    ("x:42", False), ("nb:export:42:43", False),
])
def test_unknown_custom_ids_are_stale(custom_id: str, ours: bool) -> None:
    assert is_ours(custom_id) is ours


def test_a_typed_command_in_a_dm_works_like_the_slash_command() -> None:
    target = Target("discord", "1", "2")
    assert _message_incoming(target, "/lang zh", []).command == "lang"
    assert _message_incoming(target, "/lang zh", []).args == "zh"
    assert _message_incoming(target, "/etc/hosts please", []).text == "/etc/hosts please"


def test_long_texts_fit_discords_limit() -> None:
    assert len(fit("x" * 5000)) == MAX_CONTENT and fit("short") == "short"


def test_every_text_is_in_english_and_chinese_and_descriptions_fit() -> None:
    for key, text in TEXTS.items():
        assert set(text) == {"en", "zh"}, key
        if key.startswith("discord_cmd_"):
            assert all(1 <= len(v) <= 100 for v in text.values()), key
