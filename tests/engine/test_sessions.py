"""The engine's ADK session store under concurrent writers: no call fails, no write is lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

from google.adk.events import Event, EventActions
from google.genai import types

from engine.sessions import SessionStore

APP = "nemo_agent"


async def _conversation(store: SessionStore, n: int) -> None:
    session = await store.create_session(app_name=APP, user_id=f"u{n}", session_id=f"s{n}", state={"edits": 0})
    for edit in range(1, 6):
        event = Event(
            invocation_id=f"i{n}-{edit}",
            author=APP,
            content=types.Content(role="model", parts=[types.Part(text=f"edit {edit}")]),
            actions=EventActions(state_delta={"edits": edit}),
        )
        await store.append_event(session, event)
        await asyncio.sleep(0)


async def test_a_hundred_conversations_write_at_once_and_nothing_is_lost(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions.db")
    results = await asyncio.gather(*(_conversation(store, n) for n in range(100)), return_exceptions=True)
    assert [r for r in results if r is not None] == []
    for n in range(100):
        session = await store.get_session(app_name=APP, user_id=f"u{n}", session_id=f"s{n}")
        assert session is not None
        assert session.state["edits"] == 5
        assert [e.content.parts[0].text for e in session.events] == [f"edit {k}" for k in range(1, 6)]
    await store.close()


async def test_sessions_survive_a_restart(tmp_path: Path) -> None:
    first = SessionStore(tmp_path / "sessions.db")
    await _conversation(first, 1)
    await first.close()
    second = SessionStore(tmp_path / "sessions.db")
    session = await second.get_session(app_name=APP, user_id="u1", session_id="s1")
    assert session is not None and session.state["edits"] == 5
    await second.close()
