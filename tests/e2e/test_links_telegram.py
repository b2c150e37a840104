"""What a Telegram user gets at the end of an export with the built-in engine, through the real PTB
client and the Telegram stand-in: a link only when it opens for them (a public base URL in front of the
engine), the file alone otherwise, a smaller version when the file is over the limit, and the render's
own percentages (pushed by the engine, with the default poll interval of 30 s)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from engine.probe import probe
from engine.sample import make_sample_clip
from tests.e2e.telegram_engine import Bot, bot
from tests.renders import exported

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]
USER = 7
PUBLIC = "https://media.example.org"
UNREACHABLE = "https://nemobot-public.invalid"  # a name no resolver answers (RFC 6761)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_clip(tmp_path_factory.mktemp("clips") / "sample.mp4", 12, (640, 360))


async def export(b: Bot, sample: Path) -> None:
    b.tg.user_sends(USER, USER, video=b.tg.add_file(path=sample, name="clip.mp4", mime="video/mp4"))
    await b.tg.wait_for(lambda: any("Uploaded clip.mp4" in (m.text or m.caption or "") for m in b.tg.chat_log(USER)), timeout=60)
    b.tg.user_sends(USER, USER, "export")
    await b.tg.wait_for(lambda: any("Your video is ready" in (m.text or "") for m in b.tg.chat_log(USER)),
                        timeout=60)
    await b.core.idle(timeout=60)


def result_of(b: Bot) -> object:
    return next(m for m in b.tg.chat_log(USER) if "Your video is ready" in (m.text or ""))


async def test_with_a_public_base_url_the_link_is_shown_and_opens(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMOBOT_ENGINE_PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setenv("NEMOBOT_ENGINE_RENDER_AHEAD", "false")  # the render's own percentages are shown here
    async with bot(tmp_path) as b:
        await export(b, sample)
        result = result_of(b)
        assert any("%" in t and "rendering" in t for t in result.edits)  # type: ignore[attr-defined]
        link = next(w for w in (result.text or "").split() if w.startswith(PUBLIC))  # type: ignore[attr-defined]
        assert any(btn.get("url") == link for btn in result.buttons)  # type: ignore[attr-defined]
        parts = urlsplit(link)  # what a reverse proxy at the public address passes on to the engine
        async with httpx.AsyncClient(base_url=b.engine_url) as http:
            opened = await http.get(f"{parts.path}?{parts.query}")
            tampered = await http.get(f"{parts.path}?{parts.query.replace('exp=', 'exp=1')}")
        assert opened.status_code == 200 and opened.content[4:8] == b"ftyp"
        assert tampered.status_code == 403 and b"ftyp" not in tampered.content


async def test_without_one_the_file_alone_arrives_and_the_percentages_move(
        sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the subject is the render's progress: a draft rendered ahead (the default, while idle) has none to show
    monkeypatch.setenv("NEMOBOT_ENGINE_RENDER_AHEAD", "false")
    async with bot(tmp_path) as b:
        await export(b, sample)
        await b.tg.wait_for(lambda: b.tg.calls_to("sendVideo"), timeout=30)
        result = result_of(b)
        assert "http" not in " ".join(result.edits)  # type: ignore[attr-defined]
        assert not any("url" in btn for btn in result.buttons)  # type: ignore[attr-defined]
        shown = [t for t in result.edits if "rendering" in t]  # type: ignore[attr-defined]
        assert any("rendering 0%" not in t for t in shown), shown  # a real percentage, pushed by the engine
        video = b.tg.last_message(USER)
        assert video is not None and video.kind == "video"
        render = exported(tmp_path / "engine")
        assert video.file_size == render.stat().st_size


async def test_a_file_over_the_limit_gets_a_smaller_version_of_that_render_that_fits(
        sample: Path, tmp_path: Path) -> None:
    limit = int(0.4 * 1024 * 1024)
    async with bot(tmp_path, upload_limit_mb=0.4) as b:
        await export(b, sample)
        result = result_of(b)
        render = exported(tmp_path / "engine")
        assert render.stat().st_size > limit, "the sample must render over the limit for this test"
        assert "NEMOBOT_ENGINE_PUBLIC_BASE_URL" in (result.text or "")  # type: ignore[attr-defined]
        assert not b.tg.calls_to("sendVideo")
        b.tg.user_sends(USER, USER, "keep the first 4 seconds")  # the timeline changes before the press
        await b.tg.wait_for(lambda: "now 4 s" in (b.tg.chat_log(USER)[-1].text or ""), timeout=60)
        smaller = next(btn for btn in result.buttons if btn.get("text") == "Smaller version")  # type: ignore[attr-defined]
        b.tg.user_presses(USER, USER, result.message_id, smaller["callback_data"])  # type: ignore[attr-defined]
        await b.tg.wait_for(lambda: b.tg.calls_to("sendVideo"), timeout=90)
        await b.core.idle(timeout=60)
        video = b.tg.last_message(USER)
        assert video is not None and video.kind == "video" and 0 < (video.file_size or 0) <= limit
        got = tmp_path / "smaller.mp4"
        got.write_bytes(b.tg.files[video.file_id or ""].data or b"")
        assert abs((await probe(got)).duration - 12.0) < 0.5  # the render that was too big, not the 4 s timeline


async def test_the_bot_reads_the_files_the_inside_way_when_it_cannot_reach_the_public_address(
        sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The public address is for people: a bot whose host cannot resolve it (NAT, a firewall) still
    draws the footage, attaches the render and its poster, reading them at the engine's own address."""
    monkeypatch.setenv("NEMOBOT_ENGINE_PUBLIC_BASE_URL", UNREACHABLE)
    async with bot(tmp_path) as b:
        await export(b, sample)
        await b.tg.wait_for(lambda: b.tg.calls_to("sendVideo"), timeout=30)
        log = b.tg.chat_log(USER)
        ready = next(i for i, m in enumerate(log) if "Your video is ready" in (m.text or ""))
        assert any(m.kind == "photo" for m in log[:ready])  # the contact sheet after the upload
        text = log[ready].text or ""
        link = next(w for w in text.split() if w.startswith(UNREACHABLE + "/files/renders/"))
        assert any(btn.get("url") == link for btn in log[ready].buttons)  # people are shown the public link
        assert b.engine_url not in text
        video = b.tg.last_message(USER)
        assert video is not None and video.kind == "video"
        render = exported(tmp_path / "engine")
        assert video.file_size == render.stat().st_size
        assert video.raw["video"].get("thumbnail")  # its poster frame, read the inside way too
