"""Retention and a disk budget: the pruner that keeps the data dir from only growing.

Every ``prune_interval_minutes`` (and at start) one pruner across all instances on the data dir (a
PostgreSQL advisory lock with ``database_url``, else an fcntl lock on ``<data_dir>/pruner.lock``):

1. removes uploads (``media/``), finished renders and covers (``renders/``), cached analyses
   (``analysis/``) and leftovers (``tmp/``, orphans in ``renders/``) older than ``retention_hours``
   (default: ``link_ttl_hours``, the life of a link handed out for them);
2. then, while the data dir's files take more than ``disk_budget_gb`` (default: half the size of its
   filesystem), removes the oldest remaining ones.

Neither step touches what is still needed: the footage (and the earlier render, for "a smaller
version") of a queued or running render, and the footage of a session's current draft when that session
was touched within the retention time. An upload's analyses go with it. Removed uploads and renders are
recorded (``Store.mark_removed``): their links answer 410 Gone, and an edit or export of a draft whose
footage is gone answers, in the session's language, that it expired and to send the file again; the
same file sent again takes its place in the draft (same SHA-256), so the edits are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.memory import give_back
from core.nemo.models import FROM_RENDER

from . import draft as dr
from .effects import referenced_files
from .settings import EngineSettings
from .store import FileRecord, Store

log = logging.getLogger(__name__)

PRUNE_LOCK = 0x6E656D71  # PostgreSQL advisory lock: one pruner at a time among the instances
LOCK_FILE = "pruner.lock"  # without PostgreSQL: an fcntl lock on this file in the data dir
LEFTOVER_GRACE_S = 3600.0  # a tmp file or an unrecorded render this young may be an upload or render under way
DEFAULT_BUDGET_SHARE = 0.5  # of the data dir's filesystem, when disk_budget_gb is not set
ACTIVE = ("pending", "processing")

# (user id, session id) -> (the session's current draft, when the session last changed), None if gone
DraftLookup = Callable[[str, str], Awaitable[tuple[dict[str, Any] | None, float] | None]]


def footage_expired_text(lang: str) -> str:
    """What an edit or export of a draft whose footage the pruner removed answers."""
    if lang[:2] == "zh":
        return "这段视频的素材已过期并被删除，请重新发送视频文件。"
    return "The footage of this video has expired and was removed: please send the file again."


async def expired_footage(store: Store, draft: Any) -> list[str]:
    """The ids of the draft's uploads that the pruner removed."""
    if not isinstance(draft, dict) or not draft.get("t"):
        return []
    ids = referenced_files(draft)
    gone = await store.removed_of(ids)
    return [i for i in ids if i in gone]


