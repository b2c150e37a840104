"""What the bot keeps across restarts: ``Store`` (the interface), SQLite and PostgreSQL backends."""

from __future__ import annotations

from pathlib import Path

from core.store.base import Store


def make_store(database_url: str | None, db_path: Path) -> Store:
    """PostgreSQL when ``database_url`` names it (several bot processes); otherwise SQLite at ``db_path``."""
    if database_url and database_url.startswith(("postgresql://", "postgres://")):
        from core.store.postgres import PostgresStore

        return PostgresStore(database_url)
    if database_url:
        raise ValueError("NEMOBOT_DATABASE_URL must be a postgresql:// URL (or unset, for SQLite at db_path)")
    from core.store.sqlite import SqliteStore

    return SqliteStore(db_path)
