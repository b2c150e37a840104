"""The local engine: a server that speaks NEMO's HTTP API and really edits video with ffmpeg.

Public pieces: ``engine.server.EngineServer``, ``engine.settings.EngineSettings``,
``engine.sample.make_sample_clip`` and ``engine.main`` (the ``nemobot engine`` command).
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the engine server: ``nemobot engine [--host H] [--port P] [--data-dir DIR] ...``."""
    import argparse
    import asyncio
    from pathlib import Path

    from core.logs import setup_logging
    from core.settings import load_section

    from .settings import EngineSettings

    parser = argparse.ArgumentParser(
        prog="nemobot engine", description="Run the local NEMO-compatible engine"
    )
    parser.add_argument(
        "--config", type=Path, help="TOML settings file; its [engine] table (default: $NEMOBOT_CONFIG)"
    )
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (0 = any free port; default 8765)")
    parser.add_argument("--data-dir", type=Path, help="where sessions, media and renders are kept")
    parser.add_argument("--public-base-url", help="base of the URLs handed out for files")
    parser.add_argument("--static-token", help="a bearer token that is always accepted")
    parser.add_argument("--agent", choices=["planner", "llm"], help="planner (no model) or llm")
    parser.add_argument("--llm-model", help="LiteLLM model name of the llm agent, e.g. openai/qwen2.5:7b")
    parser.add_argument(
        "--llm-base-url", help="base URL of an OpenAI-compatible server (key: NEMOBOT_ENGINE_LLM_API_KEY)"
    )
    parser.add_argument("--concurrent-renders", type=int, help="renders one worker runs at once")
    parser.add_argument(
        "--role",
        choices=["api", "worker", "all"],
        help="api, worker or all (default); api and worker share a PostgreSQL (NEMOBOT_ENGINE_DATABASE_URL)",
    )
    parser.add_argument(
        "--worker", dest="role", action="store_const", const="worker", help="same as --role worker"
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(list(argv) if argv is not None else None)
    overrides = {k: v for k, v in vars(args).items() if v is not None and k not in ("log_level", "config")}
    try:
        settings = load_section(EngineSettings, args.config, **overrides)
    except ValueError as exc:  # pydantic's ValidationError: the settings' own words
        parser.error(str(exc))
    setup_logging(args.log_level, secrets=settings.secrets())

    from .server import serve_forever

    try:
        asyncio.run(serve_forever(settings))
    except KeyboardInterrupt:
        pass
    return 0


__all__ = ["main"]
