"""Tests, benches and the demo run at the timings a user gets.

A line in tests/, bench/ or bots/demo.py that sets a timing (a settings field such as
``render_poll_interval=``, its environment variable ``NEMO_RENDER_POLL_INTERVAL``, or a module constant
such as ``RENDER_LEASE`` through ``setattr``) must say on that line why: ``# timing is the point: …``.
Otherwise the figures and the green suite describe a bot nobody runs."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from core.settings import BotSettings, DiscordSettings, NemoSettings, Section, TelegramSettings
from engine.settings import EngineSettings

ROOT = Path(__file__).resolve().parents[2]
MARKER = "# timing is the point:"
SECTIONS: tuple[type[Section], ...] = (BotSettings, NemoSettings, TelegramSettings, DiscordSettings, EngineSettings)
TIMING_WORDS = re.compile(r"interval|wait|timeout|deadline|margin|lifetime|lease|ttl|per_second|per_minute")
CONSTANT = re.compile(
    r"^([A-Z][A-Z0-9_]*(?:LEASE|RETRY|INTERVAL|EVERY|WAIT|WINDOW|TIMEOUT|TTL|DEADLINE)[A-Z0-9_]*)\s*[:=]", re.MULTILINE)
# the timings of a running render watcher or status message, set on the object
ATTRIBUTES = ("poll_interval", "deadline", "lease", "interval", "still_after")


def timing_fields(section: type[BaseModel]) -> list[str]:
    return [name for name in section.model_fields if TIMING_WORDS.search(name)]


def setters() -> re.Pattern[str]:
    """What setting a timing looks like: a keyword or assignment of a field, its environment
    variable, or a module constant replaced through setattr."""
    fields = {name for section in SECTIONS for name in timing_fields(section)}
    env = {f"{section.model_config.get('env_prefix', '')}{name}".upper()
           for section in SECTIONS for name in timing_fields(section)}
    code = [path.read_text() for folder in ("core", "bots", "engine") for path in (ROOT / folder).rglob("*.py")]
    constants = {m.group(1) for text in code for m in CONSTANT.finditer(text)}
    either = "|".join(sorted(constants))
    # parameters whose default is one of those constants (``poll_timeout: int = POLL_TIMEOUT``; plain
    # ``timeout``/``window`` are too common a word to tell apart)
    parameters = {m.group(1) for text in code for m in re.finditer(rf"\b(\w+_\w+): [\w. |]+ = (?:{either})\b", text)}
    return re.compile("|".join([
        rf"\b(?:{'|'.join(sorted(fields | parameters))})\b\s*=(?!=)",
        rf"\b(?:{'|'.join(sorted(env))})\b",
        rf"setattr\(.*\b(?:{either})\b",
        rf"\.(?:{'|'.join(ATTRIBUTES)})\s*=(?!=)",
    ]))


def sources() -> list[Path]:
    files = [*(ROOT / "tests").rglob("*.py"), *(ROOT / "tests").rglob("*.toml"), *(ROOT / "bench").rglob("*.py"),
             ROOT / "bots" / "demo.py"]
    return sorted(path for path in files if path != Path(__file__).resolve())


def unmarked_timings() -> list[str]:
    pattern = setters()
    found = []
    for path in sources():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line) and MARKER not in line:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_the_guard_knows_the_timings_a_test_would_shorten() -> None:
    pattern = setters()
    for line in ['settings = Settings(nemo=NemoSettings(render_poll_interval=0.05))',
                 'settings.bot.status_interval = 0.1',
                 'env["NEMO_RENDER_POLL_INTERVAL"] = "0.05"',
                 'monkeypatch.setattr(renders, "RENDER_LEASE", 0.5)',
                 'EngineSettings(render_lease=1.0)',
                 'TelegramSettings(sends_per_second=1000)',
                 'running_bot(core, settings, poll_timeout=1, album_window=0.2)',
                 'core.renders.poll_interval = 0.05']:
        assert pattern.search(line), line
    for line in ['print(settings.nemo.render_poll_interval)', 'if settings.bot.status_interval == 5:',
                 'await nemo.wait_for(lambda: done, timeout=15)', '@settings(max_examples=400, deadline=None)']:
        assert not pattern.search(line), line


def test_no_test_bench_or_demo_sets_a_timing_without_saying_it_is_the_point() -> None:
    assert unmarked_timings() == [], (
        f"set the default instead, or say why on the line with '{MARKER} …':\n" + "\n".join(unmarked_timings()))