async def replace_expired(
    store: Store, draft: dict[str, Any], infos: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``draft`` with each removed upload replaced by the same file sent again (same hash) in ``infos``,
    and the infos left to append. Removed uploads not sent again leave the draft."""
    gone = await expired_footage(store, draft)
    if not gone:
        return draft, infos
    d = dr.clone(draft)
    new_of: dict[str, str] = {}
    left = list(infos)
    for fid in gone:
        rec = await store.get_file(fid)
        same = next((i for i in left if rec is not None and i.get("hash") == rec.hash), None)
        if same is not None:
            new_of[fid] = str(same["id"])
            left.remove(same)
    for tr in d["t"]:
        kept = []
        for seg in tr["sg"]:
            src = seg["m"].get("src")
            if src in new_of:
                seg["m"]["src"] = new_of[src]
            elif src in gone:
                continue
            kept.append(seg)
        tr["sg"] = kept
    wm = d.get("fx", {}).get("wm") if isinstance(d.get("fx"), dict) else None
    if isinstance(wm, dict) and wm.get("src") in gone:
        if wm["src"] in new_of:
            wm["src"] = new_of[wm["src"]]
        else:
            d["fx"].pop("wm", None)
    return dr.relayout(d), left


@dataclass
class Pruned:
    """What one run removed."""

    files: int = 0
    bytes: int = 0
    paths: list[Path] = field(default_factory=list)


@dataclass
class _Item:
    """A removable file (or a render's leftover work directory)."""

    path: Path
    size: int
    when: float  # made (uploads) or finished (renders) or last written (the rest)
    kind: str  # upload | render | analysis | leftover
    ref: str = ""  # the upload's file id or the render's id
    needed: bool = False


@contextlib.asynccontextmanager
async def one_pruner(data_dir: Path, database_url: str | None) -> AsyncIterator[bool]:
    """True inside when this process is the one pruner; False when another holds the lock."""
    if database_url:
        import asyncpg

        conn = await asyncpg.connect(database_url)
        try:
            got = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", PRUNE_LOCK))
            try:
                yield got
            finally:
                if got:
                    await conn.execute("SELECT pg_advisory_unlock($1)", PRUNE_LOCK)
        finally:
            await conn.close()
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class Pruner:
    """Removes expired and, past the disk budget, the oldest unneeded files of the data dir."""

    def __init__(
        self, store: Store, settings: EngineSettings, data_dir: Path, drafts: DraftLookup
    ) -> None:
        self.store = store
        self.settings = settings
        self.data_dir = data_dir
        self._drafts = drafts
        self.removed = Pruned()  # what this process's runs removed since it started (the operator's view)

    def budget_bytes(self) -> int:
        if self.settings.disk_budget_gb is not None:
            return int(self.settings.disk_budget_gb * 1024**3)
        return int(shutil.disk_usage(self.data_dir).total * DEFAULT_BUDGET_SHARE)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("pruning the data dir failed")
            give_back()  # an engine on its own: what the allocator keeps of the memory freed (core/memory.py)
            await asyncio.sleep(self.settings.prune_interval_minutes * 60)

    async def run_once(self, now: float | None = None) -> Pruned | None:
        """One pass; None when another pruner is at work."""
        async with one_pruner(self.data_dir, self.settings.shared_database()) as mine:
            if not mine:
                return None
            return await self._prune(time.time() if now is None else now)

    async def _prune(self, now: float) -> Pruned:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cutoff = now - self.settings.retention_seconds()
        items = await self._items(now, cutoff)
        done = Pruned()
        for item in items:
            if item.when < cutoff and not item.needed:
                await self._remove(item, done)
        budget = self.budget_bytes()
        used = sum(i.size for i in items if i.path not in done.paths)
        for item in sorted(items, key=lambda i: i.when):
            if used <= budget:
                break
            if item.needed or item.path in done.paths:
                continue
            await self._remove(item, done)
            used -= item.size
        if done.files:
            log.info("pruner: removed %d files (%.1f MB)", done.files, done.bytes / 1e6)
        self.removed.files += done.files
        self.removed.bytes += done.bytes
        return done

    def disk_used(self) -> int:
        """Bytes the pruned directories hold now (what the budget counts)."""
        return sum(_tree_size(self.data_dir / name) for name in ("media", "renders", "analysis", "tmp"))

    async def _remove(self, item: _Item, done: Pruned) -> None:
        if item.path.is_dir():
            shutil.rmtree(item.path, ignore_errors=True)
        else:
            item.path.unlink(missing_ok=True)
        if item.kind in ("upload", "render"):
            await self.store.mark_removed(item.kind, item.ref, item.path)
        if item.kind == "upload":
            for analysis in (self.data_dir / "analysis").glob(f"{item.ref}.*"):
                analysis.unlink(missing_ok=True)
        done.files += 1
        done.bytes += item.size
        done.paths.append(item.path)

    async def _items(self, now: float, cutoff: float) -> list[_Item]:
        """Every removable file, with whether something still needs it."""
        active = await self.store.renders_with_status(*ACTIVE)
        needed_files = {fid for r in active for fid in referenced_files(r.draft)}
        needed_renders = {str(r.output.get(FROM_RENDER)) for r in active if isinstance(r.output, dict)}
        drafts: dict[str, set[str] | None] = {}  # per session: its current draft's footage (None: keep all)
        items: list[_Item] = []
        uploads: set[str] = set()
        for rec in await self.store.all_files():
            uploads.add(rec.path.name)
            size = _size(rec.path)
            if size is None:
                continue
            in_draft = await self._draft_files(rec, cutoff, drafts)
            needed = rec.id in needed_files or in_draft is None or rec.id in in_draft
            items.append(_Item(rec.path, size, rec.created, "upload", rec.id, needed))
        renders_dir = self.data_dir / "renders"
        recorded: set[str] = set()
        named: set[Path] = set()  # files of completed renders (render-ahead files, engine/ahead.py, too)
        for r in await self.store.renders_with_status("completed", *ACTIVE):
            recorded.add(r.id)
            if r.status != "completed" or not r.out_path:
                continue
            path = Path(r.out_path)
            size = _size(path)
            if size is not None and path not in named:
                named.add(path)
                items.append(_Item(path, size, r.updated, "render", r.id, r.id in needed_renders))
        for path in _files(renders_dir):  # outputs of cancelled or vanished renders, work dirs left by a crash
            rid = path.name.split(".", 1)[0]
            if rid in recorded or path in named:  # named: a render-ahead file an export was answered with
                continue
            items.append(self._leftover(path, now))
        valid_uploads = {n.split(".", 1)[0] for n in uploads}
        for path in _files(self.data_dir / "analysis"):
            item = self._leftover(path, now)
            item.kind = "analysis"
            if path.name.split(".", 1)[0] not in valid_uploads:
                item.when = min(item.when, cutoff - 1)  # its upload is gone: nothing to keep it for
            items.append(item)
        for path in _files(self.data_dir / "tmp"):
            items.append(self._leftover(path, now))
        for path in _files(self.data_dir / "media"):  # a file no record names (an upload cut short)
            if path.name not in uploads:
                items.append(self._leftover(path, now))
        return items

    def _leftover(self, path: Path, now: float) -> _Item:
        try:
            st = path.stat()
            size, when = (st.st_size if path.is_file() else _tree_size(path)), st.st_mtime
        except OSError:
            size, when = 0, now
        return _Item(path, size, when, "leftover", needed=now - when < LEFTOVER_GRACE_S)

    async def _draft_files(
        self, rec: FileRecord, cutoff: float, cache: dict[str, set[str] | None]
    ) -> set[str] | None:
        """The footage of the upload's session's current draft, when that session changed after
        ``cutoff``; empty otherwise; None (keep them all) when the session could not be read."""
        if rec.session_id not in cache:
            try:
                found = await self._drafts(rec.user_id, rec.session_id)
            except Exception:  # noqa: BLE001 - unsure: keep the session's files this time
                log.warning("pruner: session %s could not be read; its files are kept", rec.session_id)
                cache[rec.session_id] = None
                return None
            draft, touched = found if found is not None else (None, 0.0)
            cache[rec.session_id] = (
                set(referenced_files(draft)) if isinstance(draft, dict) and touched >= cutoff else set()
            )
        return cache[rec.session_id]


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _files(directory: Path) -> list[Path]:
    try:
        return sorted(directory.iterdir())
    except OSError:
        return []


def _tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
