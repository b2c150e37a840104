"""An edit that fails inside the engine ends its stream with an ADK error event that names no internals,
and the bot's wording of it carries no raw error text and no "rephrase"."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from core.i18n import say
from core.nemo.errors import StreamFailed
from core.nemo.events import parse_event
from engine.server import EngineServer

from .conftest import Api

INTERNALS = ("database is locked", "OperationalError", "sqlite", "Traceback")


async def test_a_failing_edit_ends_with_an_error_event_the_bot_words_as_its_own_failure(
    api: Api, engine: EngineServer, clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    await api.upload(clips["portrait"])
    async def locked(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(engine.tools, "execute", locked)
    async with api.http.stream(
        "POST",
        "/run_sse",
        json={"app_name": "nemo_agent", "user_id": "me", "session_id": api.sid,
              "new_message": {"parts": [{"text": "add the title 'Hi'"}]}},
        headers=api.auth,
    ) as resp:
        raw = (await resp.aread()).decode()
    assert resp.status_code == 200
    assert not any(word in raw for word in INTERNALS)
    last = raw.strip().split("\n\n")[-1]
    assert last.startswith("data: ")
    with pytest.raises(StreamFailed) as caught:
        parse_event(last[6:])
    for lang in ("en", "zh"):
        shown = say(lang, caught.value.key, detail=caught.value.message)
        assert not any(word in shown for word in INTERNALS)
        assert "rephras" not in shown and "换种说法" not in shown
