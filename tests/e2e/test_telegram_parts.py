"""The Telegram front-end's pure pieces: splitting, callback data, file names, what a message asks for."""

from __future__ import annotations

import datetime as dtm

import pytest
from telegram import Chat, Message, MessageEntity, User, Video

from bots.telegram.files import filename_for, media_of
from bots.telegram.keyboard import CALLBACK_DATA_LIMIT, callback_data, keyboard, parse_press
from bots.telegram.sender import split_text, utf16_len
from bots.telegram.texts import COMMANDS, TEXTS
from bots.telegram.updates import Me, read_messages
from core.i18n import say
from core.ports import Button

ME = Me(123456, "nemo_test_bot")
NOW = dtm.datetime(2026, 1, 1, tzinfo=dtm.UTC)


def message(text: str | None = None, *, chat_type: str = Chat.PRIVATE, user: int = 7, mid: int = 1,
            reply_to: Message | None = None, caption: str | None = None, **kw: object) -> Message:
    entities = ()
    if text and text.startswith("/"):
        entities = (MessageEntity(MessageEntity.BOT_COMMAND, 0, len(text.split()[0])),)
    chat = Chat(-5 if chat_type != Chat.PRIVATE else user, chat_type)
    return Message(mid, NOW, chat, from_user=User(user, "Ann", False, language_code="en"), text=text,
                   entities=entities, caption=caption, reply_to_message=reply_to, **kw)  # type: ignore[arg-type]


def test_split_text_keeps_words_and_counts_utf16() -> None:
    text = "a" * 4000 + " " + "b" * 200
    assert split_text(text) == ["a" * 4000, "b" * 200]
    emoji = "🎬" * 3000  # 6000 UTF-16 units
    parts = split_text(emoji)
    assert "".join(parts) == emoji and all(utf16_len(p) <= 4096 for p in parts)
    assert split_text("short") == ["short"]


def test_callback_data_is_short_and_forgeries_are_refused() -> None:
    data = callback_data("a", "export", "9" * 15)
    assert parse_press(data) is not None and len(data.encode()) <= CALLBACK_DATA_LIMIT
    with pytest.raises(ValueError):
        callback_data("a", "x" * 61, "1")
    for forged in ("", "a:export", "a:delete_all:1", "m:nosuchmode:1", "a:export:1:2", "a:export:bob", "x" * 70):
        assert parse_press(forged) is None
    assert parse_press("m:highlights:42") is not None


def test_keyboard_puts_urls_first_and_can_drop_them() -> None:
    buttons = [Button("Status", action="status", owner="1"), Button("Open", url="https://x.example/v.mp4")]
    markup = keyboard(buttons)
    assert markup is not None and markup.inline_keyboard[0][0].url == "https://x.example/v.mp4"
    without = keyboard(buttons, with_urls=False)
    assert without is not None and [b.callback_data for row in without.inline_keyboard for b in row] == ["a:status:1"]
    local = keyboard([Button("Open", url="http://127.0.0.1:8080/files/v.mp4"), buttons[0]])  # Telegram refuses it
    assert local is not None and [b.callback_data for row in local.inline_keyboard for b in row] == ["a:status:1"]


def test_every_text_and_command_exists_in_english_and_chinese() -> None:
    for key, value in TEXTS.items():
        assert set(value) == {"en", "zh"} and all(value.values()), key
    for name in COMMANDS:
        assert say("en", f"tg_cmd_{name}") != say("zh", f"tg_cmd_{name}")


def test_file_names() -> None:
    assert filename_for("video", None, "video/mp4", "U1") == "video_U1.mp4"
    assert filename_for("document", "clip", "video/quicktime", "U2") == "clip.mov"
    assert filename_for("document", "../../etc/holiday.MP4", "video/mp4", "U3") == "holiday.MP4"
    assert filename_for("document", "notes.pdf", "application/pdf", "U4") == "notes.pdf"
    assert filename_for("document", "clip.mp4\\", "application/octet-stream", "U5") == "document_U5"  # no file name
    video = Video("F1", "U5", 1280, 720, 3, file_size=100, mime_type="video/webm")
    media = media_of(message(video=video))
    assert media is not None and media.filename == "video_U5.webm" and media.size == 100


def test_what_a_message_asks_for() -> None:
    assert read_messages([message("/mode@nemo_test_bot highlights")], ME).command == "mode"  # type: ignore[union-attr]
    assert read_messages([message("/start@other_bot")], ME) is None
    start = read_messages([message("/start")], ME)
    assert start is not None and start.target.extra == {"menu": "modes"}
    link = read_messages([message("https://example.org/a.mp4")], ME)
    assert link is not None and link.text == "https://example.org/a.mp4"  # the core uploads a link alone


def test_in_groups_only_what_is_addressed_to_the_bot() -> None:
    group = Chat.SUPERGROUP
    assert read_messages([message("hello all", chat_type=group)], ME) is None
    mention = read_messages([message("@nemo_test_bot cut the pauses", chat_type=group, mid=9)], ME)
    assert mention is not None and mention.text == "cut the pauses"
    assert mention.target.group and mention.target.extra == {"reply_to": 9}
    ours = message("⏳ Working", chat_type=group)
    ours = Message(2, NOW, ours.chat, from_user=User(ME.id, "bot", True), text="Uploaded")
    reply = read_messages([message("make it shorter", chat_type=group, reply_to=ours)], ME)
    assert reply is not None and reply.text == "make it shorter"
    assert read_messages([message("/credits", chat_type=group)], ME) is not None
