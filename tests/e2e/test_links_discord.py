"""A Discord user's export with the built-in engine, through the real discord.py client and the Discord
stand-in: with a public base URL the result carries a link that opens (text and link button); the
engine's loopback address never appears."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from core.settings import BotSettings, Settings
from engine.sample import make_sample_clip
from tests.e2e.test_discord import (
    JSON,
    READY,
    content,
    delivered,
    final,
    in_status,
    link_buttons,
    running_bot,
    with_discord,
)
from tests.fakes.discord import FakeDiscord
from tests.renders import exported

pytestmark = pytest.mark.slow
PUBLIC = "https://media.example.org"
UNREACHABLE = "https://nemobot-public.invalid"  # a name no resolver answers (RFC 6761)


@pytest.mark.parametrize("public", [True, False], ids=["public-base-url", "loopback-only"])
async def test_the_link_shows_only_when_it_opens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, public: bool) -> None:
    clip = make_sample_clip(tmp_path / "clip.mp4", 6, (320, 180)).read_bytes()
    monkeypatch.setenv("NEMOBOT_ENGINE_PORT", "0")
    monkeypatch.setenv("NEMOBOT_ENGINE_DATA_DIR", str(tmp_path / "engine"))
    monkeypatch.setenv("NEMOBOT_ENGINE_ALLOW_PRIVATE_URLS", "true")  # the stand-in's CDN is on loopback
    if public:
        monkeypatch.setenv("NEMOBOT_ENGINE_PUBLIC_BASE_URL", PUBLIC)
    settings = Settings(bot=BotSettings(backend="engine", db_path=tmp_path / "bot.db"))
    async with FakeDiscord() as dc, running_bot(with_discord(settings, dc), dc) as (core, _):
        upload = dc.invoke_slash("upload", {"video": dc.attachment(clip, "clip.mp4")})
        record = dc.interaction(upload)  # the answer, or the footage's contact sheet with it as caption
        await dc.wait_for(lambda: any("Uploaded clip.mp4" in content(m) for m in [record.original, *record.followups]),
                          timeout=60)
        export = dc.invoke_slash("export")
        await dc.wait_for(final(dc, export, READY), timeout=60)
        await core.idle(timeout=60)
        result = dc.interaction(export).original
        assert "127.0.0.1" not in content(result) and not any("127.0.0.1" in u for u in link_buttons(result))
        if public:
            link = next(w for w in content(result).split() if w.startswith(PUBLIC))
            assert link in link_buttons(result)
            parts = urlsplit(link)  # what the reverse proxy at the public address passes to the engine
            async with httpx.AsyncClient(base_url=core.client.base_url) as http:
                opened = await http.get(f"{parts.path}?{parts.query}")
            assert opened.status_code == 200 and opened.content[4:8] == b"ftyp"
        else:
            assert "http" not in content(result) and not link_buttons(result)
            assert in_status(dc, export) is not None and not dc.interaction(export).followups  # the file alone


def attached(messages: list[JSON | None], suffix: str) -> list[JSON]:
    return [a for m in messages for a in (m or {}).get("attachments") or [] if a["filename"].endswith(suffix)]


async def test_the_bot_reads_the_files_the_inside_way_when_it_cannot_reach_the_public_address(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The public address is for people: a bot whose host cannot resolve it (NAT, a firewall) still
    draws the footage and attaches the render, reading them at the engine's own address."""
    clip = make_sample_clip(tmp_path / "clip.mp4", 6, (320, 180)).read_bytes()
    monkeypatch.setenv("NEMOBOT_ENGINE_PORT", "0")
    monkeypatch.setenv("NEMOBOT_ENGINE_DATA_DIR", str(tmp_path / "engine"))
    monkeypatch.setenv("NEMOBOT_ENGINE_ALLOW_PRIVATE_URLS", "true")  # the stand-in's CDN is on loopback
    monkeypatch.setenv("NEMOBOT_ENGINE_PUBLIC_BASE_URL", UNREACHABLE)
    settings = Settings(bot=BotSettings(backend="engine", db_path=tmp_path / "bot.db"))
    async with FakeDiscord() as dc, running_bot(with_discord(settings, dc), dc) as (core, _):
        upload = dc.invoke_slash("upload", {"video": dc.attachment(clip, "clip.mp4")})
        record = dc.interaction(upload)  # the answer, or the footage's contact sheet with it as caption
        await dc.wait_for(lambda: any("Uploaded clip.mp4" in content(m)
                                      for m in [record.original, *record.followups]), timeout=60)
        await core.idle(timeout=60)
        assert attached([record.original, *record.followups], ".jpg")  # the footage's contact sheet
        export = dc.invoke_slash("export")
        await dc.wait_for(final(dc, export, READY), timeout=60)
        await core.idle(timeout=60)
        result = dc.interaction(export).original
        link = next(w for w in content(result).split() if w.startswith(UNREACHABLE + "/files/renders/"))
        assert link in link_buttons(result)  # people are shown the public link
        assert core.client.base_url not in content(result)
        video = delivered([result or {}, *dc.interaction(export).followups])
        assert video is not None, "the render was not attached"
        render = exported(tmp_path / "engine")
        assert [a["size"] for a in attached([video], ".mp4")] == [render.stat().st_size]
