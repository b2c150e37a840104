"""What a user reads, in order, on Telegram and Discord: the real python-telegram-bot and discord.py
clients against the project's stand-ins, the built-in engine at default settings.

Each user sends a generated sample clip, asks to cut the pauses, for 9:16 with a title, to reverse, asks for
status and credits, exports, presses the buttons offered (Export, Smaller version when offered, Cancel
mid-job), asks /help and /lang, and sends bad input (an unsupported file, a link that fails). Every message
the bot sends is printed as it was sent; an edit is printed as an edit of its message.

    python bench/transcript.py [--surface telegram|discord|all] [--who en,zh,zh-written]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr

from bots.app import running_core
from core.conversation import Core
from core.settings import BotSettings, Settings, TelegramSettings
from engine.sample import make_sample_clip

JSON = dict[str, Any]
FAILING_LINK = "https://video.invalid/clip.mp4"


@dataclass(frozen=True)
class Script:
    """One user's lines: what they type for each step (English or Chinese)."""

    cut: str
    shape: str
    reverse: str
    status: str
    credits: str
    export: str
    help: str


ENGLISH = Script("cut the pauses", "make it 9:16 with the title 'Finals'", "reverse", "status", "credits", "export", "help")
CHINESE = Script("剪掉停顿", "改成9:16，加标题“决赛”", "倒放", "状态", "积分", "导出", "帮助")


def shorten(text: str) -> str:
    return text.replace("\n", "\n      ")


# ------------------------------------------------------------------------------------------- Telegram


def telegram_lines(calls: list[Any], chat: int) -> list[str]:
    """The bot's calls into one chat as a user sees them, in order."""
    out: list[str] = []
    for call in calls:
        params = call.params
        if str(params.get("chat_id", "")) != str(chat) or call.status != 200:
            continue
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            import json
            markup = json.loads(markup)
        buttons = [b.get("text", "") + (f" <{b['url']}>" if b.get("url") else "")
                   for row in (markup or {}).get("inline_keyboard", []) for b in row]
        shown = f"  [{' | '.join(buttons)}]" if buttons else ""
        method = call.method
        mid = params.get("message_id", "")
        if method == "sendMessage":
            out.append(f"bot: {shorten(str(params.get('text')))}{shown}")
        elif method == "editMessageText":
            out.append(f"  ✎ #{mid}: {shorten(str(params.get('text')))}{shown}")
        elif method == "editMessageReplyMarkup":
            out.append(f"  ✎ #{mid} buttons:{shown or ' none'}")
        elif method == "sendChatAction":
            continue
        elif method.startswith("send"):
            names = ", ".join(name for name, _ in call.files.values())
            out.append(f"bot {method[4:].lower()} {names}: {shorten(str(params.get('caption') or ''))}{shown}")
        elif method == "deleteMessage":
            out.append(f"  ✗ deleted #{mid}")
        else:
            out.append(f"  ({method})")
    return out


async def telegram(script: Script, language_code: str | None, sample: Path, tmp: Path) -> list[str]:
    from bots.telegram.app import running_bot
    from tests.fakes.telegram import FakeTelegram

    chat = 7
    said: list[str] = []
    async with FakeTelegram() as tg:
        settings = Settings(bot=BotSettings(backend="engine", db_path=tmp / "bot.db"))
        settings.telegram = TelegramSettings(token=SecretStr(tg.token), api_base_url=tg.base_url,
                                             file_base_url=tg.base_file_url)
        async with running_core(settings, engine_dir=tmp / "engine", engine_port=0) as core, \
                running_bot(core, settings):
            seen = 0

            async def user(label: str, act: Callable[[], object], settle: float = 0.5) -> None:
                nonlocal seen
                said.append(f"\nuser: {label}")
                act()
                await asyncio.sleep(settle)
                await core.idle(timeout=180)
                await asyncio.sleep(0.5)
                await core.idle(timeout=180)
                lines = telegram_lines(tg.calls, chat)
                said.extend(lines[seen:])
                seen = len(lines)

            def sends(text: str | None = None, **kw: Any) -> Callable[[], object]:
                return lambda: tg.user_sends(chat, chat, text, language_code=language_code, **kw)

            def press(label: str) -> Callable[[], object]:
                def act() -> None:
                    for message in reversed(tg.chat_log(chat)):
                        for button in message.buttons:
                            if label.lower() in str(button.get("text", "")).lower() and "callback_data" in button:
                                tg.user_presses(chat, chat, message.message_id, button["callback_data"],
                                                language_code=language_code)
                                return
                    said.append(f"   (no button “{label}” offered)")
                return act

            video = tg.add_file(path=sample, name="sample.mp4", mime="video/mp4")
            await user("[sample.mp4]", sends(video=video))
            for line in (script.cut, script.shape, script.reverse, script.status, script.credits):
                await user(line, sends(line))
            await user(script.export, sends(script.export))
            await user("[press Export]", press("Export") if script is ENGLISH else press("导出"))
            await user("[press Smaller version]", press("Smaller") if script is ENGLISH else press("小"))
            said.append(f"\nuser: {script.export}")
            asked = len(tg.chat_log(chat))
            sends(script.export)()
            await tg.wait_for(lambda: [m for m in tg.chat_log(chat)[asked:] if m.button_data], timeout=60)
            await user("[press Cancel]", press("Cancel") if script is ENGLISH else press("取消"), settle=0)
            await user("/help", sends("/help"))
            await user("/lang", sends("/lang"))
            notes = tg.add_file(data=b"just some notes", name="notes.txt", mime="text/plain")
            await user("[notes.txt]", sends(document=notes))
            await user(FAILING_LINK, sends(FAILING_LINK))
    return said


