"""The engine store's database: one SQLite file (one process) or a PostgreSQL server (several).

Queries are written once, in SQLite's dialect with ``?`` placeholders; the PostgreSQL side numbers
the placeholders for asyncpg and widens the column types (PostgreSQL's REAL is 4 bytes, too short for
a Unix time). Every statement commits on its own, as the store always did.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

BUSY_TIMEOUT_S = 30.0  # how long a statement waits for another process's lock on the SQLite file
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SETUP_LOCK = 0x6E656D6F  # advisory lock: one process at a time creates the tables of a fresh database

Row = Mapping[str, Any]


class Database(Protocol):
    """What the engine store asks of a database."""

    insertion_order: str  # an expression that sorts a table's rows in the order they were inserted

    async def open(self, schema: str) -> None: ...
    async def close(self) -> None: ...
    async def fetchone(self, sql: str, *args: Any) -> Row | None: ...
    async def fetchall(self, sql: str, *args: Any) -> list[Row]: ...
    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement, commit, and return how many rows it changed."""
        ...


def is_postgres(url: str | None) -> bool:
    return bool(url) and str(url).startswith(POSTGRES_SCHEMES)


def open_database(path: Path, url: str | None) -> Database:
    """PostgreSQL when ``url`` names a server, else the SQLite file at ``path``."""
    return PostgresDatabase(url) if url and is_postgres(url) else SqliteDatabase(path)


class SqliteDatabase:
    """One connection in WAL mode."""

    insertion_order = "rowid"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None

    async def open(self, schema: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, timeout=BUSY_TIMEOUT_S)
        self._db.row_factory = aiosqlite.Row
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.executescript(schema)
        await self._db.commit()

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        assert self._db is not None, "store not open"
        return self._db

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        async with self.db.execute(sql, args) as cur:
            return await cur.fetchone()  # type: ignore[return-value]

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        async with self.db.execute(sql, args) as cur:
            return list(await cur.fetchall())  # type: ignore[arg-type]

    async def execute(self, sql: str, *args: Any) -> int:
        cur = await self.db.execute(sql, args)
        await self.db.commit()
        return cur.rowcount


def postgres_sql(sql: str) -> str:
    """``?`` placeholders numbered ``$1, $2, ...`` (no query of the store holds a literal '?')."""
    counter = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _m: f"${next(counter)}", sql)


def postgres_schema(schema: str) -> list[str]:
    """SQLite's schema as PostgreSQL statements: 8-byte floats and integers."""
    widened = re.sub(r"\bREAL\b", "DOUBLE PRECISION", re.sub(r"\bINTEGER\b", "BIGINT", schema))
    return [s.strip() for s in widened.split(";") if s.strip()]


class PostgresDatabase:
    """An asyncpg pool; each statement autocommits."""

    insertion_order = "seq"

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: Any = None

    async def open(self, schema: str) -> None:
        import asyncpg

        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=8)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SETUP_LOCK)
            for statement in postgres_schema(schema):
                await conn.execute(statement)
            # the order files were added in (SQLite's rowid)
            await conn.execute("ALTER TABLE files ADD COLUMN IF NOT EXISTS seq BIGSERIAL")

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def pool(self) -> Any:
        assert self._pool is not None, "store not open"
        return self._pool

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        return await self.pool.fetchrow(postgres_sql(sql), *args)

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        return list(await self.pool.fetch(postgres_sql(sql), *args))

    async def execute(self, sql: str, *args: Any) -> int:
        status: str = await self.pool.execute(postgres_sql(sql), *args)
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0
