"""ADK's session services: SQLite for one engine process, PostgreSQL for several.

``session_service(path, url)`` picks one. On PostgreSQL it is ADK's own ``DatabaseSessionService``
(SQLAlchemy over asyncpg); the rest of this module is about the SQLite one.

ADK's ``SqliteSessionService`` opens a new connection (and a thread) for every call and writes in
deferred transactions in the default rollback journal: with a hundred conversations writing at once,
some writers wait past SQLite's busy timeout or hit a lock upgrade that cannot wait, and the call fails
with ``database is locked``. Here every call of this process runs on one long-lived connection, one
call at a time (as ADK already does for an in-memory database), so no statement of ours ever waits on
another inside SQLite; the file is in WAL mode with a busy timeout for any other process that opens it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import aiosqlite
from google.adk.sessions.sqlite_session_service import CREATE_SCHEMA_SQL, SqliteSessionService
from typing_extensions import override

from .database import BUSY_TIMEOUT_S, is_postgres

if TYPE_CHECKING:
    from google.adk.sessions.base_session_service import BaseSessionService


def sqlalchemy_url(url: str) -> str:
    """A ``postgresql://`` URL as SQLAlchemy names the asyncpg driver: ``postgresql+asyncpg://``."""
    return "postgresql+asyncpg://" + url.split("://", 1)[1]


def session_service(path: Path, url: str | None) -> BaseSessionService:
    """ADK's sessions on PostgreSQL when ``url`` names a server, else in the SQLite file at ``path``."""
    if url and is_postgres(url):
        from google.adk.sessions.database_session_service import DatabaseSessionService

        return DatabaseSessionService(db_url=sqlalchemy_url(url))
    return SessionStore(path)


class SessionStore(SqliteSessionService):
    """``SqliteSessionService`` on one connection in WAL mode, one call at a time."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(db_path=str(path))
        self._path = path
        self._conn: aiosqlite.Connection | None = None
        self._one_at_a_time = asyncio.Lock()

    async def _open(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self._path, timeout=BUSY_TIMEOUT_S)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.executescript(CREATE_SCHEMA_SQL)
            await conn.commit()
        except BaseException:
            await conn.close()
            raise
        return conn

    @override
    @asynccontextmanager
    async def _get_db_connection(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._one_at_a_time:
            if self._conn is None:
                self._conn = await self._open()
            try:
                yield self._conn
            except BaseException:
                await self._conn.rollback()  # a failed call leaves nothing half written
                raise

    @override
    async def close(self) -> None:
        async with self._one_at_a_time:
            if self._conn is not None:
                await self._conn.close()
                self._conn = None