# -------------------------------------------------------------------------------------------- Discord


def discord_lines(calls: list[Any], since: int) -> list[str]:
    out: list[str] = []
    for call in calls[since:]:
        if (call.method not in {"POST", "PATCH", "DELETE"} or "/commands" in call.path or call.status >= 400
                or call.path.endswith("/typing")):  # the typing indicator is no message
            continue
        body = call.json if isinstance(call.json, dict) else {}
        if call.path.endswith("/callback"):
            kind = body.get("type")
            data = body.get("data")
            body = data if isinstance(data, dict) else {}
            if kind in (5, 6) and not body.get("content"):
                out.append("  (thinking…)" if kind == 5 else "  (press acknowledged)")
                continue
        text = str(body.get("content") or "")
        labels = [c.get("label", "") + (f" <{c['url']}>" if c.get("url") else "")
                  for row in body.get("components") or [] for c in row.get("components", [])]
        shown = f"  [{' | '.join(labels)}]" if labels else ""
        files = ", ".join(name for name, _ in call.files)
        files = f" {{{files}}}" if files else ""
        ephemeral = " (only you)" if int(body.get("flags") or 0) & 64 else ""
        if call.method == "PATCH":
            out.append(f"  ✎ {shorten(text)}{shown}{files}")
        elif call.method == "DELETE":
            out.append("  ✗ deleted")
        else:
            out.append(f"bot{ephemeral}: {shorten(text)}{shown}{files}")
    return out


