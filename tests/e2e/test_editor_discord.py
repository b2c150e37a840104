"""The hand-editing page from Discord (issue 21), through the real discord.py client and the Discord
stand-in on the built-in engine: the /status answer carries an "Edit by hand" link button whose signed URL
opens the page and its draft, and an edit applied through that page is told in the channel it came from."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from core.settings import BotSettings, Settings
from engine.sample import make_sample_clip
from tests.e2e.test_discord import JSON, content, running_bot, with_discord
from tests.fakes.discord import FakeDiscord

pytestmark = pytest.mark.slow
PUBLIC = "https://media.example.org"


def buttons(message: JSON | None) -> list[JSON]:
    return [c for row in (message or {}).get("components", []) for c in row.get("components", [])]


async def test_status_offers_a_link_button_that_opens_the_page_and_the_channel_hears_the_edit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = make_sample_clip(tmp_path / "clip.mp4", 6, (320, 180)).read_bytes()
    monkeypatch.setenv("NEMOBOT_ENGINE_PORT", "0")
    monkeypatch.setenv("NEMOBOT_ENGINE_DATA_DIR", str(tmp_path / "engine"))
    monkeypatch.setenv("NEMOBOT_ENGINE_ALLOW_PRIVATE_URLS", "true")  # the stand-in's CDN is on loopback
    monkeypatch.setenv("NEMOBOT_ENGINE_PUBLIC_BASE_URL", PUBLIC)
    settings = Settings(bot=BotSettings(backend="engine", db_path=tmp_path / "bot.db"))
    async with FakeDiscord() as dc, running_bot(with_discord(settings, dc), dc) as (core, _):
        upload = dc.invoke_slash("upload", {"video": dc.attachment(clip, "clip.mp4")})
        record = dc.interaction(upload)
        await dc.wait_for(lambda: any("Uploaded clip.mp4" in content(m) for m in [record.original, *record.followups]),
                          timeout=60)
        await core.idle(timeout=60)
        status = dc.interaction(dc.invoke_slash("status"))

        def edit_button() -> JSON | None:
            return next((b for m in [status.original, *status.followups] for b in buttons(m)
                         if "/edit/" in str(b.get("url"))), None)

        button = await dc.wait_for(edit_button, timeout=60)
        assert button["label"] == "✋ Edit by hand" and button["style"] == 5  # a link button
        url = str(button["url"])
        assert url.startswith(PUBLIC + "/edit/") and "/any?c=" in url
        parts = urlsplit(url)  # what the reverse proxy at the public address passes to the engine
        async with httpx.AsyncClient(base_url=core.client.base_url, timeout=30) as http:
            page = await http.get(f"{parts.path}?{parts.query}")
            draft = await http.get(f"{parts.path}/draft?{parts.query}")
            tampered = await http.get(f"{parts.path}/draft?{parts.query.replace('c=', 'c=x')}")
            assert page.status_code == 200 and "<video" in page.text
            assert draft.status_code == 200 and draft.json()["total"] == 6000, draft.text
            assert tampered.status_code == 403  # the conversation is signed with the rest
            seen = len(dc.channel_messages())
            applied = await http.post(f"{parts.path}/apply?{parts.query}", json={
                "version": draft.json()["version"], "edits": [{"op": "trim", "seg": 0, "in": 0, "d": 4000}]})
            assert applied.status_code == 200, applied.text
        told = await dc.wait_for(lambda: next((m for m in dc.channel_messages()[seen:]
                                               if "Edited by hand" in content(m)), None), timeout=30)
        assert "The video is now 4.0 s." in content(told)
