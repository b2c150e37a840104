"""Shared fixtures: the stand-in NEMO on loopback, and a core wired to it at default settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bots.app import running_core
from core.conversation import Core
from core.settings import BotSettings, NemoSettings, Settings
from core.store import make_store
from core.store.base import Store
from tests.fakes.nemo import FakeNemo, RenderPlan
from tests.postgres import PG_URL, needs_postgres, throwaway_database
from tests.recording import RecordingPort

# A marker for tests whose export is incidental (render time is not their subject): the stand-in's renders
# are then finished at the first poll, so the bot, at its default 30 s cadence, delivers at once.
RENDERS_DONE_WHEN_POLLED = "renders_done_when_polled"


def cloud_settings(nemo_url: str, db_path: Path, **nemo: object) -> Settings:
    """The settings a user of the cloud backend gets, pointed at the stand-in NEMO and a test database.

    Every timing is the default: the stand-in, like NEMO's cloud, does not push, so a render is
    polled at once and then every ``render_poll_interval`` (30 s, the documented cadence). A test
    whose export is incidental has the stand-in finish its render before the first poll; one whose
    point is a timing sets that timing and says so on the line."""
    return Settings(
        bot=BotSettings(backend="cloud", db_path=db_path),
        nemo=NemoSettings(base_url=nemo_url, **nemo),  # type: ignore[arg-type]
    )


@pytest.fixture
async def nemo(request: pytest.FixtureRequest) -> AsyncIterator[FakeNemo]:
    """The stand-in NEMO; its renders take time as NEMO's do, unless the test (or its module) is marked
    ``renders_done_when_polled``: then every render is finished when first polled."""
    done = request.node.get_closest_marker(RENDERS_DONE_WHEN_POLLED) is not None
    async with FakeNemo(render_plan=RenderPlan(steps=0) if done else None) as fake:
        yield fake


@pytest.fixture
def settings(nemo: FakeNemo, tmp_path: Path) -> Settings:
    return cloud_settings(nemo.url, tmp_path / "bot.db")


@pytest.fixture
async def core(settings: Settings) -> AsyncIterator[Core]:
    async with running_core(settings) as running:
        yield running


@pytest.fixture
def port(core: Core) -> RecordingPort:
    recording = RecordingPort()
    core.register(recording)
    return recording


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=needs_postgres)])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Where a store lives: a SQLite file, and a throwaway database on a real PostgreSQL."""
    if request.param == "sqlite":
        yield str(tmp_path / "bot.db")
    else:
        async with throwaway_database(PG_URL or "") as url:
            yield url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """An open store of each backend."""
    db = make_store(store_url if store_url.startswith("postgresql://") else None, Path(store_url))
    await db.open()
    yield db
    await db.close()