async def discord(script: Script, locale: str | None, sample: Path, tmp: Path) -> list[str]:
    """``locale`` set: a guild user with that client locale on slash commands; None: a DM user who types."""
    from bots.discord.app import build_client, serve
    from tests.e2e.test_discord import with_discord
    from tests.fakes.discord import FakeDiscord

    os.environ.update({"NEMOBOT_ENGINE_PORT": "0", "NEMOBOT_ENGINE_DATA_DIR": str(tmp / "engine"),
                       "NEMOBOT_ENGINE_ALLOW_PRIVATE_URLS": "true"})  # the stand-in's CDN is on loopback
    said: list[str] = []
    async with FakeDiscord() as dc:
        settings = with_discord(Settings(bot=BotSettings(backend="engine", db_path=tmp / "bot.db")), dc)
        async with running_core(settings) as core, running_client(core, settings, dc, build_client, serve):
            seen = len(dc.calls)
            clip = sample.read_bytes()

            async def user(label: str, act: Callable[[], object], settle: float = 0.5) -> None:
                nonlocal seen
                said.append(f"\nuser: {label}")
                act()
                await asyncio.sleep(settle)
                await core.idle(timeout=180)
                await asyncio.sleep(0.5)
                await core.idle(timeout=180)
                said.extend(discord_lines(dc.calls, seen))
                seen = len(dc.calls)

            def run(name: str, **options: Any) -> Callable[[], object]:
                return lambda: dc.invoke_slash(name, options, locale=locale or "en-US")

            def types(text: str, **kw: Any) -> Callable[[], object]:
                return lambda: dc.user_message(text, dm=True, **kw)

            def press(label: str) -> Callable[[], object]:
                def act() -> None:
                    for call in reversed(dc.calls):
                        body = call.json if isinstance(call.json, dict) else {}
                        body = body.get("data", body) if isinstance(body.get("data"), dict) else body
                        for row in body.get("components") or []:
                            for c in row.get("components", []):
                                if label.lower() in str(c.get("label", "")).lower() and c.get("custom_id"):
                                    message = _message_with(dc, c["custom_id"])
                                    if message is not None:
                                        dc.press_button(message, c["custom_id"], guild=locale is not None,
                                                        locale=locale or "en-US")
                                        return
                    said.append(f"   (no button “{label}” offered)")
                return act

            english = script is ENGLISH
            if locale is not None:
                await user("/upload video:sample.mp4", run("upload", video=dc.attachment(clip, "sample.mp4")))
                for line in (script.cut, script.shape, script.reverse):
                    await user(f"/edit prompt:{line}", run("edit", prompt=line))
                await user("/status", run("status"))
                await user("/credits", run("credits"))
                await user("/export", run("export"))
            else:
                await user("[sample.mp4]", types("", attachments=[dc.attachment(clip, "sample.mp4")]))
                for line in (script.cut, script.shape, script.reverse, script.status, script.credits,
                             script.export):
                    await user(line, types(line))
            await user("[press Export]", press("Export" if english else "导出"))
            await user("[press Smaller version]", press("Smaller" if english else "小"))
            said.append(f"\nuser: {'/export' if locale is not None else script.export}")
            asked = len(dc.calls)
            (run("export") if locale is not None else types(script.export))()
            await dc.wait_for(lambda: any("custom_id" in str(c.json) for c in dc.calls[asked:]), timeout=60)
            await user("[press Cancel]", press("Cancel" if english else "取消"), settle=0)
            if locale is not None:
                await user("/help", run("help"))
                choice = "en" if english else "zh"
                await user(f"/lang language:{choice}", run("lang", language=choice))
                await user("/upload video:notes.txt", run("upload", video=dc.attachment(b"notes", "notes.txt")))
                await user(f"/edit prompt:{FAILING_LINK}", run("edit", prompt=FAILING_LINK))
            else:
                await user(script.help, types(script.help))
                await user("[notes.txt]", types("", attachments=[dc.attachment(b"notes", "notes.txt")]))
                await user(FAILING_LINK, types(FAILING_LINK))
    return said


def _message_with(dc: Any, custom_id: str) -> int | None:
    for message_id, stored in reversed(list(dc.state.messages.items())):
        snapshot = stored.snapshot()
        for row in snapshot.get("components") or []:
            for c in row.get("components", []):
                if c.get("custom_id") == custom_id and not c.get("disabled"):
                    return int(message_id)
    return None


@contextlib.asynccontextmanager
async def running_client(core: Core, settings: Settings, dc: Any, build_client: Any, serve: Any
                         ) -> AsyncIterator[None]:
    client = build_client(core, settings)
    task = asyncio.create_task(serve(client))
    await dc.wait_ready(timeout=30)
    try:
        yield
        await core.idle(timeout=30)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# ----------------------------------------------------------------------------------------------- main


USERS: dict[str, tuple[str, Script, str | None, str | None]] = {
    # who: (title, script, Telegram language_code, Discord locale; None on Discord = a DM user who types)
    "en": ("English", ENGLISH, "en", "en-US"),
    "zh": ("Chinese client", CHINESE, "zh", "zh-CN"),
    "zh-written": ("writes Chinese, no client language", CHINESE, None, None),
}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--surface", choices=["telegram", "discord", "all"], default="all")
    parser.add_argument("--who", default="en,zh,zh-written")
    args = parser.parse_args()
    surfaces = ["telegram", "discord"] if args.surface == "all" else [args.surface]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sample = make_sample_clip(tmp / "sample.mp4", 12, (640, 360))
        for surface in surfaces:
            for who in args.who.split(","):
                title, script, language_code, locale = USERS[who]
                work = tmp / f"{surface}-{who}"
                work.mkdir()
                play: Awaitable[list[str]] = (telegram(script, language_code, sample, work) if surface == "telegram"
                                              else discord(script, locale, sample, work))
                print(f"\n===== {surface}: {title} =====")
                for line in await play:
                    print(line)


if __name__ == "__main__":
    asyncio.run(main())
