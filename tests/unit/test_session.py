"""Tokens and NemoSession with a real SQLite store against the stand-in NEMO: the error table's reactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.nemo.client import NemoClient
from core.nemo.errors import AuthError, NoCredits, RateLimited, SessionNotFound, StreamDropped
from core.nemo.events import StreamEvent
from core.nemo.events import Text as TextEvent
from core.nemo.session import ConfiguredTokenRejected, NemoSession, Tokens
from core.store.base import ConversationRecord, Store
from tests.fakes.nemo import Drop, FakeNemo, Text, ToolCall

SKILL = "ai-video-editor-highlights"
SCOPE = "telegram:100:7"
WAIT = 0.01  # timing is the point: the 429 tests here measure that the session waits this long, then retries


@pytest.fixture
async def client(nemo: FakeNemo) -> AsyncIterator[NemoClient]:
    async with NemoClient(nemo.url) as nemo_client:
        yield nemo_client


def record(key: str = SCOPE) -> ConversationRecord:
    return ConversationRecord(key=key, platform="telegram", chat_id="100", user_id="7", language="en")


def make_session(
    client: NemoClient, store: Store, *, configured: str | None = None, renew_margin: float = 3600.0,
    tokens: Tokens | None = None, key: str = SCOPE,
) -> NemoSession:
    tokens = tokens or Tokens(client, store, configured, renew_margin=renew_margin)
    return NemoSession(client, tokens, store, record(key), skill=SKILL, language="en",
                       rate_limit_wait=WAIT)  # timing is the point: see WAIT


def token_requests(nemo: FakeNemo) -> list[Any]:
    return [r for r in nemo.requests if r.path == "/api/auth/anonymous-token"]


def credit_requests(nemo: FakeNemo) -> list[Any]:
    return [r for r in nemo.requests if r.path == "/api/credits/balance/simple"]


async def credits(session: NemoSession) -> float:
    result = await session.call(lambda t, s: session.client.credits(t, skill=SKILL))
    return result.available


async def state_summary(session: NemoSession) -> Any:
    return await session.call(lambda t, s: session.client.state(t, s, skill=SKILL))


async def chat(session: NemoSession, text: str) -> list[StreamEvent]:
    return [event async for event in session.chat(text)]


def texts(events: list[StreamEvent]) -> list[str]:
    return [e.text for e in events if isinstance(e, TextEvent)]


# -- tokens ----------------------------------------------------------------------------------------


async def test_the_anonymous_token_is_fetched_once_and_reused(
    nemo: FakeNemo, client: NemoClient, store: Store
) -> None:
    session = make_session(client, store)

    assert await credits(session) == 100
    await credits(session)
    await state_summary(session)

    assert len(token_requests(nemo)) == 1
    saved = await store.get_token(SCOPE)
    assert saved is not None and saved.token in nemo.tokens
    assert token_requests(nemo)[0].headers["x-client-id"] == saved.client_id
    assert {r.headers["authorization"] for r in credit_requests(nemo)} == {f"Bearer {saved.token}"}
    assert saved.token not in repr(saved)


async def test_conversations_get_their_own_tokens(nemo: FakeNemo, client: NemoClient, store: Store) -> None:
    tokens = Tokens(client, store, None)

    first = await tokens.get("telegram:1", SKILL)
    second = await tokens.get("discord:2", SKILL)

    assert first != second
    ids = {r.headers["x-client-id"] for r in token_requests(nemo)}
    assert len(ids) == 2


async def test_a_new_tokens_instance_reuses_the_stored_token_and_client_id(
    nemo: FakeNemo, client: NemoClient, store: Store
) -> None:
    first = Tokens(client, store, None)
    token = await first.get(SCOPE, SKILL)
    client_id = token_requests(nemo)[0].headers["x-client-id"]

    restarted = Tokens(client, store, None)  # a bot restart: same database, fresh memory
    assert await restarted.get(SCOPE, SKILL) == token
    assert len(token_requests(nemo)) == 1

    nemo.expire_token(token)
    renewed = await restarted.renew(SCOPE, SKILL, token)

    assert renewed != token
    assert [r.headers["x-client-id"] for r in token_requests(nemo)] == [client_id, client_id]
    saved = await store.get_token(SCOPE)
    assert saved is not None and (saved.client_id, saved.token) == (client_id, renewed)


async def test_the_token_is_renewed_before_it_expires(store: Store) -> None:
    async with FakeNemo(token_ttl=60.0) as nemo, NemoClient(nemo.url) as client:
        early = Tokens(client, store, None, renew_margin=3600.0)  # a minute left is inside the margin
        first = await early.get(SCOPE, SKILL)
        second = await early.get(SCOPE, SKILL)
        assert first != second
        assert len(token_requests(nemo)) == 2

        relaxed = Tokens(client, store, None, renew_margin=10.0)  # a minute left is plenty
        assert await relaxed.get(SCOPE, SKILL) == second
        assert len(token_requests(nemo)) == 2


async def test_a_renewal_refused_by_the_rate_limit_uses_a_fresh_client_id(store: Store) -> None:
    async with FakeNemo(token_ttl=60.0, strict_token_rate=True) as nemo, NemoClient(nemo.url) as client:
        tokens = Tokens(client, store, None, renew_margin=3600.0)
        first = await tokens.get(SCOPE, SKILL)
        second = await tokens.get(SCOPE, SKILL)  # renewal: the old client id still holds a live token

    assert second != first
    ids = [r.headers["x-client-id"] for r in token_requests(nemo)]
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]
    saved = await store.get_token(SCOPE)
    assert saved is not None and saved.client_id == ids[2]


async def test_an_expired_token_is_replaced_and_the_call_retried_once(
    nemo: FakeNemo, client: NemoClient, store: Store
) -> None:
    session = make_session(client, store)
    await credits(session)
    old = (await store.get_token(SCOPE)).token  # type: ignore[union-attr]
    nemo.expire_token(old)
    before = len(credit_requests(nemo))

    assert await credits(session) == 100

    assert len(token_requests(nemo)) == 2
    calls = credit_requests(nemo)[before:]
    new = (await store.get_token(SCOPE)).token  # type: ignore[union-attr]
    assert new != old
    assert [r.headers["authorization"] for r in calls] == [f"Bearer {old}", f"Bearer {new}"]


async def test_a_token_rejected_twice_is_an_auth_error_after_one_retry(
    nemo: FakeNemo, client: NemoClient, store: Store
) -> None:
    session = make_session(client, store)
    await session.session_id()
    nemo.fail_next("credits", code=1001, times=2)

    with pytest.raises(AuthError) as caught:
        await credits(session)

    assert not isinstance(caught.value, ConfiguredTokenRejected)
    assert len(credit_requests(nemo)) == 2
    assert len(token_requests(nemo)) == 2
    for token in nemo.tokens:
        assert token not in str(caught.value) and token not in repr(caught.value)


async def test_a_rejected_configured_token_is_reported_not_replaced(store: Store) -> None:
    async with FakeNemo(static_tokens=["nmv_operator_token"]) as nemo, NemoClient(nemo.url) as client:
        session = make_session(client, store, configured="nmv_operator_token")
        assert await credits(session) == 100
        nemo.expire_token("nmv_operator_token")

        with pytest.raises(ConfiguredTokenRejected) as caught:
            await credits(session)
        with pytest.raises(ConfiguredTokenRejected):
            await chat(session, "add a title")

    assert caught.value.key == "error_auth_configured"
    assert token_requests(nemo) == []
    assert nemo.chat_messages == []
    assert "nmv_operator_token" not in str(caught.value) and "nmv_operator_token" not in repr(caught.value)


# -- rate limit ----------------------------------------------------------------------------------


async def test_a_rate_limit_waits_then_retries_once(nemo: FakeNemo, client: NemoClient, store: Store) -> None:
    session = make_session(client, store)
    await session.session_id()
    nemo.fail_next("credits", http_status=429)

    assert await credits(session) == 100

    first, second = credit_requests(nemo)
    assert second.time - first.time >= WAIT * 0.9


async def test_a_second_rate_limit_is_raised(nemo: FakeNemo, client: NemoClient, store: Store) -> None:
    session = make_session(client, store)
    await session.session_id()
    nemo.fail_next("credits", http_status=429, times=2)

    with pytest.raises(RateLimited):
        await credits(session)

    assert len(credit_requests(nemo)) == 2


# -- sessions -------------------------------------------------------------------------------------


async def test_the_session_is_created_once_and_saved(
    nemo: FakeNemo, client: NemoClient, store: Store
) -> None:
    session = make_session(client, store)

    sid = await session.session_id()
    assert await session.session_id() == sid
    await state_summary(session)

    assert list(nemo.sessions) == [sid]
    assert nemo.sessions[sid].language == "en"
    saved = await store.get_conversation(SCOPE)
    assert saved is not None and saved.session_id == sid and saved.task_id == nemo.sessions[sid].task_id
    assert session.restarted is False


async def test_a_forgotten_session_is_replaced_and_the_call_retried(
    nemo: FakeNemo, client: NemoClient, store: Store
) -> None:
    session = make_session(client, store)
    old = await session.session_id()
    nemo.forget_session(old)

    state = await state_summary(session)

    new = session.record.session_id
    assert new is not None and new != old and new in nemo.sessions
    assert session.restarted is True
    assert state.raw["session_id"] == new
    saved = await store.get_conversation(SCOPE)
    assert saved is not None and saved.session_id == new
    state_paths = [r.path for r in nemo.requests if r.path.startswith("/api/state/")]
    assert state_paths == [f"/api/state/nemo_agent/me/{old}/latest", f"/api/state/nemo_agent/me/{new}/latest"]


async def test_a_call_that_must_not_be_retried_on_a_new_session_raises(
    nemo: FakeNemo, client: NemoClient, store: Store
) -> None:
    session = make_session(client, store)
    old = await session.session_id()
    nemo.forget_session(old)

    with pytest.raises(SessionNotFound):
        await session.call(lambda t, s: client.state(t, s, skill=SKILL), retry_on_new_session=False)

    assert session.restarted is True
    assert session.record.session_id not in (None, old)
    assert len([r for r in nemo.requests if r.path.startswith("/api/state/")]) == 1


# -- chat -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["http", "code"])
async def test_chat_on_a_forgotten_session_restarts_and_sends_the_message_once(
    store: Store, style: Any
) -> None:
    async with FakeNemo(session_error_style=style) as nemo, NemoClient(nemo.url) as client:
        session = make_session(client, store)
        old = await session.session_id()
        nemo.forget_session(old)
        nemo.script_chat(Text("Added text 'Urban Dreams'."))  # a reply with text: this test is about the restart

        events = await chat(session, "add the title 'Urban Dreams'")

    assert nemo.chat_messages == ["add the title 'Urban Dreams'"]
    assert texts(events) == ["Added text 'Urban Dreams'."]
    assert session.restarted is True
    assert session.record.session_id != old
    bodies = [r.json for r in nemo.requests if r.path == "/run_sse"]
    assert [b["session_id"] for b in bodies] == [old, session.record.session_id]


async def test_chat_with_an_expired_token_renews_and_sends_once(
    nemo: FakeNemo, client: NemoClient, store: Store
) -> None:
    session = make_session(client, store)
    await session.session_id()
    nemo.expire_token((await store.get_token(SCOPE)).token)  # type: ignore[union-attr]
    nemo.script_chat(Text("Music added."))  # a reply with text: this test is about the token

    events = await chat(session, "add music")

    assert nemo.chat_messages == ["add music"]
    assert texts(events) == ["Music added."]
    assert len(token_requests(nemo)) == 2


async def test_chat_rate_limited_before_the_stream_waits_and_sends_once(
    nemo: FakeNemo, client: NemoClient, store: Store
) -> None:
    session = make_session(client, store)
    await session.session_id()
    nemo.fail_next("chat", http_status=429)
    nemo.script_chat(Text("Music added."))  # a reply with text: this test is about the wait

    events = await chat(session, "add music")

    assert nemo.chat_messages == ["add music"]
    assert texts(events) == ["Music added."]
    first, second = [r for r in nemo.requests if r.path == "/run_sse"]
    assert second.time - first.time >= WAIT * 0.9


async def test_chat_rate_limited_twice_raises(nemo: FakeNemo, client: NemoClient, store: Store) -> None:
    session = make_session(client, store)
    await session.session_id()
    nemo.fail_next("chat", http_status=429, times=2)

    with pytest.raises(RateLimited):
        await chat(session, "add music")

    assert nemo.chat_messages == []
    assert len([r for r in nemo.requests if r.path == "/run_sse"]) == 2


async def test_a_dropped_chat_is_not_resent(nemo: FakeNemo, client: NemoClient, store: Store) -> None:
    session = make_session(client, store)
    await session.session_id()
    nemo.script_chat(ToolCall("edit_multitrack", {"op": "trim"}), Text("Trimming now."), Drop())
    received: list[StreamEvent] = []

    with pytest.raises(StreamDropped):
        async for event in session.chat("trim the pauses"):
            received.append(event)

    assert texts(received) == ["Trimming now."]
    assert nemo.chat_messages == ["trim the pauses"]
    assert len([r for r in nemo.requests if r.path == "/run_sse"]) == 1


async def test_a_chat_dropped_before_any_event_is_not_resent(
    nemo: FakeNemo, client: NemoClient, store: Store
) -> None:
    session = make_session(client, store)
    await session.session_id()
    nemo.script_chat(Drop())

    with pytest.raises(StreamDropped):
        await chat(session, "trim the pauses")

    assert nemo.chat_messages == ["trim the pauses"]


async def test_chat_without_credits_is_not_retried(nemo: FakeNemo, client: NemoClient, store: Store) -> None:
    session = make_session(client, store)
    await session.session_id()
    nemo.set_credits(None, 0)

    with pytest.raises(NoCredits):
        await chat(session, "add music")

    assert nemo.chat_messages == []
    assert len([r for r in nemo.requests if r.path == "/run_sse"]) == 1
