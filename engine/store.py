"""The engine's own records (tokens, sessions' tasks, files, renders, credits, undo history).

In SQLite (``engine.db`` in the data dir) for one process, or on PostgreSQL (``database_url``) shared by
every engine instance; ADK keeps the sessions' state and events beside it (engine/sessions.py).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .database import BUSY_TIMEOUT_S, Database, Row, open_database

__all__ = ["BUSY_TIMEOUT_S", "FileRecord", "RenderRecord", "Store", "Task", "Token"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
  token TEXT PRIMARY KEY, user_id TEXT NOT NULL, client_id TEXT, expires_at REAL NOT NULL,
  created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS tokens_client ON tokens(client_id);
CREATE TABLE IF NOT EXISTS tasks (
  session_id TEXT PRIMARY KEY, task_id TEXT NOT NULL, task_name TEXT, language TEXT, user_id TEXT NOT NULL,
  created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS files (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, session_id TEXT NOT NULL, filename TEXT NOT NULL,
  file_type TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, hash TEXT NOT NULL, info TEXT NOT NULL,
  created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS renders (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, session_id TEXT NOT NULL, status TEXT NOT NULL,
  progress REAL NOT NULL DEFAULT 0, draft TEXT NOT NULL, output TEXT NOT NULL, error TEXT,
  out_path TEXT, duration REAL, size INTEGER, attempts INTEGER NOT NULL DEFAULT 0,
  created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS credits (
  user_id TEXT PRIMARY KEY, available INTEGER NOT NULL, frozen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS history (
  session_id TEXT NOT NULL, seq INTEGER NOT NULL, draft TEXT NOT NULL, PRIMARY KEY (session_id, seq));
CREATE TABLE IF NOT EXISTS removed (
  ref TEXT PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL, removed REAL NOT NULL);
"""


@dataclass
class Token:
    token: str
    user_id: str
    client_id: str | None
    expires_at: float


@dataclass
class Task:
    session_id: str
    task_id: str
    task_name: str
    language: str
    user_id: str


@dataclass
class FileRecord:
    id: str
    user_id: str
    session_id: str
    filename: str
    file_type: str
    path: Path
    size: int
    hash: str
    info: dict[str, Any]
    created: float = 0.0


@dataclass
class RenderRecord:
    id: str
    user_id: str
    session_id: str
    status: str
    progress: float
    draft: dict[str, Any]
    output: dict[str, Any]
    error: str | None
    out_path: str | None
    duration: float | None
    size: int | None
    attempts: int
    created: float
    updated: float


