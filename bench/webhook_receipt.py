"""What keeping a webhook update costs the store: noted before the 200, marked done once handled.

Per update, in ms: ``note_update`` (on the path to Telegram's 200) and ``done_update`` (after the handler),
on SQLite and on PostgreSQL (a local socket), sides alternated, 3 rounds (medians and spread).
Needs a PostgreSQL server for its side (as the tests find one); without one only SQLite is measured.

    python bench/webhook_receipt.py [--updates 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.conversation.queue import JOB_LEASE
from core.store import make_store
from tests.postgres import PG_MISSING, PG_URL, throwaway_database

UPDATE = {"update_id": 0, "message": {"message_id": 1, "date": 1_700_000_000, "text": "make it vertical",
                                      "chat": {"id": 1001, "type": "private"}, "from": {"id": 1001}}}


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"


async def ms_per_update(url: str | None, path: Path, updates: int) -> tuple[float, float]:
    store = make_store(url, path)
    await store.open()
    try:
        noting = done = 0.0
        for update_id in range(updates):
            started = time.perf_counter()
            await store.note_update("telegram", update_id, "bench", JOB_LEASE, UPDATE | {"update_id": update_id})
            noted = time.perf_counter()
            await store.done_update("telegram", update_id)
            noting += noted - started
            done += time.perf_counter() - noted
        return noting / updates * 1000, done / updates * 1000
    finally:
        await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=300)
    args = parser.parse_args()
    sides = ["sqlite"] + (["postgres"] if PG_URL else [])
    if not PG_URL:
        print(f"PostgreSQL side skipped: {PG_MISSING}")
    notes: dict[str, list[float]] = {side: [] for side in sides}
    dones: dict[str, list[float]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory(prefix="webhook-receipt-") as tmp:
        for round_ in range(3):
            for side in sides if round_ % 2 == 0 else reversed(sides):
                if side == "postgres":
                    assert PG_URL is not None
                    async with throwaway_database(PG_URL) as db:
                        note, done = await ms_per_update(db, Path(tmp) / "unused.db", args.updates)
                else:
                    note, done = await ms_per_update(None, Path(tmp) / f"bot-{round_}.db", args.updates)
                notes[side].append(note)
                dones[side].append(done)
    print(f"store cost per webhook update, ms, {args.updates} updates, 3 rounds:")
    for side in sides:
        print(f"  {side}: noted before the 200 {spread(notes[side])}; marked done {spread(dones[side])}")


if __name__ == "__main__":
    asyncio.run(main())
