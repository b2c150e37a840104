"""The ``nemobot`` command: ``console``, ``telegram``, ``discord``, ``run`` (every configured
surface on one loop), ``engine`` (the local NEMO-compatible server) and ``demo``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from core.logs import setup_logging
from core.settings import Settings, settings_secrets

log = logging.getLogger("nemobot")


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.load(args.config)
    if getattr(args, "backend", None):
        settings.bot.backend = args.backend
    return settings


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _log_file(settings: Settings, command: str) -> Path | None:
    """Where logs go: the setting, else stderr; a console in a terminal keeps the screen for the talk."""
    if settings.bot.log_file is not None:
        return settings.bot.log_file
    if command == "console" and _interactive():
        return settings.bot.db_path.parent / "console.log"
    return None


async def _console(settings: Settings, log_file: Path | None) -> None:
    from bots.app import running_core
    from bots.console.app import run_console, stdin_lines

    async with running_core(settings) as core:
        tty = _interactive()
        if tty:
            print("nemobot console: type an instruction, /upload PATH to send a file, /help, /quit."
                  + (f" (log: {log_file})" if log_file else ""))
        await run_console(core, stdin_lines(), sys.stdout, tty=tty)


async def _surfaces(settings: Settings, names: Sequence[str]) -> None:
    from bots.app import running_core

    if not names:
        raise SystemExit("nothing to run: set TELEGRAM_TOKEN and/or DISCORD_TOKEN")
    async with running_core(settings) as core:
        runners = []
        if "telegram" in names:
            from bots.telegram.app import run_telegram

            runners.append(run_telegram(core, settings))
        if "discord" in names:
            from bots.discord.app import run_discord

            runners.append(run_discord(core, settings))
        await asyncio.gather(*runners)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # Ctrl-C's way: asyncio.run's SIGINT handler cancels the main task, so every part stops in order
    # (raising KeyboardInterrupt here instead would land in whatever callback runs, PTB's polling say)
    signal.raise_signal(signal.SIGINT)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nemobot", description="Edit video by chatting.")
    parser.add_argument("--config", type=Path, help="TOML settings file (default: $NEMOBOT_CONFIG)")
    parser.add_argument("--backend", choices=["engine", "cloud"], help="local engine or NEMO's cloud")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("console", help="talk to the bot in this terminal (or pipe it one message per line)")
    sub.add_parser("telegram", help="run the Telegram bot")
    sub.add_parser("discord", help="run the Discord bot")
    sub.add_parser("run", help="run every surface that has a token")
    # the engine's options (and its --help) are its own: everything after `engine` goes to it
    sub.add_parser("engine", help="run the local NEMO-compatible engine server", add_help=False)
    demo = sub.add_parser("demo", help="offline demo: sample clip, local engine, highlight reel, MP4")
    demo.add_argument("--out", type=Path, default=Path("var/demo"), help="where to put the clip and database")
    demo.add_argument("--seconds", type=float, default=40.0, help="length of the generated sample clip")
    args, rest = parser.parse_known_args(argv)

    if args.command == "engine":
        from engine import main as engine_main

        return int(engine_main((["--config", str(args.config)] if args.config else []) + rest) or 0)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # a deploy's stop is as clean as Ctrl-C
    settings = _settings(args)
    log_file = _log_file(settings, args.command)
    setup_logging(settings.bot.log_level, json_lines=settings.bot.log_json,
                  secrets=settings_secrets(settings), path=log_file)
    try:
        if args.command == "console":
            asyncio.run(_console(settings, log_file))
        elif args.command == "demo":
            from bots.demo import run_demo

            return asyncio.run(run_demo(settings, args.out, args.seconds))
        else:
            names = {"run": ["telegram", "discord"], "telegram": ["telegram"], "discord": ["discord"]}[args.command]
            if args.command == "run":
                names = [n for n in names if getattr(settings, n).token is not None]
            asyncio.run(_surfaces(settings, names))
    except KeyboardInterrupt:
        log.info("nemobot %s stopped", args.command)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