class Store:
    """Async access to the engine's records: ``engine.db`` at ``path``, or PostgreSQL at ``url``."""

    def __init__(self, path: Path, url: str | None = None) -> None:
        self.path = path
        self.db: Database = open_database(path, url)

    async def open(self) -> None:
        await self.db.open(SCHEMA)

    async def close(self) -> None:
        await self.db.close()

    # tokens
    async def token_for_client(self, client_id: str, now: float) -> Token | None:
        row = await self.db.fetchone(
            "SELECT * FROM tokens WHERE client_id=? AND expires_at>? ORDER BY expires_at DESC LIMIT 1",
            client_id,
            now,
        )
        return Token(row["token"], row["user_id"], row["client_id"], row["expires_at"]) if row else None

    async def create_token(self, client_id: str, ttl: float) -> Token:
        now = time.time()
        tok = Token(
            "nmv_usr_" + secrets.token_urlsafe(24), "anon_" + secrets.token_hex(8), client_id, now + ttl
        )
        await self.db.execute(
            "INSERT INTO tokens VALUES (?,?,?,?,?)", tok.token, tok.user_id, tok.client_id, tok.expires_at, now
        )
        return tok

    async def get_token(self, token: str) -> Token | None:
        row = await self.db.fetchone("SELECT * FROM tokens WHERE token=?", token)
        return Token(row["token"], row["user_id"], row["client_id"], row["expires_at"]) if row else None

    # tasks (one per session)
    async def add_task(self, task: Task) -> None:
        await self.db.execute(
            "INSERT INTO tasks VALUES (?,?,?,?,?,?)",
            task.session_id, task.task_id, task.task_name, task.language, task.user_id, time.time(),
        )

    async def get_task(self, session_id: str) -> Task | None:
        row = await self.db.fetchone("SELECT * FROM tasks WHERE session_id=?", session_id)
        if not row:
            return None
        return Task(
            row["session_id"], row["task_id"], row["task_name"] or "", row["language"] or "en", row["user_id"]
        )

    # files
    async def add_file(self, rec: FileRecord) -> None:
        await self.db.execute(
            "INSERT INTO files (id, user_id, session_id, filename, file_type, path, size, hash, info, created)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            rec.id,
            rec.user_id,
            rec.session_id,
            rec.filename,
            rec.file_type,
            str(rec.path),
            rec.size,
            rec.hash,
            json.dumps(rec.info),
            time.time(),
        )

    async def get_file(self, file_id: str) -> FileRecord | None:
        row = await self.db.fetchone("SELECT * FROM files WHERE id=?", file_id)
        return self._file(row) if row else None

    async def files_of_session(self, session_id: str) -> list[FileRecord]:
        rows = await self.db.fetchall(
            f"SELECT * FROM files WHERE session_id=? ORDER BY created, {self.db.insertion_order}", session_id
        )
        return [self._file(r) for r in rows]

    @staticmethod
    def _file(row: Row) -> FileRecord:
        return FileRecord(
            row["id"],
            row["user_id"],
            row["session_id"],
            row["filename"],
            row["file_type"],
            Path(row["path"]),
            row["size"],
            row["hash"],
            json.loads(row["info"]),
            row["created"],
        )

    async def all_files(self) -> list[FileRecord]:
        """Every upload not removed by the pruner, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM files WHERE id NOT IN (SELECT ref FROM removed) "
            f"ORDER BY created, {self.db.insertion_order}"
        )
        return [self._file(r) for r in rows]

    # what the pruner removed (engine/retention.py): uploads by file id, renders by render id
    async def mark_removed(self, kind: str, ref: str, path: Path) -> None:
        await self.db.execute(
            "INSERT INTO removed VALUES (?,?,?,?) ON CONFLICT (ref) DO NOTHING", ref, kind, str(path), time.time()
        )

    async def removed_of(self, refs: list[str]) -> set[str]:
        """Those of ``refs`` (file or render ids) whose file the pruner removed."""
        if not refs:
            return set()
        marks = ",".join("?" * len(refs))
        rows = await self.db.fetchall(f"SELECT ref FROM removed WHERE ref IN ({marks})", *refs)
        return {str(r["ref"]) for r in rows}

    # renders
    async def add_render(self, rec: RenderRecord) -> None:
        await self.db.execute(
            "INSERT INTO renders VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rec.id,
            rec.user_id,
            rec.session_id,
            rec.status,
            rec.progress,
            json.dumps(rec.draft),
            json.dumps(rec.output),
            rec.error,
            rec.out_path,
            rec.duration,
            rec.size,
            rec.attempts,
            rec.created,
            rec.updated,
        )

    async def update_render(self, render_id: str, **fields: Any) -> None:
        if not fields:
            return
        fields["updated"] = time.time()
        cols = ", ".join(f"{k}=?" for k in fields)
        values = [json.dumps(v) if k in ("draft", "output") else v for k, v in fields.items()]
        await self.db.execute(f"UPDATE renders SET {cols} WHERE id=?", *values, render_id)

    async def start_render(self, render_id: str, attempts: int) -> bool:
        """Mark a pending render as processing; False when it is no longer pending (cancelled since it
        was read), so a cancel that lands between the read and the start is kept, not overwritten."""
        changed = await self.db.execute(
            "UPDATE renders SET status='processing', progress=0, attempts=?, updated=? WHERE id=? AND status='pending'",
            attempts,
            time.time(),
            render_id,
        )
        return changed == 1

    async def requeue_render(self, render_id: str, attempts: int) -> bool:
        """Put a render whose worker stopped back to "pending", unless someone else already did (its
        attempts moved) or it ended; True if this call did."""
        changed = await self.db.execute(
            "UPDATE renders SET status='pending', progress=0, updated=? "
            "WHERE id=? AND attempts=? AND status IN ('pending', 'processing')",
            time.time(),
            render_id,
            attempts,
        )
        return changed == 1

    async def get_render(self, render_id: str) -> RenderRecord | None:
        row = await self.db.fetchone("SELECT * FROM renders WHERE id=?", render_id)
        return self._render(row) if row else None

    async def renders_with_status(self, *statuses: str) -> list[RenderRecord]:
        marks = ",".join("?" * len(statuses))
        rows = await self.db.fetchall(
            f"SELECT * FROM renders WHERE status IN ({marks}) ORDER BY created", *statuses
        )
        return [self._render(r) for r in rows]

    async def renders_waiting_of(self, user_id: str, but: str) -> int:
        """How many of the user's renders other than ``but`` are queued or running."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n FROM renders WHERE user_id=? AND id<>? AND status IN ('pending', 'processing')",
            user_id,
            but,
        )
        return int(row["n"]) if row else 0

    async def render_counts(self, since: float) -> tuple[int, int, int]:
        """Renders queued, running, and finished (completed) since ``since`` (for the operator's view)."""
        row = await self.db.fetchone(
            "SELECT SUM(CASE WHEN status='pending' THEN 1 ELSE 0 END) AS queued, "
            "SUM(CASE WHEN status='processing' THEN 1 ELSE 0 END) AS running, "
            "SUM(CASE WHEN status='completed' AND updated>=? THEN 1 ELSE 0 END) AS finished FROM renders",
            since,
        )
        return (int(row["queued"] or 0), int(row["running"] or 0), int(row["finished"] or 0)) if row else (0, 0, 0)

    @staticmethod
    def _render(row: Row) -> RenderRecord:
        return RenderRecord(
            row["id"],
            row["user_id"],
            row["session_id"],
            row["status"],
            row["progress"],
            json.loads(row["draft"]),
            json.loads(row["output"]),
            row["error"],
            row["out_path"],
            row["duration"],
            row["size"],
            row["attempts"],
            row["created"],
            row["updated"],
        )

    # credits
    async def balance(self, user_id: str, initial: int) -> tuple[int, int]:
        row = await self.db.fetchone("SELECT available, frozen FROM credits WHERE user_id=?", user_id)
        if row is None:
            await self.db.execute(
                "INSERT INTO credits VALUES (?,?,0) ON CONFLICT (user_id) DO NOTHING", user_id, initial
            )
            return initial, 0
        return int(row["available"]), int(row["frozen"])

    async def charge(self, user_id: str, amount: int, initial: int) -> bool:
        """Take ``amount`` credits if there are enough; False otherwise."""
        await self.balance(user_id, initial)
        changed = await self.db.execute(
            "UPDATE credits SET available=available-? WHERE user_id=? AND available>=?", amount, user_id, amount
        )
        return changed == 1

    async def refund(self, user_id: str, amount: int) -> None:
        await self.db.execute("UPDATE credits SET available=available+? WHERE user_id=?", amount, user_id)

    # undo history
    async def push_history(self, session_id: str, draft: dict[str, Any], depth: int) -> None:
        row = await self.db.fetchone("SELECT COALESCE(MAX(seq), 0) AS top FROM history WHERE session_id=?", session_id)
        top = int(row["top"]) if row else 0
        await self.db.execute("INSERT INTO history VALUES (?,?,?)", session_id, top + 1, json.dumps(draft))
        await self.db.execute("DELETE FROM history WHERE session_id=? AND seq<=?", session_id, top + 1 - depth)

    async def pop_history(self, session_id: str, steps: int = 1) -> dict[str, Any] | None:
        """Remove the last ``steps`` entries and return the oldest of them (the draft to go back to)."""
        rows = await self.db.fetchall(
            "SELECT seq, draft FROM history WHERE session_id=? ORDER BY seq DESC LIMIT ?", session_id, steps
        )
        if not rows:
            return None
        await self.db.execute("DELETE FROM history WHERE session_id=? AND seq>=?", session_id, rows[-1]["seq"])
        return json.loads(rows[-1]["draft"])
