"""Tokens, sessions and the documented reactions to NEMO's errors.

``Tokens`` hands out a bearer token per conversation: the configured ``NEMO_TOKEN`` for
everyone, or an anonymous token per conversation whose client id is persisted and which is
renewed before its 7-day expiry and on 1001. ``NemoSession`` runs one call with the reactions
of the error table: a new token and one retry on auth errors, one retry after a wait on 429,
a new session on 1002 (``restarted`` tells the caller to inform the user).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from core.locks import KeyedLocks
from core.nemo.client import NemoClient
from core.nemo.errors import AuthError, MissingClientId, RateLimited, SessionNotFound
from core.nemo.events import StreamEvent
from core.store.base import ConversationRecord, Store, TokenRecord

log = logging.getLogger(__name__)
T = TypeVar("T")


class ConfiguredTokenRejected(AuthError):
    """NEMO refused the operator's ``NEMO_TOKEN``: nothing the bot can renew."""

    key = "error_auth_configured"


class OwnTokenRejected(AuthError):
    """NEMO refused the token the user gave with /token."""

    key = "error_auth_own"


class Tokens:
    def __init__(self, client: NemoClient, store: Store, configured: str | None, *, renew_margin: float = 3600.0) -> None:
        self.client = client
        self.store = store
        self.configured = configured
        self.renew_margin = renew_margin
        self._lock = KeyedLocks()  # one per conversation, while a token of it is fetched

    async def get(self, scope: str, skill: str) -> str:
        """A valid token for a conversation, fetched or renewed as needed."""
        if self.configured:
            return self.configured
        async with self._lock(scope):
            record = await self.store.get_token(scope)
            if record and record.token and (record.own or not self._expiring(record)):
                return record.token
            return await self._fetch(scope, record, skill)

    async def set_own(self, scope: str, token: str | None) -> None:
        """Use the user's own token for this conversation (``None``: back to an anonymous one)."""
        async with self._lock(scope):
            record = await self.store.get_token(scope)
            client_id = record.client_id if record else str(uuid.uuid4())
            await self.store.save_token(TokenRecord(scope, client_id, token, None, None, own=token is not None))

    async def renew(self, scope: str, skill: str, rejected: str) -> str:
        """A new token after NEMO rejected ``rejected`` (unless another task renewed it already)."""
        if self.configured:
            raise ConfiguredTokenRejected("the configured NEMO token was rejected")
        async with self._lock(scope):
            record = await self.store.get_token(scope)
            if record and record.own:
                raise OwnTokenRejected("the user's own NEMO token was rejected")
            if record and record.token and record.token != rejected and not self._expiring(record):
                return record.token
            return await self._fetch(scope, record, skill)

    def _expiring(self, record: TokenRecord) -> bool:
        if record.expires_at is None:
            return False
        expires = record.expires_at if record.expires_at.tzinfo else record.expires_at.replace(tzinfo=UTC)
        return expires - timedelta(seconds=self.renew_margin) <= datetime.now(UTC)

    async def _fetch(self, scope: str, record: TokenRecord | None, skill: str) -> str:
        client_id = record.client_id if record else str(uuid.uuid4())
        try:
            issued = await self.client.anonymous_token(client_id, skill=skill)
        except (RateLimited, MissingClientId):
            # one token per client id per 7 days: a fresh client id gets a fresh token
            client_id = str(uuid.uuid4())
            issued = await self.client.anonymous_token(client_id, skill=skill)
        await self.store.save_token(TokenRecord(scope, client_id, issued.token, issued.user_id, issued.expires_at))
        log.info("new anonymous NEMO token for %s (user %s)", scope, issued.user_id)
        return issued.token


class NemoSession:
    """One conversation's access to NEMO: its token, its session, and the error reactions."""

    def __init__(
        self,
        client: NemoClient,
        tokens: Tokens,
        store: Store,
        record: ConversationRecord,
        *,
        skill: str,
        language: str,
        rate_limit_wait: float,
    ) -> None:
        self.client = client
        self.tokens = tokens
        self.store = store
        self.record = record
        self.skill = skill
        self.language = language
        self.rate_limit_wait = rate_limit_wait
        self.restarted = False

    async def token(self) -> str:
        return await self.tokens.get(self.record.key, self.skill)

    async def new_session(self) -> str:
        info = await self.authed(lambda t: self.client.create_session(t, skill=self.skill, language=self.language))
        self.record.session_id = info.session_id
        self.record.task_id = info.task_id
        self.record.draft = None
        await self.store.save_conversation(self.record)
        return info.session_id

    async def session_id(self) -> str:
        return self.record.session_id or await self.new_session()

    async def authed(self, call: Callable[[str], Awaitable[T]]) -> T:
        """Run ``call(token)`` with a token renewed once on auth errors and one retry after 429."""
        token = await self.token()
        try:
            return await self._with_rate_limit(lambda: call(token))
        except AuthError as exc:
            if isinstance(exc, (ConfiguredTokenRejected, OwnTokenRejected)):
                raise
            token = await self.tokens.renew(self.record.key, self.skill, token)
            return await self._with_rate_limit(lambda: call(token))

    async def _with_rate_limit(self, attempt: Callable[[], Awaitable[T]]) -> T:
        try:
            return await attempt()
        except RateLimited:
            log.warning("NEMO rate limit; retrying once in %.0f s", self.rate_limit_wait)
            await asyncio.sleep(self.rate_limit_wait)
            return await attempt()

    async def call(self, call: Callable[[str, str], Awaitable[T]], *, retry_on_new_session: bool = True) -> T:
        """Run ``call(token, session_id)`` with the documented reactions."""
        sid = await self.session_id()
        try:
            return await self.authed(lambda t: call(t, sid))
        except SessionNotFound:
            self.restarted = True
            sid = await self.new_session()
            if not retry_on_new_session:
                raise
            return await self.authed(lambda t: call(t, sid))

    async def chat(self, text: str) -> AsyncGenerator[StreamEvent, None]:
        """The reply stream, with the reactions applied only before the first event arrives
        (a message NEMO never started on may be sent again; one it did must not be)."""
        attempts = 0
        renewed = rate_waited = new_session = False
        while True:
            attempts += 1
            sid = await self.session_id()
            token = await self.token()
            stream = self.client.chat(token, sid, text, skill=self.skill, language=self.language)
            started = False
            try:
                async for event in stream:
                    started = True
                    yield event
                return
            except (ConfiguredTokenRejected, OwnTokenRejected):
                raise
            except AuthError:
                if started or renewed:
                    raise
                renewed = True
                await self.tokens.renew(self.record.key, self.skill, token)
            except RateLimited:
                if started or rate_waited:
                    raise
                rate_waited = True
                await asyncio.sleep(self.rate_limit_wait)
            except SessionNotFound:
                if started or new_session:
                    raise
                new_session = self.restarted = True
                await self.new_session()
            finally:
                await stream.aclose()
