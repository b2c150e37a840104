"""The hand-editing page's pure parts: Telegram initData checked as Telegram specifies, and the page's
edits of a draft (each refused in both languages when it cannot be applied)."""

from __future__ import annotations

import json
import time

import pytest

from bots.telegram.keyboard import for_chat, keyboard
from core.ports import Button
from engine import draft as dr
from engine.editor import access, edits

TOKEN = "42:secret"
CLIP = {"id": "f1", "filename": "a.mp4", "file_type": "video", "duration": 10.0}


def init(user_id: int = 5, auth_date: float | None = None, token: str = TOKEN) -> str:
    fields = {"auth_date": str(int(auth_date or time.time())), "user": json.dumps({"id": user_id}), "chat_type": "sender"}
    return access.sign_init_data(fields, token)


def test_init_data_is_telegrams_for_this_bot_and_fresh() -> None:
    assert access.check_init_data(init(), TOKEN, 60) == access.TelegramUser("5", None)
    assert access.check_init_data(init(token="43:other"), TOKEN, 60) is None
    assert access.check_init_data(init(auth_date=time.time() - 120), TOKEN, 60) is None
    assert access.check_init_data(init().replace("sender", "private"), TOKEN, 60) is None
    assert access.check_init_data(init() + "&user=%7B%22id%22%3A6%7D", TOKEN, 60) is None  # a key twice
    assert access.check_init_data("", TOKEN, 60) is None
    assert access.check_init_data("hash=00", TOKEN, 60) is None


def test_owners() -> None:
    assert access.owner_of("telegram", "77") == "tg77" and access.owner_of("telegram", "x") is None
    assert access.owner_of("discord", "1") == access.owner_of("console", "me") == "any"
    assert access.is_owner("tg77") and access.is_owner("any") and not access.is_owner("tg") and not access.is_owner("x")


def test_the_link_names_its_conversation_signed_with_the_rest() -> None:
    chat = access.ChatOf("discord", "-1001", "42", True)
    token = chat.token()
    assert "/" not in token and "?" not in token and "&" not in token
    assert access.ChatOf.parse(token) == chat
    assert access.signed_path("s1", "any", token) == f"/edit/s1/any/{token}"
    assert access.signed_path("s1", "any", None) == "/edit/s1/any"  # an older link: no conversation
    for bad in (None, "", "x", token[:-3], "W10", "WyJhIiwiIiwiYyIsZmFsc2Vd"):  # [], ["a","","c",false]
        assert access.ChatOf.parse(bad) is None
    assert access.chat_of("telegram", 7, "7", None) == access.ChatOf("telegram", "7", "7", False)
    assert access.chat_of("telegram", "", "7", False) is None and access.chat_of("discord", True, "1", True) is None


def test_trim_split_delete_text_shape() -> None:
    d = dr.add_text(dr.join(dr.empty_draft(), [CLIP]), "Finals", 0, 3000)
    done = edits.apply(d, [CLIP], [{"op": "trim", "seg": 0, "in": 2000, "d": 6000},
                                   {"op": "split", "at": 2500}, {"op": "delete", "seg": 0},
                                   {"op": "text", "idx": 0, "st": 500, "d": 1000, "text": "Semis"},
                                   {"op": "shape", "aspect": "1:1", "cx": 0.25}])
    (seg,) = dr.segments(done.draft, dr.VIDEO)
    assert (seg["st"], seg["d"], seg["m"]["in"]) == (0, 3500, 4500)
    assert [(t["st"], t["d"], t["m"]["text"]) for t in dr.segments(done.draft, dr.TEXT)] == [(500, 1000, "Semis")]
    assert done.draft["cv"] == {"w": 1080, "h": 1080, "fit": "crop", "cx": 0.25, "cy": 0.5}
    assert done.en[-1] == "The video is now 3.5 s." and done.zh[-1] == "视频现在3.5秒。"
    assert edits.version(done.draft) != edits.version(d) and edits.version(d) == edits.version(dr.clone(d))


@pytest.mark.parametrize("bad", [
    [{"op": "trim", "seg": 0, "in": 8000, "d": 5000}],  # past the footage's end
    [{"op": "trim", "seg": 3, "in": 0, "d": 5000}],
    [{"op": "delete", "seg": 0}],  # the whole video
    [{"op": "split", "at": 20}],
    [{"op": "shape", "aspect": "4:3"}],
    [{"op": "rm -rf"}],
    [],
])
def test_refused_in_both_languages(bad: list[dict[str, object]]) -> None:
    with pytest.raises(edits.Refused) as exc:
        edits.apply(dr.join(dr.empty_draft(), [CLIP]), [CLIP], bad)
    assert exc.value.en and exc.value.zh


def test_the_editor_button_is_a_mini_app_on_telegram_in_private_chats_only() -> None:
    app = Button("Edit", url="https://x.example/edit/1/tg5?exp=1&sig=a", app=True)
    markup = keyboard([app])
    assert markup is not None and markup.inline_keyboard[0][0].web_app.url == app.url  # type: ignore[union-attr]
    assert keyboard(for_chat([app], group=True)) is None
    assert keyboard([Button("Edit", url="http://127.0.0.1:8765/edit/1/tg5", app=True)]) is None


def test_the_editor_button_is_a_link_button_on_discord() -> None:
    import discord

    from bots.discord.buttons import build_view

    view = build_view([Button("Edit", url="https://x.example/edit/1/any?exp=1&sig=a", app=True)])
    assert view is not None
    (item,) = view.children
    assert isinstance(item, discord.ui.Button) and item.style == discord.ButtonStyle.link and item.url
