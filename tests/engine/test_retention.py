"""The pruner: expired files go, what a queued render or a current draft needs stays, the disk budget
removes the oldest first, one pruner at a time, and a draft whose footage is gone says so (EN and ZH)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.i18n import say
from core.nemo.client import NemoClient
from core.nemo.errors import FootageExpired, error_for
from engine import draft as dr
from engine.retention import Pruner, footage_expired_text, one_pruner
from engine.server import EngineServer
from engine.settings import EngineSettings
from engine.store import FileRecord, RenderRecord, Store
from tests.postgres import PG_MISSING, PG_URL, throwaway_database

from .conftest import ATTRIBUTION, Api, engine_settings

HOUR = 3600.0


def _draft(*fids: str) -> dict[str, Any]:
    d = dr.empty_draft()
    for fid in fids:
        d = dr.append_media(d, {"id": fid, "file_type": "video", "duration": 2.0})
    return d


class Data:
    """A store and a data dir with uploads of known sizes and ages."""

    def __init__(self, root: Path, store: Store) -> None:
        self.root = root
        self.store = store
        self.drafts: dict[str, tuple[dict[str, Any] | None, float]] = {}

    async def upload(self, fid: str, session: str, size: int, created: float) -> Path:
        path = self.root / "media" / f"{fid}.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * size)
        await self.store.add_file(FileRecord(fid, "u", session, "c.mp4", "video", path, size, fid, {}))
        await self.store.db.execute("UPDATE files SET created=? WHERE id=?", created, fid)
        analysis = self.root / "analysis" / f"{fid}.av.json"
        analysis.parent.mkdir(parents=True, exist_ok=True)
        analysis.write_text("{}")
        return path

    async def session_draft(self, user_id: str, sid: str) -> tuple[dict[str, Any] | None, float] | None:
        return self.drafts.get(sid)

    def pruner(self, **settings: Any) -> Pruner:
        s = EngineSettings(data_dir=self.root, link_ttl_hours=24, disk_budget_gb=100, **settings)  # timing is the point: retention ages
        return Pruner(self.store, s, self.root, self.session_draft)


@pytest.fixture
async def data(tmp_path: Path) -> Any:
    store = Store(tmp_path / "engine.db")
    await store.open()
    try:
        yield Data(tmp_path, store)
    finally:
        await store.close()


async def test_files_older_than_the_retention_go_unless_a_queued_render_or_a_fresh_draft_needs_them(
    data: Data,
) -> None:
    now = time.time()
    old = now - 30 * HOUR  # the retention is the link lifetime: 24 h
    stale = await data.upload("fstale", "s1", 100, old)
    queued = await data.upload("fqueued", "s2", 100, old)
    drafted = await data.upload("fdraft", "s3", 100, old)
    abandoned = await data.upload("fabandoned", "s4", 100, old)
    young = await data.upload("fyoung", "s5", 100, now - HOUR)
    await data.store.add_render(
        RenderRecord("r1", "u", "s2", "pending", 0.0, _draft("fqueued"), {}, None, None, None, None, 0, now, now)
    )
    data.drafts["s3"] = (_draft("fdraft"), now - HOUR)  # the user is still at it
    data.drafts["s4"] = (_draft("fabandoned"), old)  # untouched since the upload
    done = await data.pruner().run_once(now)
    assert done is not None
    assert not stale.exists() and not abandoned.exists()
    assert not (data.root / "analysis" / "fstale.av.json").exists()  # its analysis went with it
    assert queued.exists() and drafted.exists() and young.exists()
    assert (data.root / "analysis" / "fqueued.av.json").exists()
    assert await data.store.removed_of(["fstale", "fqueued", "fabandoned"]) == {"fstale", "fabandoned"}


async def test_past_the_disk_budget_the_oldest_unneeded_files_go_first(data: Data) -> None:
    now = time.time()
    mb = 1024 * 1024
    oldest = await data.upload("f1", "s1", mb, now - 5 * HOUR)
    needed = await data.upload("f2", "s2", mb, now - 4 * HOUR)
    older = await data.upload("f3", "s3", mb, now - 3 * HOUR)
    newer = await data.upload("f4", "s4", mb, now - 2 * HOUR)
    newest = await data.upload("f5", "s5", mb, now - 1 * HOUR)
    data.drafts["s2"] = (_draft("f2"), now)
    # nothing has expired; 5 MB (and five tiny analyses) on disk, 2.5 MB allowed
    pruner = data.pruner()
    pruner.settings.disk_budget_gb = 2.5 * mb / 1024**3
    await pruner.run_once(now)
    assert [p.exists() for p in (oldest, needed, older, newer, newest)] == [False, True, False, False, True]


async def test_two_pruners_at_once_do_not_both_run(data: Data) -> None:
    async with one_pruner(data.root, None) as first:
        assert first
        assert await data.pruner().run_once() is None  # another process's pruner, on the same data dir
    assert await data.pruner().run_once() is not None


@pytest.mark.skipif(PG_URL is None, reason=PG_MISSING)
async def test_two_pruners_sharing_postgresql_do_not_both_run(tmp_path: Path) -> None:
    assert PG_URL is not None
    async with throwaway_database(PG_URL) as url:
        store = Store(tmp_path / "unused.db", url)
        await store.open()
        try:
            settings = EngineSettings(data_dir=tmp_path / "b", database_url=url)
            other = Pruner(store, settings, tmp_path / "b", Data(tmp_path, store).session_draft)
            async with one_pruner(tmp_path / "a", url) as first:  # another instance, its own data dir mount
                assert first
                assert await other.run_once() is None
            assert await other.run_once() is not None
        finally:
            await store.close()


def test_the_bot_says_the_footage_expired_in_both_languages() -> None:
    err = error_for(code=4005, status=410, message="...")
    assert isinstance(err, FootageExpired)
    assert "send the file again" in say("en", err.key)
    assert "重新发送" in say("zh", err.key)


@pytest.mark.parametrize(("language", "words"), [("en", "expired"), ("zh", "过期")])
async def test_a_draft_whose_footage_expired_says_so_and_takes_the_file_again(
    tmp_path: Path, clips: dict[str, Path], language: str, words: str
) -> None:
    async with (
        EngineServer(engine_settings(tmp_path, link_ttl_hours=1)) as eng,  # timing is the point: expiry
        httpx.AsyncClient(base_url=eng.url, timeout=60) as http,
    ):
        api = await Api(http).login(language)
        [uploaded] = await api.upload(clips["portrait"])
        # two hours on, the session untouched since: its footage is past the retention
        done = None
        while done is None:  # the engine's own pruner may be at its first run
            done = await eng.pruner.run_once(time.time() + 2 * HOUR)
        assert done.files >= 1
        media = await http.get(uploaded["cdn_url"].replace(eng.public_base, ""))
        assert media.status_code == 410
        said = (await api.chat("cut 1-2s" if language == "en" else "剪掉1到2秒")).texts
        assert said == [footage_expired_text(language)] and words in said[0]
        r = await http.post(
            "/api/render/proxy/lambda",
            headers={**api.auth, **ATTRIBUTION},
            json={"id": "r_expired", "sessionId": api.sid, "output": {"format": "mp4"}},
        )
        assert r.status_code == 410 and r.json()["code"] == 4005
        assert r.json()["message"] == footage_expired_text(language)
        # the same file sent again takes the old one's place: the draft is whole again and edits work
        [again] = await api.upload(clips["portrait"])
        draft = (await api.state())["draft"]
        assert [s["m"]["src"] for s in dr.segments(draft, dr.VIDEO)] == [again["id"]]
        said = (await api.chat("cut 1-2s" if language == "en" else "剪掉1到2秒")).texts
        assert words not in said[0]



@pytest.mark.parametrize("language", ["en", "zh"])
async def test_footage_pruned_while_its_render_waited_fails_as_expired_not_as_a_render_error(
    tmp_path: Path, clips: dict[str, Path], language: str
) -> None:
    """The pruner may take footage between an export's check and its render (a render queued for long behind
    others): the render then fails with the expired-footage code and words, which the bot answers as such."""
    async with (
        EngineServer(engine_settings(tmp_path)) as eng,
        httpx.AsyncClient(base_url=eng.url, timeout=60) as http,
    ):
        api = await Api(http).login(language)
        [uploaded] = await api.upload(clips["portrait"])
        draft = (await api.state())["draft"]
        rec = await eng.store.get_file(uploaded["id"])
        assert rec is not None
        now = time.time()
        await eng.store.add_render(RenderRecord("r_waited", rec.user_id, api.sid, "pending", 0.0, draft, {"format": "mp4"}, None, None, None,
                                                None, 0, now, now))
        rec.path.unlink()  # the pruner, meanwhile
        await eng.store.mark_removed("upload", rec.id, rec.path)
        await eng.renders._run("r_waited")
        async with NemoClient(eng.url) as client:
            status = await client.render_status(api.token, "r_waited", skill="nemo-video")
    assert status.status == "failed" and status.error == footage_expired_text(language)
    err = error_for(code=status.error_code, message=status.error)  # as the bot's render watcher reads it
    assert isinstance(err, FootageExpired)  # the bot's words: the footage expired, send the file again
