"""``python -m engine`` (what ``nemobot engine`` runs): starts, answers, stops on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bots.cli import main as nemobot
from engine import main


def test_help_lists_the_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--host" in out and "--port" in out and "--data-dir" in out


def test_nemobot_engine_help_lists_the_engine_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        nemobot(["engine", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: nemobot engine")
    for flag in ("--port", "--host", "--data-dir", "--agent", "--llm-model", "--llm-base-url"):
        assert flag in out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("command", [["-m", "engine"], ["-m", "bots.cli", "engine"]], ids=["python -m engine", "nemobot engine"])
def test_engine_command_serves_and_stops(tmp_path: Path, command: list[str]) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, *command, "--port", str(port), "--data-dir", str(tmp_path / "d")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        url = None
        assert proc.stdout is not None
        for line in proc.stdout:
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                url = m.group(1)
                break
        assert url == f"http://127.0.0.1:{port}", "the engine listens where it was told"
        assert httpx.get(url + "/health", timeout=10).json()["data"]["status"] == "ok"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert (tmp_path / "d" / "engine.db").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
