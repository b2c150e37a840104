"""Choices a backend offers as '• say “…”' lines become buttons that send the words back."""

from __future__ import annotations

from bots.discord.buttons import build_view
from bots.telegram.keyboard import ACTION, callback_data, keyboard, parse_press
from core.ports import Button
from core.routing import SAY, choices_in, translate_gui
from engine.understanding import plan

MEDIA = [{"id": "f1", "filename": "clip.mp4", "file_type": "video", "duration": 20.0}]


def test_the_engines_question_reaches_the_core_as_choices() -> None:
    for text, lang in (("cut 5 seconds", "en"), ("剪掉5秒", "zh"), ("make it purple", "en")):
        p = plan(text, None, MEDIA, lang=lang)
        assert p.choices and translate_gui(p.reply or "", lang).choices == tuple(p.choices)


def test_choice_lines_only() -> None:
    text = 'Keep or cut?\n• say “keep the first 5 seconds”\n• 说“剪掉前5秒”\nYou can say "export" later.'
    assert choices_in(text) == ("keep the first 5 seconds", "剪掉前5秒")
    assert choices_in("Say “export” when you are ready.") == ()


def test_a_choice_with_colons_survives_telegrams_callback_data() -> None:
    data = callback_data(ACTION, SAY + "keep 0:05 to 0:12", "42")
    press = parse_press(data)
    assert press is not None and press.value == "say:keep 0:05 to 0:12" and press.owner == "42"
    assert parse_press("a:say::42") is None and parse_press("a:say:x:not-a-user") is None


def test_a_choice_too_long_for_a_button_stays_text_only() -> None:
    words = "cut " + "very " * 20 + "long"
    buttons = [Button(words, action=SAY + words, owner="42"), Button("Export", action="export", owner="42")]
    markup = keyboard(buttons)
    assert markup is not None
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == ["a:export:42"]
    view = build_view([Button("keep the first 5 seconds", action=SAY + "keep the first 5 seconds", owner="42")])
    assert view is not None and [c.custom_id for c in view.children] == ["nb:say:keep the first 5 seconds:42"]


def test_a_smaller_version_button_names_its_render_on_both_surfaces() -> None:
    from bots.discord.buttons import is_ours
    from core.ports import smaller_action, smaller_render

    action = smaller_action("render_1796053334363_c2809b")
    assert action == "smaller:render_1796053334363_c2809b" and smaller_render(action) == "render_1796053334363_c2809b"
    assert smaller_action("../../etc") is None and smaller_action("x" * 41) is None  # no room, or not an id
    data = callback_data(ACTION, action, "1234567890")
    press = parse_press(data)
    assert press is not None and press.value == action and press.owner == "1234567890"
    assert parse_press("a:smaller:a/b:42") is None
    view = build_view([Button("Smaller version", action=action, owner="123456789012345678")])
    assert view is not None and [c.custom_id for c in view.children] == [f"nb:{action}:123456789012345678"]
    assert is_ours(f"nb:{action}:123456789012345678") and not is_ours("nb:smaller:a/b:42")
