"""The PostgreSQL store (asyncpg), for several bot processes on one database.

Same ``Store`` protocol and the same schema history as ``core.store.sqlite``; JSON values are
``jsonb``. Migrations run under an advisory lock, so processes starting together migrate once.
What only a shared database needs: a lock per conversation that holds across processes
(``conversation_lock``, a row with a lease), queue positions counted over every process's jobs, a
/cancel passed on with NOTIFY, and render jobs claimed with a lease
(``lease_renders``: ``FOR UPDATE SKIP LOCKED``, renewed by ``renew_leases``), so that a process that
dies has its renders taken over by another.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg

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

MIGRATION_LOCK = 0x6E656D6F  # "nemo": the advisory lock key held while migrating
CANCEL_CHANNEL = "nemobot_cancel"  # NOTIFY channel: a conversation's /cancel, for every process
POOL_SIZE = 10
DONE_UPDATE = "UPDATE updates SET done = TRUE WHERE platform = $1 AND update_id = $2"
LOCK_LEASE = 30.0  # a conversation lock whose holder stopped renewing it (the process died) lapses after this

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE conversations (
        key TEXT PRIMARY KEY, platform TEXT NOT NULL, chat_id TEXT NOT NULL, user_id TEXT NOT NULL,
        language TEXT, mode TEXT, session_id TEXT, task_id TEXT, draft JSONB,
        updated_at DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE tokens (
        scope TEXT PRIMARY KEY, client_id TEXT NOT NULL, token TEXT, user_id TEXT, expires_at TIMESTAMPTZ
    );
    CREATE TABLE uploads (
        id BIGSERIAL PRIMARY KEY, conversation TEXT NOT NULL, filename TEXT NOT NULL,
        url TEXT NOT NULL, size BIGINT, created_at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX uploads_by_conversation ON uploads (conversation);
    CREATE TABLE renders (
        id TEXT PRIMARY KEY, conversation TEXT NOT NULL, session_id TEXT NOT NULL, skill TEXT NOT NULL,
        target JSONB NOT NULL, status TEXT NOT NULL, progress DOUBLE PRECISION NOT NULL DEFAULT 0, url TEXT,
        error TEXT NOT NULL DEFAULT '', status_message JSONB, created_at DOUBLE PRECISION NOT NULL,
        delivered BOOLEAN NOT NULL DEFAULT FALSE, extra JSONB NOT NULL DEFAULT '{}'
    );
    CREATE INDEX renders_open ON renders (delivered);
    """,
    # 2: users may bring their own NEMO token
    "ALTER TABLE tokens ADD COLUMN own BOOLEAN NOT NULL DEFAULT FALSE",
    # 3: render jobs are claimed with a lease by one process at a time
    "ALTER TABLE renders ADD COLUMN lease_owner TEXT, ADD COLUMN lease_until DOUBLE PRECISION NOT NULL DEFAULT 0",
    # 4: the jobs each conversation has running or waiting, in every process (queue positions), and the
    # lock that lets one of them run at a time
    """
    CREATE TABLE conversation_locks (
        conversation TEXT PRIMARY KEY, holder TEXT NOT NULL, until DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE jobs (
        id BIGSERIAL PRIMARY KEY, conversation TEXT NOT NULL, owner TEXT NOT NULL,
        alive_until DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX jobs_by_conversation ON jobs (conversation);
    """,
    # 5: a conversation may ask for the timeline drawn after each edit (/pictures on|off)
    "ALTER TABLE conversations ADD COLUMN pictures BOOLEAN",
    # 6: the language the user last wrote in, for the messages without words that follow
    "ALTER TABLE conversations ADD COLUMN written_language TEXT",
    # 7: a job keeps what runs it again after its process died (payload), how far it got, and its place in
    # the surface's own order of updates
    ("ALTER TABLE jobs ADD COLUMN payload JSONB, ADD COLUMN seq BIGINT, ADD COLUMN stage TEXT NOT NULL DEFAULT '', "
     "ADD COLUMN created_at DOUBLE PRECISION NOT NULL DEFAULT 0"),
    # 8: the updates received (a webhook's), kept from before they are acknowledged until handled
    """
    CREATE TABLE updates (
        platform TEXT NOT NULL, update_id BIGINT NOT NULL, owner TEXT NOT NULL, payload JSONB NOT NULL,
        received_at DOUBLE PRECISION NOT NULL, alive_until DOUBLE PRECISION NOT NULL,
        done BOOLEAN NOT NULL DEFAULT FALSE, PRIMARY KEY (platform, update_id)
    );
    CREATE INDEX updates_open ON updates (done, alive_until);
    """,
    # 9: what each user used of a day's quota (render seconds, uploads) on the built-in engine
    """
    CREATE TABLE quotas (
        user_key TEXT NOT NULL, day TEXT NOT NULL, kind TEXT NOT NULL, used DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (user_key, day, kind)
    );
    CREATE INDEX uploads_by_age ON uploads (created_at);
    """,
    # 10: a conversation may ask for a preview after each edit that changes the picture (/preview on|off)
    "ALTER TABLE conversations ADD COLUMN previews BOOLEAN",
)

