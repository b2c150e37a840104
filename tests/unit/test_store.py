"""The store contract, run against both backends: SQLite (one process) and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.store import make_store
from core.store.base import ConversationRecord, RenderJob, Store, TokenRecord
from core.store.postgres import PostgresStore
from tests.postgres import PG_URL, needs_postgres, throwaway_database


def _open(url: str) -> Store:
    return make_store(url, Path(url)) if url.startswith("postgresql://") else make_store(None, Path(url))


def _job(render_id: str, created_at: float = 0.0) -> RenderJob:
    return RenderJob(
        id=render_id, conversation="telegram:1", session_id="s1", skill="nemo-video",
        target={"platform": "telegram", "chat_id": "1", "user_id": "1"},
        status_message={"chat_id": "1", "message_id": 7}, created_at=created_at, extra={"lang": "zh"},
    )


async def test_a_conversation_keeps_its_draft_and_settings(store: Store) -> None:
    draft = {"tracks": [{"type": "text", "segments": [{"text": "城市梦想 🎬"}]}], "duration": 7000}
    record = ConversationRecord("telegram:1", "telegram", "1", "1", language="zh", mode="highlights",
                                session_id="s1", draft=draft)
    await store.save_conversation(record)
    assert (await store.get_conversation("telegram:1")).pictures is None  # type: ignore[union-attr]
    record.session_id = "s2"
    record.pictures = True
    await store.save_conversation(record)
    saved = await store.get_conversation("telegram:1")
    assert saved == ConversationRecord("telegram:1", "telegram", "1", "1", language="zh", mode="highlights",
                                       session_id="s2", draft=draft, pictures=True)
    record.pictures = False
    record.written_language = "zh"
    await store.save_conversation(record)
    saved = await store.get_conversation("telegram:1")
    assert saved is not None and saved.pictures is False and saved.written_language == "zh"
    assert await store.get_conversation("telegram:2") is None


async def test_a_token_and_its_expiry_round_trip(store: Store) -> None:
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    await store.save_token(TokenRecord("telegram:1", "client-1", "nmv_tok", "u1", expires, own=False))
    await store.save_token(TokenRecord("discord:2", "client-2", "own_tok", None, None, own=True))
    saved = await store.get_token("telegram:1")
    assert saved is not None and saved.token == "nmv_tok" and saved.client_id == "client-1"
    assert saved.expires_at is not None and saved.expires_at.astimezone(UTC) == expires
    own = await store.get_token("discord:2")
    assert own is not None and own.own and own.expires_at is None
    assert (await store.stats())["own_tokens"] == 1


async def test_uploads_are_listed_per_conversation_in_order(store: Store) -> None:
    for name in ("a.mp4", "b.mp4", "c.mp3"):
        await store.add_upload("telegram:1", name, f"https://cdn/{name}", 1024)
    await store.add_upload("telegram:2", "other.mp4", "https://cdn/other.mp4", None)
    assert [n for n, _ in await store.uploads("telegram:1")] == ["a.mp4", "b.mp4", "c.mp3"]
    assert await store.uploads("telegram:3") == []


async def test_a_render_is_followed_and_delivered_once(store: Store) -> None:
    await store.add_render(_job("r1", 10.0))
    await store.add_render(_job("r2", 5.0))
    job = await store.get_render("r1")
    assert job is not None and job.target["chat_id"] == "1" and job.extra == {"lang": "zh"}
    job.status, job.progress, job.url = "completed", 100.0, "https://cdn/r1.mp4"
    await store.update_render(job)
    assert [j.id for j in await store.open_renders()] == ["r2", "r1"]
    claims = await asyncio.gather(*(store.claim_delivery("r1") for _ in range(8)))
    assert claims.count(True) == 1
    assert [j.id for j in await store.open_renders()] == ["r2"]
    saved = await store.get_render("r1")
    assert saved is not None and saved.delivered and saved.url == "https://cdn/r1.mp4"
    stats = await store.stats()
    assert stats["renders"] == 2 and stats["renders_open"] == 1


async def test_opening_again_keeps_the_data_and_the_schema(store_url: str) -> None:
    first = _open(store_url)
    await first.open()
    await first.save_conversation(ConversationRecord("console:me", "console", "me", "me"))
    version = await first.schema_version()
    await first.close()
    second = _open(store_url)
    await second.open()
    try:
        assert await second.schema_version() == version
        assert await second.get_conversation("console:me") is not None
    finally:
        await second.close()


@needs_postgres
async def test_processes_starting_together_migrate_once() -> None:
    async with throwaway_database(PG_URL or "") as url:
        stores = [PostgresStore(url) for _ in range(4)]
        await asyncio.gather(*(s.open() for s in stores))
        try:
            versions = {await s.schema_version() for s in stores}
            assert len(versions) == 1
        finally:
            await asyncio.gather(*(s.close() for s in stores))


@needs_postgres
async def test_each_open_render_is_leased_to_one_process_and_taken_over_when_its_lease_lapses() -> None:
    async with throwaway_database(PG_URL or "") as url:
        await _leases(url)


async def test_a_render_added_with_a_lease_is_not_taken_by_another_process(store_url: str) -> None:
    a, b = _open(store_url), _open(store_url)
    await a.open()
    await b.open()
    try:
        job = _job("mine")
        job.owner, job.lease_until = "a", time.time() + 30
        await a.add_render(job)
        await a.add_render(_job("orphan"))
        taken = [j.id for j in await b.lease_renders("b", 30)]
        # on PostgreSQL "b" takes only what nobody holds; a SQLite file has one process: all is its own
        assert taken == (["orphan"] if isinstance(a, PostgresStore) else ["mine", "orphan"])
    finally:
        await a.close()
        await b.close()


async def _leases(url: str) -> None:
    a, b = _open(url), _open(url)
    await a.open()
    await b.open()
    try:
        for i in range(20):
            await a.add_render(_job(f"r{i}", float(i)))
        got_a, got_b = await asyncio.gather(a.lease_renders("a", 0.6, limit=12), b.lease_renders("b", 30, limit=12))
        ids_a, ids_b = {j.id for j in got_a}, {j.id for j in got_b}
        assert not ids_a & ids_b and len(ids_a | ids_b) == 20
        assert not {j.id for j in await b.lease_renders("b", 30)} & ids_a  # "a" still holds its own
        delivered = min(ids_a)
        assert await a.claim_delivery(delivered)
        await asyncio.sleep(0.8)  # "a" died: it stopped renewing
        taken = {j.id for j in await b.lease_renders("b", 30)}
        assert ids_a - {delivered} <= taken and delivered not in taken  # a delivered render stays done
        assert await a.renew_leases("a", 30) == 0
        assert await b.renew_leases("b", 30) == 19
    finally:
        await a.close()
        await b.close()


@needs_postgres
async def test_a_conversation_lock_holds_across_processes() -> None:
    async with throwaway_database(PG_URL or "") as url:
        a, b = PostgresStore(url), PostgresStore(url)
        await a.open()
        await b.open()
        running: list[str] = []
        overlaps = 0

        async def job(store: PostgresStore, name: str) -> None:
            nonlocal overlaps
            async with store.conversation_lock("telegram:1"):
                overlaps += bool(running)
                running.append(name)
                await asyncio.sleep(0.05)
                running.remove(name)

        try:
            await asyncio.gather(*(job(s, f"{i}") for i, s in enumerate([a, b] * 4)))
            assert overlaps == 0
            async def other() -> None:
                async with b.conversation_lock("telegram:2"):
                    pass

            async with a.conversation_lock("telegram:1"):  # another conversation is not held up
                await asyncio.wait_for(other(), 2)
        finally:
            await a.close()
            await b.close()


@needs_postgres
async def test_a_conversation_lock_of_a_process_that_died_lapses() -> None:
    async with throwaway_database(PG_URL or "") as url:
        a = PostgresStore(url, lock_lease=0.5)  # timing is the point: the lock lapses after its lease
        b = PostgresStore(url, lock_lease=0.5)  # timing is the point: the lock lapses after its lease
        await a.open()
        await b.open()
        held = a.conversation_lock("telegram:1")
        await held.__aenter__()
        next(t for t in asyncio.all_tasks() if t.get_name() == "lock:telegram:1").cancel()  # it stops renewing
        try:
            started = asyncio.get_running_loop().time()
            async with b.conversation_lock("telegram:1"):
                waited = asyncio.get_running_loop().time() - started
            assert 0.3 < waited < 2.0
        finally:
            await a.close()
            await b.close()


async def test_queue_positions_count_every_process_and_lapse_with_a_dead_one(store: Store) -> None:
    first = await store.add_job("telegram:1", "a", 30)
    second = await store.add_job("telegram:1", "b", 0.3)
    third = await store.add_job("telegram:1", "a", 30)
    await store.add_job("telegram:2", "a", 30)
    assert [await store.jobs_before("telegram:1", j) for j in (first, second, third)] == [0, 1, 2]
    await asyncio.sleep(0.4)  # "b" died and stopped renewing
    await store.keep_jobs_alive("a", 30)
    assert await store.jobs_before("telegram:1", third) == 1
    await store.end_job(first)
    assert await store.jobs_before("telegram:1", third) == 0


async def test_a_preference_saved_alone_leaves_the_draft_another_process_wrote(store_url: str) -> None:
    a, b = _open(store_url), _open(store_url)
    await a.open()
    await b.open()
    try:
        await a.save_conversation(ConversationRecord("telegram:1", "telegram", "1", "1", draft={"v": 1}))
        stale = await b.get_conversation("telegram:1")
        assert stale is not None
        await a.save_conversation(ConversationRecord("telegram:1", "telegram", "1", "1", session_id="s",
                                                     draft={"v": 2}))  # a job in process "a"
        stale.language = "zh"
        await b.save_conversation(stale, only=("language",))  # /lang zh in process "b"
        saved = await a.get_conversation("telegram:1")
        assert saved is not None and saved.language == "zh" and saved.draft == {"v": 2} and saved.session_id == "s"
        fresh = ConversationRecord("telegram:9", "telegram", "9", "9", mode="highlights")
        await b.save_conversation(fresh, only=("mode",))  # a first save inserts the whole record
        assert (await a.get_conversation("telegram:9")) == fresh
        with pytest.raises(ValueError):
            await b.save_conversation(fresh, only=("key",))
    finally:
        await a.close()
        await b.close()


async def test_the_jobs_of_a_stopped_process_are_taken_over_once_each_in_the_surface_s_order(
    store_url: str,
) -> None:
    a, b, c = _open(store_url), _open(store_url), _open(store_url)
    for s in (a, b, c):
        await s.open()
    try:
        later = await a.add_job("telegram:1", "dead", 0.2, {"text": "export"}, order=20)
        earlier = await a.add_job("telegram:1", "dead", 0.2, {"text": "clip"}, order=10)
        await a.add_job("telegram:2", "dead", 0.2)  # nothing to run it again with: only a queue position
        await a.add_job("discord:4", "dead", 0.2, {"text": "edit"})  # a surface the survivors do not serve
        live = await a.add_job("telegram:3", "live", 30, {"text": "edit"})
        # the surface's order, not the order the rows came in (two replicas took the two updates)
        assert [await a.jobs_before("telegram:1", j) for j in (earlier, later)] == [0, 1]
        await asyncio.sleep(0.3)  # "dead" stopped renewing
        assert await a.jobs_before("telegram:1", later) == 1  # still ahead of it: it is to be taken over

        # two survivors claim at once (a SQLite file has one process: the next run claims alone)
        survivors = (b, c) if a.several_processes else (b,)
        claims = await asyncio.gather(*(s.claim_jobs(name, 30, ["telegram"]) for s, name in zip(survivors, "bc")))
        claimed = [job for jobs in claims for job in jobs]
        ids = [job.id for job in claimed]
        assert len(ids) == len(set(ids))  # no job went to both
        # a live process's job is never taken; on SQLite (one process per file) any other is an earlier run's
        expected = {earlier, later} | (set() if a.several_processes else {live})
        assert set(ids) == expected
        for jobs in claims:  # each caller's jobs in their conversation's order
            mine = [job.id for job in jobs if job.conversation == "telegram:1"]
            assert mine == [j for j in (earlier, later) if j in mine]
        first = next(job for job in claimed if job.id == earlier)
        assert first.payload == {"text": "clip"} and first.order == 10 and first.stage == "" and first.created_at > 0
        assert await b.claim_jobs("b", 30, ["telegram"]) == []  # held by their new owner, nothing left over
        if a.several_processes:
            assert await c.claim_jobs("c", 30, ["telegram"]) == []

        await a.save_job(earlier, "sent", {"text": "clip", "message": "7"})
        await b.keep_jobs_alive(first.owner, 0)  # its new owner stops too
        await asyncio.sleep(0.05)
        again = [job for job in await a.claim_jobs("a", 30, ["telegram", "discord"]) if job.id == earlier]
        assert [(job.stage, job.payload, job.owner) for job in again] == [("sent", {"text": "clip", "message": "7"}, "a")]
        await a.end_job(earlier)
        assert await a.jobs_before("telegram:1", later) == 0
    finally:
        for s in (a, b, c):
            await s.close()


async def test_a_job_without_a_surface_order_comes_after_those_with_one(store: Store) -> None:
    plain = await store.add_job("telegram:1", "a", 30, {"text": "first noted"})
    ordered = await store.add_job("telegram:1", "a", 30, {"text": "then"}, order=50)
    later = await store.add_job("telegram:1", "a", 30, {"text": "and"}, order=60)
    # one order over all three (never a circle of jobs each waiting for another)
    assert [await store.jobs_before("telegram:1", j) for j in (ordered, later, plain)] == [0, 1, 2]


async def test_a_received_update_is_noted_once_and_done_when_handled(store: Store) -> None:
    update = {"update_id": 7, "message": {"text": "hello"}}
    assert await store.note_update("telegram", 7, "a", 30, update)
    assert not await store.note_update("telegram", 7, "b", 30, update)  # a redelivery (to another replica)
    assert await store.note_update("discord", 7, "a", 30, {"id": 7})  # ids are the platform's own
    await store.done_update("telegram", 7)
    assert not await store.note_update("telegram", 7, "a", 30, update)  # handled: still not run again
    assert await store.prune_updates(older_than=3600) == 0  # handled a moment ago: kept for redeliveries
    assert await store.prune_updates(older_than=0) == 1  # the open one on discord stays
    assert await store.note_update("telegram", 7, "a", 30, update)  # forgotten after the pruning age


async def test_the_updates_a_stopped_process_did_not_handle_are_taken_over_once_each(store_url: str) -> None:
    a, b, c = _open(store_url), _open(store_url), _open(store_url)
    for s in (a, b, c):
        await s.open()
    try:
        for update_id in (12, 11, 13):
            await a.note_update("telegram", update_id, "dead", 0.2, {"update_id": update_id})
        await a.done_update("telegram", 13)  # handled before it died
        await a.note_update("discord", 5, "dead", 0.2, {"id": 5})  # a surface the survivors do not serve
        await a.note_update("telegram", 20, "live", 0.2, {"update_id": 20})
        await asyncio.sleep(0.3)
        await a.keep_jobs_alive("live", 30)  # the live process's heartbeat keeps its updates its own
        survivors = (b, c) if a.several_processes else (b,)
        claims = await asyncio.gather(*(s.claim_updates(name, 30, ["telegram"]) for s, name in zip(survivors, "bc")))
        claimed = [(u.update_id, u.payload, u.owner) for updates in claims for u in updates]
        expected = {11, 12} | (set() if a.several_processes else {20})
        assert sorted(i for i, _, _ in claimed) == sorted(expected)  # each to one caller
        for updates in claims:
            assert [u.update_id for u in updates] == sorted(u.update_id for u in updates)
        assert (11, {"update_id": 11}) in [(i, p) for i, p, _ in claimed]
        assert await b.claim_updates("b", 30, ["telegram"]) == []  # held by their new owner
        await b.done_update("telegram", 11)
        for owner in {o for _, _, o in claimed}:  # the new owners stop too
            await b.keep_jobs_alive(owner, 0)
        again = await a.claim_updates("a", 30, ["telegram"])
        assert 11 not in [u.update_id for u in again] and 12 in [u.update_id for u in again]
    finally:
        for s in (a, b, c):
            await s.close()


async def test_a_job_noted_for_an_update_marks_the_update_done_in_the_same_write(store_url: str) -> None:
    """A webhook update becomes a job: from the job row on, a process taking over runs the job, and must
    not run the update as well; nor may a kill between the two leave both open."""
    a, b = _open(store_url), _open(store_url)
    for s in (a, b):
        await s.open()
    try:
        for update_id in (31, 32):
            await a.note_update("telegram", update_id, "dead", 0.2, {"update_id": update_id})
        await a.add_job("telegram:1", "dead", 0.2, {"text": "cut the pauses"}, order=31, handled=[("telegram", 31)])
        await asyncio.sleep(0.3)
        taken = await b.claim_updates("b", 30, ["telegram"])
        assert [u.update_id for u in taken] == [32]  # 31 is its job's now
        jobs = await b.claim_jobs("b", 30, ["telegram"])
        assert [(j.payload, j.order) for j in jobs] == [({"text": "cut the pauses"}, 31)]
    finally:
        for s in (a, b):
            await s.close()


async def test_a_day_s_quota_is_taken_up_to_its_limit_and_refused_past_it(store: Store) -> None:
    assert await store.use_quota("telegram:1", "2026-12-07", "render_seconds", 40, 60) == 0
    assert await store.use_quota("telegram:1", "2026-12-07", "render_seconds", 30, 60) is None  # 70 > 60: nothing taken
    assert await store.quota_used("telegram:1", "2026-12-07", "render_seconds") == 40
    assert await store.use_quota("telegram:1", "2026-12-07", "render_seconds", 20, 60) == 40  # exactly the limit
    assert await store.use_quota("telegram:1", "2026-12-08", "render_seconds", 20, 60) == 0  # a new day
    assert await store.use_quota("telegram:2", "2026-12-07", "uploads", 1, 5) == 0
    assert await store.users_over_quota("2026-12-07", {"render_seconds": 60, "uploads": 5}) == 1
    assert await store.users_over_quota("2026-12-07", {}) == 0


async def test_uploads_taken_at_once_never_pass_the_quota(store_url: str) -> None:
    """Several bot processes (PostgreSQL) or tasks (SQLite) asking at the same moment share out the last of it."""
    stores = [_open(store_url) for _ in range(3 if store_url.startswith("postgresql://") else 1)]
    for s in stores:
        await s.open()
    try:
        taken = await asyncio.gather(*(stores[i % len(stores)].use_quota("discord:9", "2026-12-07", "uploads", 1, 5)
                                       for i in range(12)))
        assert sum(t is not None for t in taken) == 5
        assert await stores[0].quota_used("discord:9", "2026-12-07", "uploads") == 5
    finally:
        for s in stores:
            await s.close()


async def test_old_records_are_forgotten_and_open_renders_kept(store: Store) -> None:
    old = time.time() - 10 * 86400
    delivered, failed, still_open = _job("r-old", created_at=old), _job("r-failed", created_at=old), _job("r-open", old)
    failed.status = "failed"
    for job in (delivered, failed, still_open):
        await store.add_render(job)
    assert await store.claim_delivery("r-old")
    await store.add_render(_job("r-new", created_at=time.time()))
    assert await store.claim_delivery("r-new")
    await store.add_upload("telegram:1", "clip.mp4", "https://x/clip.mp4", 10)
    await store.use_quota("telegram:1", "2020-01-01", "uploads", 1, 5)
    assert await store.prune_records(older_than=7 * 86400) == 3  # two old renders and the old quota day
    assert await store.get_render("r-old") is None and await store.get_render("r-failed") is None
    assert await store.get_render("r-open") is not None and await store.get_render("r-new") is not None
    assert await store.uploads("telegram:1") == [("clip.mp4", "https://x/clip.mp4")]  # noted a moment ago
    assert await store.prune_records(older_than=0) >= 1
    assert await store.uploads("telegram:1") == []
