"""A real PostgreSQL server for the tests, and a throwaway database per test.

``NEMOBOT_TEST_DATABASE_URL`` names a server to use (its user must be allowed to create databases).
Otherwise the machine's Debian cluster is started with ``pg_ctlcluster`` (PostgreSQL refuses to run as
root, so ``initdb`` from a root test process cannot work; the Debian wrapper runs it as ``postgres``) and
a superuser role for the current user is created on first use; it is reached by its Unix socket. With
neither, the tests that need PostgreSQL are skipped with that reason.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

SOCKET_DIR = "/var/run/postgresql"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=False, capture_output=True, text=True, timeout=120)


def server_url() -> tuple[str | None, str]:
    """The URL of a running server's ``postgres`` database, or ``None`` and why not."""
    if os.environ.get("NEMOBOT_TEST_DATABASE_URL"):
        return os.environ["NEMOBOT_TEST_DATABASE_URL"], ""
    if not shutil.which("pg_lsclusters") or not shutil.which("pg_ctlcluster"):
        return None, "no PostgreSQL: install Debian's postgresql or set NEMOBOT_TEST_DATABASE_URL"
    if os.geteuid() != 0:
        return None, "PostgreSQL's cluster can be started here only as root; set NEMOBOT_TEST_DATABASE_URL"
    clusters = [line.split() for line in _run("pg_lsclusters", "--no-header").stdout.splitlines() if line.strip()]
    if not clusters:
        return None, "PostgreSQL is installed but has no cluster (pg_createcluster)"
    version, name, port, status = clusters[0][:4]
    if status != "online":
        started = _run("pg_ctlcluster", version, name, "start")
        if started.returncode != 0:
            return None, f"pg_ctlcluster {version} {name} start failed: {started.stderr.strip()[:200]}"
    user = getpass.getuser()
    role = _run("runuser", "-u", "postgres", "--", "psql", "-p", port, "-tAc",
                f"SELECT 1 FROM pg_roles WHERE rolname = '{user}'")
    if role.stdout.strip() != "1":
        made = _run("runuser", "-u", "postgres", "--", "psql", "-p", port, "-c",
                    f'CREATE ROLE "{user}" SUPERUSER LOGIN')
        if made.returncode != 0:
            return None, f"could not create a PostgreSQL role for {user}: {made.stderr.strip()[:200]}"
    return f"postgresql://{user}@/postgres?host={SOCKET_DIR}&port={port}", ""


@asynccontextmanager
async def throwaway_database(url: str) -> AsyncIterator[str]:
    """A new, empty database on the server at ``url``; dropped afterwards."""
    name = f"nemobot_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(url)
        try:
            yield urlunsplit(parts._replace(path=f"/{name}"))
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


PG_URL, PG_MISSING = server_url()
needs_postgres = pytest.mark.skipif(PG_URL is None, reason=PG_MISSING)
