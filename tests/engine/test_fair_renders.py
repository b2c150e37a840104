"""Renders are taken per user in turn on both queues: with user A's ten exports queued and user B's one
queued after them, B waits for at most one of A's (``bench/fair_renders.py`` prints the same figure, and
the arrival-order baseline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fair_renders import b_wait
from engine.sample import make_sample_clip
from tests.postgres import PG_MISSING, PG_URL, throwaway_database


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_clip(tmp_path_factory.mktemp("fair") / "clip.mp4", 1.5, (160, 90))


@pytest.mark.slow
async def test_one_users_exports_wait_for_at_most_one_of_anothers(tmp_path: Path, short_clip: Path) -> None:
    assert await b_wait(tmp_path / "data", short_clip, exports=10) <= 1


@pytest.mark.slow
@pytest.mark.skipif(PG_URL is None, reason=PG_MISSING)
async def test_the_postgresql_queue_takes_users_in_turn_too(tmp_path: Path, short_clip: Path) -> None:
    assert PG_URL is not None
    async with throwaway_database(PG_URL) as url:
        assert await b_wait(tmp_path / "data", short_clip, exports=10, database_url=url) <= 1
