"""The health and metrics endpoint of the bot process (Prometheus text format)."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from bots.app import running_core
from core.ports import Attachment, Incoming, Target
from tests.conftest import cloud_settings
from tests.fakes.nemo import FakeNemo
from tests.recording import RecordingPort


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.renders_done_when_polled  # render time is not this test's subject
async def test_metrics_count_updates_errors_jobs_and_render_seconds(nemo: FakeNemo, tmp_path: Path) -> None:
    settings = cloud_settings(nemo.url, tmp_path / "bot.db")
    settings.bot.metrics_port = free_port()
    async with running_core(settings) as core:
        port = RecordingPort()
        core.register(port)
        ann = Target("test", "c", "ann")

        async def data():  # type: ignore[no-untyped-def]
            yield b"x" * 100

        nemo.fail_next("upload", code=4002)
        await core.handle(Incoming(ann, attachments=[Attachment("a.mp4", 100, open=data)]))
        await core.idle()
        await core.handle(Incoming(ann, attachments=[Attachment("a.mp4", 100, open=data)]))
        await core.idle()
        await core.handle(Incoming(ann, text="export"))
        await core.idle()
        base = f"http://127.0.0.1:{settings.bot.metrics_port}"
        async with httpx.AsyncClient() as http:
            health = await http.get(f"{base}/healthz")
            metrics = (await http.get(f"{base}/metrics")).text
    assert health.status_code == 200 and health.text.strip() == "ok"
    assert 'nemobot_updates_total{kind="file",platform="test"} 2.0' in metrics
    assert 'nemobot_updates_total{kind="text",platform="test"} 1.0' in metrics
    assert 'nemobot_nemo_errors_total{code="4002"} 1.0' in metrics
    assert 'nemobot_jobs{state="running"} 0.0' in metrics
    assert "nemobot_render_seconds_count 1.0" in metrics
