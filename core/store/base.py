"""What the bot keeps across restarts, and the small interface every store backend implements.

Two backends implement the ``Store`` protocol: SQLite (``core.store.sqlite``) for one bot process, and
PostgreSQL (``core.store.postgres``) for several processes on one database.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


@dataclass(slots=True)
class ConversationRecord:
    """One conversation: a platform chat (and user, in group chats)."""

    key: str
    platform: str
    chat_id: str
    user_id: str
    language: str | None = None
    mode: str | None = None
    session_id: str | None = None
    task_id: str | None = None
    draft: Any = None
    pictures: bool | None = None  # the timeline drawn after each edit (/pictures on|off); None: the default
    written_language: str | None = None  # the language the user last wrote in (used without /lang or a locale)
    previews: bool | None = None  # a preview after each edit that changes the picture (/preview on|off)


SAVED_FIELDS = ("language", "mode", "session_id", "task_id", "draft", "pictures", "written_language", "previews")
"""A conversation's fields a save may change (``key`` and where it lives stay as first saved)."""


def updated_columns(only: Collection[str]) -> tuple[str, ...]:
    """The fields a save writes: ``only`` those named (a preference changed while another bot process
    may be running a job of the conversation must not write back its draft), else all of them."""
    unknown = set(only) - set(SAVED_FIELDS)
    if unknown:
        raise ValueError(f"not a saved conversation field: {sorted(unknown)}")
    return tuple(f for f in SAVED_FIELDS if not only or f in only)


@dataclass(slots=True)
class TokenRecord:
    """An anonymous NEMO token, per conversation; its client id outlives the token."""

    scope: str
    client_id: str
    token: str | None = None
    user_id: str | None = None
    expires_at: datetime | None = None
    own: bool = False  # the user's own NEMO token (/token): used as is, never renewed, never shown

    def __repr__(self) -> str:
        return f"TokenRecord(scope={self.scope!r}, user_id={self.user_id!r}, expires_at={self.expires_at!r})"


@dataclass(slots=True)
class RenderJob:
    """A render NEMO is working on, with where to deliver it."""

    id: str
    conversation: str
    session_id: str
    skill: str
    target: dict[str, Any]
    status: str = "pending"
    progress: float = 0.0
    url: str | None = None
    error: str = ""
    status_message: dict[str, Any] | None = None
    created_at: float = 0.0
    delivered: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None  # the bot process following it, while its lease runs (several processes)
    lease_until: float = 0.0


@dataclass(slots=True)
class JobRecord:
    """A job of a conversation, with what is needed to run it again in any process (``payload``, JSON:
    the surface's request), how far it got (``stage``) and where it stands in the surface's own order
    of updates (``order``: Telegram's update_id, a Discord snowflake; None where the surface has none)."""

    id: int
    conversation: str
    owner: str
    payload: dict[str, Any] | None = None
    order: int | None = None
    stage: str = ""
    created_at: float = 0.0


@dataclass(slots=True)
class UpdateRecord:
    """An update a surface received (a Telegram webhook call), kept from before it was acknowledged until
    it was handled (its job noted), so a process that dies in between leaves it to another."""

    platform: str
    update_id: int
    payload: dict[str, Any]
    owner: str
    received_at: float = 0.0


UPDATES_KEPT = 24 * 3600.0
"""Seconds a handled update's row is kept (to drop a redelivery): Telegram keeps an undelivered update 24 h."""


JOB_BEFORE = (
    "CASE WHEN me.id IS NULL THEN j.id < {job} "
    "WHEN j.seq IS NULL AND me.seq IS NULL THEN j.id < me.id "
    "WHEN j.seq IS NULL OR me.seq IS NULL THEN me.seq IS NULL "
    "ELSE (j.seq < me.seq OR (j.seq = me.seq AND j.id < me.id)) END"
)
"""SQL: job ``j`` comes before job ``me`` (the row of id ``{job}``; gone, every job noted before that id), in
``job_position``'s order."""


def quota_day(when: float) -> str:
    """The UTC day ``when`` falls on, as quotas count them (``2026-12-07``)."""
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d")


def job_position(order: int | None, job_id: int) -> tuple[bool, int, int]:
    """Where a job stands among its conversation's: in the surface's order (two replicas may note two updates
    in the other order), then as noted; one without a surface order after those with one (a total order, so
    processes never wait on each other in a circle)."""
    return order is None, order or 0, job_id


def claim_order(job: JobRecord) -> tuple[str, tuple[bool, int, int]]:
    """The order claimed jobs run in: per conversation, ``job_position``."""
    return job.conversation, job_position(job.order, job.id)


