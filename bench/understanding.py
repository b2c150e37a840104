"""How well and how fast the built-in engine's planner reads instructions: the share of the phrasing corpus
(tests/engine/corpus/phrasings.tsv) it understands, by language, and the planner's time per message
(p50/p99 over several passes; goal p99 < 5 ms). With --misses it lists the rows it gets wrong.

    python bench/understanding.py [--passes 5] [--misses]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import percentile
from engine.understanding import plan
from tests.engine.test_understanding import load_rows, run, setting, understood


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passes", type=int, default=5, help="timed passes over the corpus")
    ap.add_argument("--misses", action="store_true", help="list the rows not understood")
    args = ap.parse_args()
    rows = load_rows()
    run(rows[0])  # imports and compiled patterns are not a message's cost
    ok: dict[str, list[bool]] = {"en": [], "zh": []}
    misses = []
    for row in rows:
        good, got = understood(row, run(row))
        ok["zh" if any("\u4e00" <= ch <= "\u9fff" for ch in row.text) else "en"].append(good)
        if not good:
            misses.append(f"  line {row.line}: {row.text!r} expected {row.expect}, got {got}")
    settings = [setting(row.context) for row in rows]  # the draft is the session's, not the planner's cost
    per_pass_p99 = []
    times_ms: list[float] = []
    cpu_ms: list[float] = []
    for _ in range(args.passes):
        this_pass = []
        for row, st in zip(rows, settings):
            t0, c0 = time.perf_counter(), time.thread_time()
            plan(row.text, st["draft"], st["media"], lang=st["lang"], last=st["last"])
            this_pass.append((time.perf_counter() - t0) * 1000)
            cpu_ms.append((time.thread_time() - c0) * 1000)
        times_ms.extend(this_pass)
        per_pass_p99.append(percentile(this_pass, 99))
    total = ok["en"] + ok["zh"]
    print(f"corpus rows: {len(rows)} (English {len(ok['en'])}, Chinese {len(ok['zh'])})")
    print(
        f"understood: {sum(total)}/{len(total)} = {100 * sum(total) / len(total):.1f}%"
        f"  (English {100 * sum(ok['en']) / max(1, len(ok['en'])):.1f}%,"
        f" Chinese {100 * sum(ok['zh']) / max(1, len(ok['zh'])):.1f}%)"
    )
    print(
        f"planner time per message over {args.passes} passes: p50 {percentile(times_ms, 50):.3f} ms,"
        f" p99 {percentile(times_ms, 99):.3f} ms (p99 per pass: median {statistics.median(per_pass_p99):.3f},"
        f" spread {min(per_pass_p99):.3f}-{max(per_pass_p99):.3f} ms), max {max(times_ms):.3f} ms"
    )
    print(
        f"planner CPU time per message (wall time less waits for a core): p50 {percentile(cpu_ms, 50):.3f} ms,"
        f" p99 {percentile(cpu_ms, 99):.3f} ms, max {max(cpu_ms):.3f} ms"
    )
    if args.misses and misses:
        print("not understood:")
        print("\n".join(misses))


if __name__ == "__main__":
    main()
