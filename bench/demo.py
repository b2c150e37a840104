"""``nemobot demo`` end to end, in seconds: sample clip, local engine, highlight reel, export, probe.

    python bench/demo.py [--runs 1]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    times = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "bots.cli", "demo", "--out", tmp], cwd=ROOT,
                                  capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                print(done.stdout[-2000:], done.stderr[-2000:])
                raise SystemExit("the demo failed")
            described = [line.strip() for line in done.stdout.splitlines() if " s, " in line and "x" in line]
    print(f"nemobot demo end to end: {statistics.median(times):.1f} s (median of {args.runs}); "
          f"result: {described[-1] if described else '?'}")


if __name__ == "__main__":
    main()