_RENDER_COLUMNS = (
    "id, conversation, session_id, skill, target, status, progress, url, error, status_message, "
    "created_at, delivered, extra"
)


class PostgresStore:
    """``Store`` on a PostgreSQL database given by its URL (``postgresql://user@host/db``)."""

    several_processes = True

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE, lock_lease: float = LOCK_LEASE) -> None:
        self.url = url
        self.pool_size = pool_size
        self.lock_lease = lock_lease
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("store is not open")
        return self._pool

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=self.pool_size, init=_codecs)
        await self._migrate()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _migrate(self) -> None:
        async with self.pool.acquire() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            version = await db.fetchval("SELECT version FROM schema_version")
            if version is None:
                await db.execute("INSERT INTO schema_version VALUES (0)")
                version = 0
            for number, script in enumerate(MIGRATIONS[version:], version + 1):
                await db.execute(script)
                await db.execute("UPDATE schema_version SET version = $1", number)

    async def schema_version(self) -> int:
        return int(await self.pool.fetchval("SELECT version FROM schema_version") or 0)

    # -- conversations ----------------------------------------------------------------------

    async def get_conversation(self, key: str) -> ConversationRecord | None:
        row = await self.pool.fetchrow(
            "SELECT key, platform, chat_id, user_id, language, mode, session_id, task_id, draft, pictures, "
            "written_language, previews FROM conversations WHERE key = $1", key,
        )
        return None if row is None else ConversationRecord(*row)

    async def save_conversation(self, record: ConversationRecord, only: Collection[str] = ()) -> None:
        columns = updated_columns(only)
        await self.pool.execute(
            "INSERT INTO conversations (key, platform, chat_id, user_id, language, mode, session_id, task_id, "
            "draft, pictures, written_language, previews, updated_at) "
            "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) "
            f"ON CONFLICT (key) DO UPDATE SET {', '.join(f'{c}=excluded.{c}' for c in columns)}, "
            "updated_at=excluded.updated_at",
            record.key, record.platform, record.chat_id, record.user_id, record.language, record.mode,
            record.session_id, record.task_id, record.draft, record.pictures, record.written_language,
            record.previews, time.time(),
        )

    @asynccontextmanager
    async def conversation_lock(self, key: str) -> AsyncIterator[None]:
        """Held by one process at a time for ``key``: one job at a time per conversation, wherever its
        updates land. A row with a lease, renewed while held, so no connection is held for the length
        of a job (a pool would run dry) and a process that dies lets go when its lease lapses."""
        holder = uuid.uuid4().hex
        pause = 0.02
        while not await self.pool.fetchval(
            "INSERT INTO conversation_locks (conversation, holder, until) VALUES ($1, $2, $3) "
            "ON CONFLICT (conversation) DO UPDATE SET holder = excluded.holder, until = excluded.until "
            "WHERE conversation_locks.until < $4 RETURNING 1",
            key, holder, time.time() + self.lock_lease, time.time(),
        ):
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lock_lease / 3)
                await self.pool.execute("UPDATE conversation_locks SET until = $1 WHERE conversation = $2 "
                                        "AND holder = $3", time.time() + self.lock_lease, key, holder)

        renewing = asyncio.create_task(renew(), name=f"lock:{key}")
        try:
            yield
        finally:
            renewing.cancel()
            await self.pool.execute("DELETE FROM conversation_locks WHERE conversation = $1 AND holder = $2",
                                    key, holder)

    async def add_job(self, conversation: str, owner: str, seconds: float,
                      payload: dict[str, Any] | None = None, order: int | None = None,
                      handled: Sequence[tuple[str, int]] = ()) -> int:
        now = time.time()
        async with self.pool.acquire() as db, db.transaction():
            job_id = await db.fetchval(
                "INSERT INTO jobs (conversation, owner, alive_until, payload, seq, created_at) "
                "VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
                conversation, owner, now + seconds, payload, order, now,
            )
            if handled:
                await db.executemany(DONE_UPDATE, handled)
        return int(job_id)

    async def jobs_before(self, conversation: str, job_id: int) -> int:
        return int(await self.pool.fetchval(
            "SELECT COUNT(*) FROM jobs j LEFT JOIN jobs me ON me.id = $1 WHERE j.conversation = $2 AND j.id <> $1 "
            f"AND (j.alive_until >= $3 OR j.payload IS NOT NULL) AND {JOB_BEFORE.format(job='$1')}",
            job_id, conversation, time.time(),
        ))

    async def save_job(self, job_id: int, stage: str, payload: dict[str, Any] | None) -> None:
        await self.pool.execute("UPDATE jobs SET stage = $1, payload = $2 WHERE id = $3", stage, payload, job_id)

    async def claim_jobs(self, owner: str, seconds: float, platforms: Collection[str],
                         limit: int = 100) -> list[JobRecord]:
        """Jobs whose process stopped renewing them; several processes may claim at once, and the row
        lock (skipped by the others) with the lapse checked again in the update gives each to one."""
        now = time.time()
        rows = await self.pool.fetch(
            "UPDATE jobs SET owner = $1, alive_until = $2 WHERE id IN (SELECT id FROM jobs WHERE alive_until < $3 "
            "AND payload IS NOT NULL AND split_part(conversation, ':', 1) = ANY($5::text[]) ORDER BY id LIMIT $4 "
            "FOR UPDATE SKIP LOCKED) AND alive_until < $3 "
            "RETURNING id, conversation, owner, payload, seq, stage, created_at",
            owner, now + seconds, now, limit, list(platforms),
        )
        return sorted((JobRecord(*row) for row in rows), key=claim_order)

    async def end_job(self, job_id: int) -> None:
        await self.pool.execute("DELETE FROM jobs WHERE id = $1", job_id)

    async def keep_jobs_alive(self, owner: str, seconds: float) -> None:
        until = time.time() + seconds
        async with self.pool.acquire() as db, db.transaction():
            await db.execute("UPDATE jobs SET alive_until = $1 WHERE owner = $2", until, owner)
            await db.execute("UPDATE updates SET alive_until = $1 WHERE owner = $2 AND NOT done", until, owner)

    async def note_update(self, platform: str, update_id: int, owner: str, seconds: float,
                          payload: dict[str, Any]) -> bool:
        now = time.time()
        return bool(await self.pool.fetchval(
            "INSERT INTO updates (platform, update_id, owner, payload, received_at, alive_until) "
            "VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (platform, update_id) DO NOTHING RETURNING 1",
            platform, update_id, owner, payload, now, now + seconds,
        ))

    async def done_update(self, platform: str, update_id: int) -> None:
        await self.pool.execute(DONE_UPDATE, platform, update_id)

    async def claim_updates(self, owner: str, seconds: float, platforms: Collection[str],
                            limit: int = 100) -> list[UpdateRecord]:
        """Updates not handled whose process stopped renewing them; as ``claim_jobs``, each to one caller."""
        now = time.time()
        rows = await self.pool.fetch(
            "UPDATE updates SET owner = $1, alive_until = $2 WHERE (platform, update_id) IN (SELECT platform, "
            "update_id FROM updates WHERE NOT done AND alive_until < $3 AND platform = ANY($5::text[]) "
            "ORDER BY update_id LIMIT $4 FOR UPDATE SKIP LOCKED) AND NOT done AND alive_until < $3 "
            "RETURNING platform, update_id, payload, owner, received_at",
            owner, now + seconds, now, limit, list(platforms),
        )
        return sorted((UpdateRecord(*row) for row in rows), key=lambda u: u.update_id)

    async def prune_updates(self, older_than: float = UPDATES_KEPT) -> int:
        status = await self.pool.execute("DELETE FROM updates WHERE done AND received_at < $1",
                                         time.time() - older_than)
        return int(status.split()[-1])

    async def prune_records(self, older_than: float) -> int:
        cutoff = time.time() - older_than
        n = 0
        async with self.pool.acquire() as db, db.transaction():
            for sql, arg in (
                ("DELETE FROM renders WHERE (delivered OR status IN ('failed', 'cancelled')) AND created_at < $1",
                 cutoff),
                ("DELETE FROM uploads WHERE created_at < $1", cutoff),
                ("DELETE FROM quotas WHERE day < $1", quota_day(cutoff)),
            ):
                n += int((await db.execute(sql, arg)).split()[-1])
        return n

    async def use_quota(self, user: str, day: str, kind: str, amount: float, limit: float) -> float | None:
        async with self.pool.acquire() as db, db.transaction():
            # the row exists and is locked before it is read: two processes take turns, never both the last of it
            await db.execute("INSERT INTO quotas (user_key, day, kind, used) VALUES ($1,$2,$3,0) "
                             "ON CONFLICT DO NOTHING", user, day, kind)
            used = float(await db.fetchval("SELECT used FROM quotas WHERE user_key = $1 AND day = $2 AND kind = $3 "
                                           "FOR UPDATE", user, day, kind))
            if used + amount > limit:
                return None
            await db.execute("UPDATE quotas SET used = used + $4 WHERE user_key = $1 AND day = $2 AND kind = $3",
                             user, day, kind, amount)
            return used

    async def quota_used(self, user: str, day: str, kind: str) -> float:
        value = await self.pool.fetchval("SELECT used FROM quotas WHERE user_key = $1 AND day = $2 AND kind = $3",
                                         user, day, kind)
        return float(value or 0.0)

    async def users_over_quota(self, day: str, limits: dict[str, float]) -> int:
        if not limits:
            return 0
        kinds, amounts = list(limits), [float(v) for v in limits.values()]
        value = await self.pool.fetchval(
            "SELECT COUNT(DISTINCT q.user_key) FROM quotas q JOIN unnest($2::text[], $3::float8[]) AS l(kind, amount) "
            "ON q.kind = l.kind WHERE q.day = $1 AND q.used >= l.amount", day, kinds, amounts)
        return int(value or 0)

    async def request_cancel(self, conversation: str, owner: str) -> None:
        await self.pool.execute("SELECT pg_notify($1, $2)", CANCEL_CHANNEL, _dumps([owner, conversation]))

    @asynccontextmanager
    async def cancel_requests(self, owner: str, callback: Callable[[str], None]) -> AsyncIterator[None]:
        """``callback(conversation)`` for every /cancel another process takes, while this is entered."""
        db = await asyncpg.connect(self.url)

        def listener(_db: object, _pid: int, _channel: str, payload: str) -> None:
            sender, conversation = json.loads(payload)
            if sender != owner:
                callback(conversation)

        await db.add_listener(CANCEL_CHANNEL, listener)
        try:
            yield
        finally:
            await db.close()

    # -- tokens -----------------------------------------------------------------------------

    async def get_token(self, scope: str) -> TokenRecord | None:
        row = await self.pool.fetchrow(
            "SELECT scope, client_id, token, user_id, expires_at, own FROM tokens WHERE scope = $1", scope
        )
        return None if row is None else TokenRecord(*row)

    async def save_token(self, record: TokenRecord) -> None:
        await self.pool.execute(
            "INSERT INTO tokens (scope, client_id, token, user_id, expires_at, own) VALUES ($1,$2,$3,$4,$5,$6) "
            "ON CONFLICT (scope) DO UPDATE SET client_id=excluded.client_id, token=excluded.token, "
            "user_id=excluded.user_id, expires_at=excluded.expires_at, own=excluded.own",
            record.scope, record.client_id, record.token, record.user_id, _aware(record.expires_at), record.own,
        )

    async def stats(self) -> dict[str, int]:
        """Counts for the operator's /stats."""
        row = await self.pool.fetchrow(
            "SELECT (SELECT COUNT(*) FROM conversations), (SELECT COUNT(*) FROM uploads), "
            "(SELECT COUNT(*) FROM renders), (SELECT COUNT(*) FROM renders WHERE NOT delivered), "
            "(SELECT COUNT(*) FROM tokens WHERE own)"
        )
        names = ("conversations", "uploads", "renders", "renders_open", "own_tokens")
        return {name: int(value) for name, value in zip(names, row or (0,) * len(names))}

    # -- uploads ----------------------------------------------------------------------------

    async def add_upload(self, conversation: str, filename: str, url: str, size: int | None) -> None:
        await self.pool.execute(
            "INSERT INTO uploads (conversation, filename, url, size, created_at) VALUES ($1,$2,$3,$4,$5)",
            conversation, filename, url, size, time.time(),
        )

    async def uploads(self, conversation: str) -> list[tuple[str, str]]:
        rows = await self.pool.fetch(
            "SELECT filename, url FROM uploads WHERE conversation = $1 ORDER BY id", conversation
        )
        return [(str(a), str(b)) for a, b in rows]

    # -- renders ----------------------------------------------------------------------------

    async def add_render(self, job: RenderJob) -> None:
        job.created_at = job.created_at or time.time()
        await self.pool.execute(
            f"INSERT INTO renders ({_RENDER_COLUMNS}, lease_owner, lease_until) "
            f"VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)",
            job.id, job.conversation, job.session_id, job.skill, job.target, job.status, job.progress,
            job.url, job.error, job.status_message, job.created_at, job.delivered, job.extra,
            job.owner, job.lease_until,
        )

    async def update_render(self, job: RenderJob) -> None:
        await self.pool.execute(
            "UPDATE renders SET status=$1, progress=$2, url=$3, error=$4, status_message=$5, extra=$6 WHERE id=$7",
            job.status, job.progress, job.url, job.error, job.status_message, job.extra, job.id,
        )

    async def get_render(self, render_id: str) -> RenderJob | None:
        row = await self.pool.fetchrow(f"SELECT {_RENDER_COLUMNS} FROM renders WHERE id = $1", render_id)
        return None if row is None else _render(row)

    async def open_renders(self) -> list[RenderJob]:
        rows = await self.pool.fetch(
            f"SELECT {_RENDER_COLUMNS} FROM renders WHERE NOT delivered ORDER BY created_at"
        )
        return [_render(row) for row in rows]

    async def claim_delivery(self, render_id: str) -> bool:
        status = await self.pool.execute(
            "UPDATE renders SET delivered = TRUE WHERE id = $1 AND NOT delivered", render_id
        )
        return status == "UPDATE 1"

    async def lease_renders(self, owner: str, seconds: float, limit: int = 100) -> list[RenderJob]:
        """Claim open renders that nobody holds (or whose holder stopped renewing) for ``seconds``.
        Several processes may call this at once: each render goes to one of them."""
        now = time.time()
        rows = await self.pool.fetch(
            f"UPDATE renders SET lease_owner = $1, lease_until = $2 WHERE id IN ("
            f"SELECT id FROM renders WHERE NOT delivered AND (lease_until < $3 OR lease_owner = $1) "
            f"ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING {_RENDER_COLUMNS}",
            owner, now + seconds, now, limit,
        )
        return sorted((_render(row) for row in rows), key=lambda job: job.created_at)

    async def renew_leases(self, owner: str, seconds: float) -> int:
        """Extend every lease ``owner`` holds on an open render; the count still held."""
        status = await self.pool.execute(
            "UPDATE renders SET lease_until = $1 WHERE lease_owner = $2 AND NOT delivered",
            time.time() + seconds, owner,
        )
        return int(status.split()[-1])


async def _codecs(db: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await db.set_type_codec(name, schema="pg_catalog", encoder=_dumps, decoder=json.loads)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _aware(value: datetime | None) -> datetime | None:
    """asyncpg stores an aware datetime in a ``timestamptz``; a naive one is taken as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _render(row: Any) -> RenderJob:
    return RenderJob(
        id=row[0], conversation=row[1], session_id=row[2], skill=row[3], target=row[4] or {},
        status=row[5], progress=row[6], url=row[7], error=row[8], status_message=row[9],
        created_at=row[10], delivered=row[11], extra=row[12] or {},
    )
