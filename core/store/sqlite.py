"""The SQLite store (aiosqlite, WAL), schema versioned with ordered migrations."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from core.locks import KeyedLocks
from core.store.base import (
    JOB_BEFORE,
    UPDATES_KEPT,
    ConversationRecord,
    JobRecord,
    RenderJob,
    TokenRecord,
    UpdateRecord,
    claim_order,
    quota_day,
    updated_columns,
)

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000  # SQLite waits this long for another connection's write lock
T = TypeVar("T")
DONE_UPDATE = "UPDATE updates SET done = 1 WHERE platform = ? AND update_id = ?"
LOCK_WAIT = 600.0         # past that, a write tries again until this many seconds have gone by

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE conversations (
        key TEXT PRIMARY KEY, platform TEXT NOT NULL, chat_id TEXT NOT NULL, user_id TEXT NOT NULL,
        language TEXT, mode TEXT, session_id TEXT, task_id TEXT, draft TEXT,
        updated_at REAL NOT NULL
    );
    CREATE TABLE tokens (
        scope TEXT PRIMARY KEY, client_id TEXT NOT NULL, token TEXT, user_id TEXT, expires_at TEXT
    );
    CREATE TABLE uploads (
        id INTEGER PRIMARY KEY AUTOINCREMENT, conversation TEXT NOT NULL, filename TEXT NOT NULL,
        url TEXT NOT NULL, size INTEGER, created_at REAL NOT NULL
    );
    CREATE INDEX uploads_by_conversation ON uploads (conversation);
    CREATE TABLE renders (
        id TEXT PRIMARY KEY, conversation TEXT NOT NULL, session_id TEXT NOT NULL, skill TEXT NOT NULL,
        target TEXT NOT NULL, status TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, url TEXT,
        error TEXT NOT NULL DEFAULT '', status_message TEXT, created_at REAL NOT NULL,
        delivered INTEGER NOT NULL DEFAULT 0, extra TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX renders_open ON renders (delivered);
    """,
    # 2: users may bring their own NEMO token
    "ALTER TABLE tokens ADD COLUMN own INTEGER NOT NULL DEFAULT 0",
    # 3: render jobs are claimed with a lease (one process per file here, but the same contract as PostgreSQL)
    "ALTER TABLE renders ADD COLUMN lease_owner TEXT; ALTER TABLE renders ADD COLUMN lease_until REAL NOT NULL DEFAULT 0",
    # 4: the jobs each conversation has running or waiting, in every process (queue positions)
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, conversation TEXT NOT NULL, owner TEXT NOT NULL,
        alive_until REAL NOT NULL
    );
    CREATE INDEX jobs_by_conversation ON jobs (conversation);
    """,
    # 5: a conversation may ask for the timeline drawn after each edit (/pictures on|off)
    "ALTER TABLE conversations ADD COLUMN pictures INTEGER",
    # 6: the language the user last wrote in, for the messages without words that follow
    "ALTER TABLE conversations ADD COLUMN written_language TEXT",
    # 7: a job keeps what runs it again after its process died (payload), how far it got, and its place in
    # the surface's own order of updates
    ("ALTER TABLE jobs ADD COLUMN payload TEXT; ALTER TABLE jobs ADD COLUMN seq INTEGER; "
     "ALTER TABLE jobs ADD COLUMN stage TEXT NOT NULL DEFAULT ''; "
     "ALTER TABLE jobs ADD COLUMN created_at REAL NOT NULL DEFAULT 0"),
    # 8: the updates received (a webhook's), kept from before they are acknowledged until handled
    """
    CREATE TABLE updates (
        platform TEXT NOT NULL, update_id INTEGER NOT NULL, owner TEXT NOT NULL, payload TEXT NOT NULL,
        received_at REAL NOT NULL, alive_until REAL NOT NULL, done INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (platform, update_id)
    );
    CREATE INDEX updates_open ON updates (done, alive_until);
    """,
    # 9: what each user used of a day's quota (render seconds, uploads) on the built-in engine
    """
    CREATE TABLE quotas (
        user_key TEXT NOT NULL, day TEXT NOT NULL, kind TEXT NOT NULL, used REAL NOT NULL,
        PRIMARY KEY (user_key, day, kind)
    );
    CREATE INDEX uploads_by_age ON uploads (created_at);
    """,
    # 10: a conversation may ask for a preview after each edit that changes the picture (/preview on|off)
    "ALTER TABLE conversations ADD COLUMN previews INTEGER",
)


class SqliteStore:
    """``Store`` on one SQLite file. The file is created readable by its owner only."""

    several_processes = False

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        self._writing = asyncio.Lock()  # one write (execute + commit, or rollback) at a time
        self._conversation_locks = KeyedLocks()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    async def open(self) -> None:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._db = await aiosqlite.connect(self.path, timeout=30)
        await self.db.execute("PRAGMA journal_mode=WAL")
        await self.db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await self.db.execute("PRAGMA synchronous=NORMAL")
        await self._migrate()

    async def _write(self, sql: str, params: tuple[Any, ...]) -> aiosqlite.Cursor:
        """Run one write and commit it."""
        return await self._committed(lambda: self.db.execute(sql, params))

    async def _write_returning(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        """Run one write with a ``RETURNING`` clause, read its rows and commit it."""

        async def rows() -> list[Any]:
            async with self.db.execute(sql, params) as cursor:
                return list(await cursor.fetchall())

        return await self._committed(rows)

    async def _committed(self, write: Callable[[], Awaitable[T]]) -> T:
        """Run ``write`` and commit it. A lock held past the busy timeout (another process, a
        backup) is waited out, other store calls running in between: a write is never dropped
        because the database was busy for a while."""
        deadline = time.monotonic() + LOCK_WAIT
        pause = 0.1
        while True:
            async with self._writing:  # a rollback must never take another call's write with it
                try:
                    result = await write()
                    await self.db.commit()
                    return result
                except sqlite3.OperationalError as exc:
                    if not _is_busy(exc) or time.monotonic() >= deadline:
                        raise
                    await self.db.rollback()
            log.warning("database is locked; trying the write again in %.1f s", pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def _migrate(self) -> None:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(MIGRATIONS[version:], version + 1):
            await self.db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    # -- conversations ----------------------------------------------------------------------

    async def get_conversation(self, key: str) -> ConversationRecord | None:
        async with self.db.execute(
            "SELECT key, platform, chat_id, user_id, language, mode, session_id, task_id, draft, pictures, "
            "written_language, previews FROM conversations WHERE key = ?", (key,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return ConversationRecord(key=row[0], platform=row[1], chat_id=row[2], user_id=row[3], language=row[4],
                                  mode=row[5], session_id=row[6], task_id=row[7], draft=_loads(row[8]),
                                  pictures=None if row[9] is None else bool(row[9]), written_language=row[10],
                                  previews=None if row[11] is None else bool(row[11]))

    async def save_conversation(self, record: ConversationRecord, only: Collection[str] = ()) -> None:
        columns = updated_columns(only)
        await self._write(
            "INSERT INTO conversations (key, platform, chat_id, user_id, language, mode, session_id, task_id, "
            "draft, pictures, written_language, previews, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(key) "
            f"DO UPDATE SET {', '.join(f'{c}=excluded.{c}' for c in columns)}, updated_at=excluded.updated_at",
            (record.key, record.platform, record.chat_id, record.user_id, record.language, record.mode,
             record.session_id, record.task_id, _dumps(record.draft), record.pictures, record.written_language,
             record.previews, time.time()),
        )

    @asynccontextmanager
    async def conversation_lock(self, key: str) -> AsyncIterator[None]:
        """One job at a time per conversation: in this process (a SQLite file has one bot process)."""
        async with self._conversation_locks(key):
            yield

    async def add_job(self, conversation: str, owner: str, seconds: float,
                      payload: dict[str, Any] | None = None, order: int | None = None,
                      handled: Sequence[tuple[str, int]] = ()) -> int:
        now = time.time()

        async def write() -> int:
            cur = await self.db.execute(
                "INSERT INTO jobs (conversation, owner, alive_until, payload, seq, created_at) VALUES (?,?,?,?,?,?)",
                (conversation, owner, now + seconds, _dumps(payload), order, now))
            if handled:
                await self.db.executemany(DONE_UPDATE, handled)
            return int(cur.lastrowid or 0)

        return await self._committed(write)

    async def jobs_before(self, conversation: str, job_id: int) -> int:
        async with self.db.execute(
            "SELECT COUNT(*) FROM jobs j LEFT JOIN jobs me ON me.id = ? WHERE j.conversation = ? AND j.id <> ? "
            f"AND (j.alive_until >= ? OR j.payload IS NOT NULL) AND {JOB_BEFORE.format(job='?')}",
            (job_id, conversation, job_id, time.time(), job_id),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def save_job(self, job_id: int, stage: str, payload: dict[str, Any] | None) -> None:
        await self._write("UPDATE jobs SET stage = ?, payload = ? WHERE id = ?",
                          (stage, _dumps(payload), job_id))

    async def claim_jobs(self, owner: str, seconds: float, platforms: Collection[str],
                         limit: int = 100) -> list[JobRecord]:
        """One bot process per SQLite file: a job another process noted is an earlier run's, left
        unfinished when it stopped (a crash, a kill); this run takes it over."""
        if not platforms:
            return []
        wanted = ",".join("?" * len(platforms))
        rows = await self._write_returning(
            "UPDATE jobs SET owner = ?, alive_until = ? WHERE id IN (SELECT id FROM jobs WHERE owner <> ? "
            f"AND payload IS NOT NULL AND substr(conversation, 1, instr(conversation, ':') - 1) IN ({wanted}) "
            "ORDER BY id LIMIT ?) RETURNING id, conversation, owner, payload, seq, stage, created_at",
            (owner, time.time() + seconds, owner, *platforms, limit))
        return sorted((JobRecord(int(r[0]), r[1], r[2], _loads(r[3]), r[4], r[5], r[6]) for r in rows),
                      key=claim_order)

    async def end_job(self, job_id: int) -> None:
        await self._write("DELETE FROM jobs WHERE id = ?", (job_id,))

    async def keep_jobs_alive(self, owner: str, seconds: float) -> None:
        until = time.time() + seconds

        async def both() -> None:
            await self.db.execute("UPDATE jobs SET alive_until = ? WHERE owner = ?", (until, owner))
            await self.db.execute("UPDATE updates SET alive_until = ? WHERE owner = ? AND done = 0", (until, owner))

        await self._committed(both)

    async def note_update(self, platform: str, update_id: int, owner: str, seconds: float,
                          payload: dict[str, Any]) -> bool:
        now = time.time()
        cur = await self._write(
            "INSERT INTO updates (platform, update_id, owner, payload, received_at, alive_until) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (platform, update_id) DO NOTHING",
            (platform, update_id, owner, _dumps(payload), now, now + seconds))
        return cur.rowcount == 1

    async def done_update(self, platform: str, update_id: int) -> None:
        await self._write(DONE_UPDATE, (platform, update_id))

    async def claim_updates(self, owner: str, seconds: float, platforms: Collection[str],
                            limit: int = 100) -> list[UpdateRecord]:
        """One bot process per SQLite file: an update another process received and did not handle is an
        earlier run's (it stopped in between); this run takes it over."""
        if not platforms:
            return []
        wanted = ",".join("?" * len(platforms))
        rows = await self._write_returning(
            "UPDATE updates SET owner = ?, alive_until = ? WHERE rowid IN (SELECT rowid FROM updates WHERE done = 0 "
            f"AND owner <> ? AND platform IN ({wanted}) ORDER BY update_id LIMIT ?) "
            "RETURNING platform, update_id, payload, owner, received_at",
            (owner, time.time() + seconds, owner, *platforms, limit))
        return sorted((UpdateRecord(r[0], int(r[1]), _loads(r[2]) or {}, r[3], r[4]) for r in rows),
                      key=lambda u: u.update_id)

    async def prune_updates(self, older_than: float = UPDATES_KEPT) -> int:
        cur = await self._write("DELETE FROM updates WHERE done = 1 AND received_at < ?", (time.time() - older_than,))
        return cur.rowcount

    async def prune_records(self, older_than: float) -> int:
        cutoff = time.time() - older_than
        day = quota_day(cutoff)

        async def write() -> int:
            n = 0
            for sql, params in (
                ("DELETE FROM renders WHERE (delivered = 1 OR status IN ('failed', 'cancelled')) AND created_at < ?",
                 (cutoff,)),
                ("DELETE FROM uploads WHERE created_at < ?", (cutoff,)),
                ("DELETE FROM quotas WHERE day < ?", (day,)),
            ):
                cur = await self.db.execute(sql, params)
                n += max(cur.rowcount, 0)
            return n

        return await self._committed(write)

    async def use_quota(self, user: str, day: str, kind: str, amount: float, limit: float) -> float | None:
        async def write() -> float | None:
            async with self.db.execute("SELECT used FROM quotas WHERE user_key = ? AND day = ? AND kind = ?",
                                       (user, day, kind)) as cur:
                row = await cur.fetchone()
            used = float(row[0]) if row else 0.0
            if used + amount > limit:
                return None
            await self.db.execute(
                "INSERT INTO quotas (user_key, day, kind, used) VALUES (?,?,?,?) "
                "ON CONFLICT (user_key, day, kind) DO UPDATE SET used = used + excluded.used",
                (user, day, kind, amount))
            return used

        return await self._committed(write)

    async def quota_used(self, user: str, day: str, kind: str) -> float:
        async with self.db.execute("SELECT used FROM quotas WHERE user_key = ? AND day = ? AND kind = ?",
                                   (user, day, kind)) as cur:
            row = await cur.fetchone()
        return float(row[0]) if row else 0.0

    async def users_over_quota(self, day: str, limits: dict[str, float]) -> int:
        if not limits:
            return 0
        over = " OR ".join("(kind = ? AND used >= ?)" for _ in limits)
        params: list[Any] = [day]
        for kind, limit in limits.items():
            params += [kind, limit]
        async with self.db.execute(
                f"SELECT COUNT(DISTINCT user_key) FROM quotas WHERE day = ? AND ({over})", params) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def request_cancel(self, conversation: str, owner: str) -> None:
        """Nothing to tell: one bot process per SQLite file cancels its own jobs."""

    @asynccontextmanager
    async def cancel_requests(self, owner: str, callback: Callable[[str], None]) -> AsyncIterator[None]:
        yield

    # -- tokens -----------------------------------------------------------------------------

    async def get_token(self, scope: str) -> TokenRecord | None:
        async with self.db.execute(
            "SELECT scope, client_id, token, user_id, expires_at, own FROM tokens WHERE scope = ?", (scope,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        expires = datetime.fromisoformat(row[4]) if row[4] else None
        return TokenRecord(row[0], row[1], row[2], row[3], expires, bool(row[5]))

    async def save_token(self, record: TokenRecord) -> None:
        await self._write(
            "INSERT INTO tokens (scope, client_id, token, user_id, expires_at, own) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(scope) DO UPDATE SET client_id=excluded.client_id, token=excluded.token, "
            "user_id=excluded.user_id, expires_at=excluded.expires_at, own=excluded.own",
            (record.scope, record.client_id, record.token, record.user_id,
             record.expires_at.isoformat() if record.expires_at else None, int(record.own)),
        )

    async def stats(self) -> dict[str, int]:
        """Counts for the operator's /stats."""
        out: dict[str, int] = {}
        for name, sql in (
            ("conversations", "SELECT COUNT(*) FROM conversations"),
            ("uploads", "SELECT COUNT(*) FROM uploads"),
            ("renders", "SELECT COUNT(*) FROM renders"),
            ("renders_open", "SELECT COUNT(*) FROM renders WHERE delivered = 0"),
            ("own_tokens", "SELECT COUNT(*) FROM tokens WHERE own = 1"),
        ):
            async with self.db.execute(sql) as cur:
                row = await cur.fetchone()
            out[name] = int(row[0]) if row else 0
        return out

    # -- uploads ----------------------------------------------------------------------------

    async def add_upload(self, conversation: str, filename: str, url: str, size: int | None) -> None:
        await self._write(
            "INSERT INTO uploads (conversation, filename, url, size, created_at) VALUES (?,?,?,?,?)",
            (conversation, filename, url, size, time.time()),
        )

    async def uploads(self, conversation: str) -> list[tuple[str, str]]:
        async with self.db.execute(
            "SELECT filename, url FROM uploads WHERE conversation = ? ORDER BY id", (conversation,)
        ) as cur:
            return [(str(a), str(b)) for a, b in await cur.fetchall()]

    # -- renders ----------------------------------------------------------------------------

    _RENDER_COLUMNS = (
        "id, conversation, session_id, skill, target, status, progress, url, error, status_message, "
        "created_at, delivered, extra"
    )

    async def add_render(self, job: RenderJob) -> None:
        job.created_at = job.created_at or time.time()
        await self._write(
            f"INSERT INTO renders ({self._RENDER_COLUMNS}, lease_owner, lease_until) "
            f"VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (job.id, job.conversation, job.session_id, job.skill, _dumps(job.target), job.status, job.progress,
             job.url, job.error, _dumps(job.status_message), job.created_at, int(job.delivered), _dumps(job.extra),
             job.owner, job.lease_until),
        )

    async def update_render(self, job: RenderJob) -> None:
        await self._write(
            "UPDATE renders SET status=?, progress=?, url=?, error=?, status_message=?, extra=? WHERE id=?",
            (job.status, job.progress, job.url, job.error, _dumps(job.status_message), _dumps(job.extra), job.id),
        )

    async def get_render(self, render_id: str) -> RenderJob | None:
        async with self.db.execute(f"SELECT {self._RENDER_COLUMNS} FROM renders WHERE id = ?", (render_id,)) as cur:
            row = await cur.fetchone()
        return _render(row) if row else None

    async def open_renders(self) -> list[RenderJob]:
        async with self.db.execute(
            f"SELECT {self._RENDER_COLUMNS} FROM renders WHERE delivered = 0 ORDER BY created_at"
        ) as cur:
            return [_render(row) for row in await cur.fetchall()]

    async def claim_delivery(self, render_id: str) -> bool:
        cur = await self._write("UPDATE renders SET delivered = 1 WHERE id = ? AND delivered = 0", (render_id,))
        return cur.rowcount == 1


    async def lease_renders(self, owner: str, seconds: float, limit: int = 100) -> list[RenderJob]:
        """Every open render: a SQLite file has one bot process, so whatever is open is its own, whoever
        held it before (the same process before a restart)."""
        async with self._writing:
            async with self.db.execute(
                f"UPDATE renders SET lease_owner = ?, lease_until = ? WHERE id IN (SELECT id FROM renders "
                f"WHERE delivered = 0 ORDER BY created_at LIMIT ?) "
                f"RETURNING {self._RENDER_COLUMNS}", (owner, time.time() + seconds, limit),
            ) as cur:
                rows = await cur.fetchall()
            await self.db.commit()
        return sorted((_render(row) for row in rows), key=lambda job: job.created_at)

    async def renew_leases(self, owner: str, seconds: float) -> int:
        """Extend every lease ``owner`` holds on an open render; the count still held."""
        cur = await self._write("UPDATE renders SET lease_until = ? WHERE lease_owner = ? AND delivered = 0",
                                (time.time() + seconds, owner))
        return cur.rowcount


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _loads(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _render(row: Any) -> RenderJob:
    return RenderJob(
        id=row[0], conversation=row[1], session_id=row[2], skill=row[3], target=_loads(row[4]) or {},
        status=row[5], progress=row[6], url=row[7], error=row[8], status_message=_loads(row[9]),
        created_at=row[10], delivered=bool(row[11]), extra=_loads(row[12]) or {},
    )
