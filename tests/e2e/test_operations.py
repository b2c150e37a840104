"""Operations around the core: own tokens, operator stats, floods, the store's schema and file mode."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from bots.app import running_core
from core.conversation import Core
from core.ports import Incoming, Target
from core.store.sqlite import MIGRATIONS, SqliteStore
from tests.conftest import cloud_settings
from tests.fakes.nemo import FakeNemo
from tests.fakes.tokens import NEMO_OWN
from tests.postgres import PG_URL, needs_postgres, throwaway_database
from tests.recording import RecordingPort

ANN = Target("test", "chat-1", "ann")
OWN_TOKEN = NEMO_OWN


async def test_own_token_is_used_never_shown_and_refused_in_groups(tmp_path: Path) -> None:
    async with FakeNemo(static_tokens={OWN_TOKEN}) as nemo, running_core(cloud_settings(nemo.url, tmp_path / "b.db")) as core:
        port = RecordingPort()
        core.register(port)
        group = Target("test", "g-1", "ann", group=True)
        await core.handle(Incoming(group, command="token", args=OWN_TOKEN))
        assert "only in a private chat" in port.last()
        await core.handle(Incoming(ANN, command="token", args=OWN_TOKEN))
        assert "saved" in port.last()
        await core.handle(Incoming(ANN, text="credits"))
        used = [r.headers.get("authorization") for r in nemo.requests if r.path == "/api/credits/balance/simple"]
        assert used == [f"Bearer {OWN_TOKEN}"]
        assert not [r for r in nemo.requests if r.path == "/api/auth/anonymous-token"]
        assert all(OWN_TOKEN not in text for m in port.messages for text in m.texts)

        nemo.expire_token(OWN_TOKEN)
        await core.handle(Incoming(ANN, text="credits"))
        assert "rejected your own token" in port.last()
        assert not [r for r in nemo.requests if r.path == "/api/auth/anonymous-token"]  # never swapped silently
        await core.handle(Incoming(ANN, command="token", args="clear"))
        await core.handle(Incoming(ANN, text="credits"))
        assert port.last().startswith("Credits:")


async def test_stats_is_for_operators_only(core: Core, port: RecordingPort) -> None:
    await core.handle(Incoming(ANN, command="stats"))
    assert port.notices == ["That command is for the bot's operators."]
    core.settings.bot.operators = ["test:ann"]
    await core.handle(Incoming(ANN, command="stats"))
    assert port.last().startswith("Conversations: ")


async def test_a_flood_from_one_user_is_slowed_with_one_message(core: Core, port: RecordingPort, nemo: FakeNemo) -> None:
    core.rate.limit = 5
    for n in range(30):
        await core.handle(Incoming(ANN, text="credits"))
    texts = port.texts()
    assert texts.count("You're sending messages too fast. Please wait a minute.") == 1
    assert sum(t.startswith("Credits:") for t in texts) == 5
    other = Target("test", "chat-2", "bob")
    await core.handle(Incoming(other, text="credits"))
    assert port.last().startswith("Credits:")  # other users are not slowed


async def test_store_migrates_an_old_schema_and_is_private(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:  # a database left by the first release
        conn.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
        conn.execute("INSERT INTO tokens (scope, client_id, token) VALUES ('x', 'cid', 'tok')")
    store = SqliteStore(db)
    await store.open()
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        record = await store.get_token("x")
        assert record is not None and record.client_id == "cid" and record.own is False
    finally:
        await store.close()
    fresh = SqliteStore(tmp_path / "new" / "bot.db")
    await fresh.open()
    await fresh.close()
    assert stat.S_IMODE((tmp_path / "new" / "bot.db").stat().st_mode) == 0o600


@pytest.mark.renders_done_when_polled  # render time is not this test's subject
async def test_no_chat_reaches_another_chats_session_uploads_renders_or_buttons(
    core: Core, port: RecordingPort, nemo: FakeNemo
) -> None:
    from core.ports import Attachment

    ann, bob = Target("test", "chat-a", "ann"), Target("test", "chat-b", "bob")

    async def data():  # type: ignore[no-untyped-def]
        yield b"v" * 500

    await core.handle(Incoming(ann, attachments=[Attachment("ann-secret.mp4", 500, open=data)]))
    await core.idle()
    await core.handle(Incoming(bob, text="status"))
    assert port.last() == "The timeline is empty: send a video first."       # Bob sees nothing of Ann's
    await core.handle(Incoming(bob, button="export", button_owner="ann"))       # Ann's button, pressed by Bob
    await core.handle(Incoming(bob, text="export"))
    await core.idle()
    assert port.last() == "There is nothing to export yet: send a video first."
    assert not port.deliveries and not nemo.renders
    await core.handle(Incoming(ann, text="export"))
    await core.idle()
    assert [target for target, _, _ in port.deliveries] == [ann]               # Ann's render goes to Ann only
    assert port.notices == ["Only the person who asked can use these buttons."]
    assert core.conversations[bob.conversation].record.session_id != core.conversations[ann.conversation].record.session_id
    assert all("ann-secret" not in text for m in port.messages if m.target == bob for text in m.texts)


def test_json_logs_are_json_and_redacted(capsys) -> None:  # type: ignore[no-untyped-def]
    import json
    import logging

    from core.logs import setup_logging

    setup_logging("INFO", json_lines=True, secrets=["hunter2-secret"])
    try:
        logging.getLogger("nemobot.test").warning("token %s and nmv_usr_abcdefghijk in a line", "hunter2-secret")
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        logging.getLogger().handlers.clear()
    record = json.loads(line)
    assert record["level"] == "WARNING" and record["logger"] == "nemobot.test"
    assert "hunter2-secret" not in line and "nmv_usr_abcdefghijk" not in line and "[redacted]" in record["message"]


@needs_postgres
async def test_a_bot_on_postgresql_keeps_its_conversations_across_a_restart(tmp_path: Path) -> None:
    async with throwaway_database(PG_URL or "") as url, FakeNemo() as nemo:
        settings = cloud_settings(nemo.url, tmp_path / "unused.db")
        settings.bot.database_url = SecretStr(url)
        async with running_core(settings) as core:
            port = RecordingPort()
            core.register(port)
            await core.handle(Incoming(ANN, command="lang", args="zh"))
            await core.handle(Incoming(ANN, command="mode", args="highlights"))
        assert not (tmp_path / "unused.db").exists()  # nothing went to SQLite
        async with running_core(settings) as core:
            port = RecordingPort()
            core.register(port)
            await core.handle(Incoming(ANN, command="mode"))
            assert "highlights" in port.last() and "当前" in port.last()  # the language and mode were kept
