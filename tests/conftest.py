"""Shared fixtures: the stand-in NEMO on loopback, and a core wired to it with fast timings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bots.app import running_core
from core.conversation import Core
from core.settings import BotSettings, NemoSettings, Settings
from core.store import make_store
from core.store.base import Store
from tests.fakes.nemo import FakeNemo
from tests.postgres import PG_URL, needs_postgres, throwaway_database
from tests.recording import RecordingPort


def fast_settings(nemo_url: str, db_path: Path, **nemo: object) -> Settings:
    """Settings for tests: the cloud backend pointed at a stand-in, every wait shortened.

    The render poll is shortened because the stand-in, like NEMO's cloud, does not push: renders on
    the cloud path are followed at ``render_poll_interval`` (30 s by default, the documented cadence).
    The built-in engine's path runs at default settings (tests/e2e/test_engine_surfaces.py,
    test_links_telegram.py, test_links_discord.py): it pushes, so no test there shortens a wait."""
    return Settings(
        bot=BotSettings(backend="cloud", db_path=db_path, status_interval=0.05, still_working_interval=60.0),
        nemo=NemoSettings(
            base_url=nemo_url, render_poll_interval=0.05, rate_limit_wait=0.05, request_timeout=10.0,
            **nemo,  # type: ignore[arg-type]
        ),
    )


@pytest.fixture
async def nemo() -> AsyncIterator[FakeNemo]:
    async with FakeNemo() as fake:
        yield fake


@pytest.fixture
def settings(nemo: FakeNemo, tmp_path: Path) -> Settings:
    return fast_settings(nemo.url, tmp_path / "bot.db")


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