class Store(Protocol):
    several_processes: bool
    """Whether bot processes other than this one may share the store (PostgreSQL; not a SQLite file)."""

    async def open(self) -> None: ...
    async def close(self) -> None: ...

    async def get_conversation(self, key: str) -> ConversationRecord | None: ...
    async def save_conversation(self, record: ConversationRecord, only: Collection[str] = ()) -> None:
        """Insert or update ``record``; with ``only``, an existing row gets just those fields."""
        ...

    async def get_token(self, scope: str) -> TokenRecord | None: ...
    async def save_token(self, record: TokenRecord) -> None: ...
    async def stats(self) -> dict[str, int]: ...

    async def add_upload(self, conversation: str, filename: str, url: str, size: int | None) -> None: ...
    async def uploads(self, conversation: str) -> list[tuple[str, str]]: ...

    async def add_render(self, job: RenderJob) -> None: ...
    async def update_render(self, job: RenderJob) -> None: ...
    async def get_render(self, render_id: str) -> RenderJob | None: ...
    async def open_renders(self) -> list[RenderJob]: ...
    async def claim_delivery(self, render_id: str) -> bool:
        """Mark a render delivered; ``True`` only for the one caller that got there first."""
        ...

    def conversation_lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """Held while one job of conversation ``key`` runs, by one process at a time."""
        ...

    async def lease_renders(self, owner: str, seconds: float, limit: int = 100) -> list[RenderJob]:
        """Claim, for ``seconds``, open renders that no live process holds; each goes to one caller."""
        ...

    async def renew_leases(self, owner: str, seconds: float) -> int:
        """Extend the leases ``owner`` holds; how many it still holds."""
        ...

    async def add_job(self, conversation: str, owner: str, seconds: float,
                      payload: dict[str, Any] | None = None, order: int | None = None,
                      handled: Sequence[tuple[str, int]] = ()) -> int:
        """Note a job of ``conversation`` that process ``owner`` runs or holds waiting; alive ``seconds``.
        ``payload`` is what runs it again elsewhere; ``order`` its place in the surface's order. The
        updates it came in, ``handled`` (platform, update_id), are done in the same transaction: from
        then on the job row carries their work, and at no moment do both or neither."""
        ...

    async def jobs_before(self, conversation: str, job_id: int) -> int:
        """How many jobs of ``conversation``, in any process, come before ``job_id``: by the surface's order
        where both have one, else by when they were noted. A job whose process died still counts while it
        can be taken over (it has a payload); one without stops counting when its heartbeat lapses."""
        ...

    async def save_job(self, job_id: int, stage: str, payload: dict[str, Any] | None) -> None:
        """Record how far job ``job_id`` got (and its payload as it now stands: a status message sent)."""
        ...

    async def claim_jobs(self, owner: str, seconds: float, platforms: Collection[str],
                         limit: int = 100) -> list[JobRecord]:
        """Take over, for ``owner`` and alive ``seconds``, the jobs of conversations on ``platforms`` (the
        surfaces ``owner`` serves) with a payload whose process is gone (its heartbeat lapsed; on SQLite,
        one process per file, any other process's: an earlier run); each goes to one caller. In each
        conversation's order."""
        ...

    async def end_job(self, job_id: int) -> None: ...

    async def keep_jobs_alive(self, owner: str, seconds: float) -> None:
        """A process's heartbeat: its jobs stay counted (and its received updates its own); a dead process's
        stop counting (and its updates not yet handled may be taken over)."""
        ...

    async def note_update(self, platform: str, update_id: int, owner: str, seconds: float,
                          payload: dict[str, Any]) -> bool:
        """Keep update ``update_id`` of ``platform`` (its raw ``payload``) as received by ``owner``, alive
        ``seconds``; ``False`` when it was received before (a redelivery: drop it)."""
        ...

    async def done_update(self, platform: str, update_id: int) -> None:
        """Update ``update_id`` is handled (its job is noted): nobody takes it over."""
        ...

    async def claim_updates(self, owner: str, seconds: float, platforms: Collection[str],
                            limit: int = 100) -> list[UpdateRecord]:
        """Take over, for ``owner`` and alive ``seconds``, the updates of ``platforms`` not handled whose
        process is gone (as ``claim_jobs``); each goes to one caller, in the order of their ids."""
        ...

    async def prune_updates(self, older_than: float = UPDATES_KEPT) -> int:
        """Forget the handled updates received more than ``older_than`` seconds ago; how many."""
        ...

    async def prune_records(self, older_than: float) -> int:
        """Forget what no job needs any more: renders delivered (or failed) and uploads noted more than
        ``older_than`` seconds ago (their files have expired on the backend too), and quota days past;
        how many rows."""
        ...

    async def use_quota(self, user: str, day: str, kind: str, amount: float, limit: float) -> float | None:
        """Add ``amount`` to ``user``'s use of ``kind`` on ``day`` if it stays within ``limit``, in one
        transaction (two processes never both take the last of it); the use before, or ``None`` (over:
        nothing added)."""
        ...

    async def quota_used(self, user: str, day: str, kind: str) -> float: ...

    async def users_over_quota(self, day: str, limits: dict[str, float]) -> int:
        """How many users have used all of one of ``limits`` (kind: amount) on ``day``."""
        ...

    async def request_cancel(self, conversation: str, owner: str) -> None:
        """Tell every other process that ``conversation``'s user said /cancel (to process ``owner``)."""
        ...

    def cancel_requests(self, owner: str, callback: Callable[[str], None]) -> AbstractAsyncContextManager[None]:
        """While entered, ``callback(conversation)`` runs for each /cancel another process took."""
        ...
