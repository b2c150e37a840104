"""``make bench``: every figure script in bench/, one after another, with a short configuration
each (pass --full for the sizes the issues name). Each script also runs on its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK: dict[str, list[str]] = {
    "sse_pipeline.py": ["--events", "20000", "--rounds", "5"],
    "upload.py": ["--mb", "500", "--rounds", "3"],
    "engine_recipe.py": ["--seconds", "20"],
    "engine_edits.py": ["--seconds", "6", "--height", "540"],
    "llm_turn.py": ["--turns", "10"],
    "export_latency.py": ["--exports", "3"],
    "smaller_version.py": ["--runs", "3"],
    "engine_highlights.py": ["--minutes", "3"],
    "demo.py": [],
    "telegram_overhead.py": ["--rounds", "1"],
    "telegram_load.py": ["--chats", "200"],
    "discord_load.py": ["--n", "200"],
    "engine_load.py": ["--conversations", "30"],
    "pictures.py": ["--minutes", "2", "--rounds", "3", "--draws", "100"],
    "scale_out.py": ["--renders", "12", "--rounds", "2", "--takeovers", "1", "--messages", "200"],
}


def main() -> int:
    full = "--full" in sys.argv
    failures = 0
    for script in sorted(HERE.glob("*.py")):
        if script.name in ("run_all.py", "__init__.py") or script.name.startswith("_") \
                or script.name.endswith("_stage.py"):  # stages are run by the load benches
            continue
        args = [] if full else QUICK.get(script.name, [])
        print(f"\n== {script.name} {' '.join(args)}", flush=True)
        failures += subprocess.run([sys.executable, str(script), *args], cwd=HERE.parent, check=False).returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
