"""The hand-editing page from Telegram (issue 21), through the real PTB client and the Telegram stand-in
on the built-in engine: the status answer offers an "Edit by hand" Mini App button (with a public HTTPS
base URL), the page opened with the Mini App's initData is dragged and applied in a real headless
chromium, the chat is told the new length at once in the user's language (and its next status answer shows
it), and the page's Export is delivered in the chat like a typed "export". Without a public base URL, no
button."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from engine.editor.access import sign_init_data
from engine.sample import make_sample_clip
from tests.browser import chromium
from tests.e2e.telegram_engine import Bot, bot

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]
USER = 7
PUBLIC = "https://media.example.org"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_clip(tmp_path_factory.mktemp("clips") / "sample.mp4", 12, (320, 180))


async def status(b: Bot, seen: int) -> object:
    """Ask /status; the answer (the text above the timeline picture) that came after ``seen`` messages."""
    b.tg.user_sends(USER, USER, "/status")
    await b.tg.wait_for(lambda: any("Timeline" in (m.text or m.caption or "") for m in b.tg.chat_log(USER)[seen:]),
                        timeout=60)
    await b.core.idle(timeout=30)
    return next(m for m in b.tg.chat_log(USER)[seen:] if "Timeline" in (m.text or m.caption or ""))


async def upload(b: Bot, sample: Path) -> None:
    b.tg.user_sends(USER, USER, video=b.tg.add_file(path=sample, name="clip.mp4", mime="video/mp4"))
    await b.tg.wait_for(lambda: any("Uploaded clip.mp4" in (m.text or m.caption or "") for m in b.tg.chat_log(USER)),
                        timeout=60)
    await b.core.idle(timeout=60)


def text_of(m: object) -> str:
    return str(getattr(m, "text", None) or getattr(m, "caption", None) or "")


async def page_address(b: Bot, lang: str) -> str:
    """The Mini App's address from the status answer's button, as the engine behind the public address
    gets it from Telegram: the reverse proxy passes the path on, Telegram adds the user's initData."""
    seen = len(b.tg.chat_log(USER))
    b.tg.user_sends(USER, USER, "/status")
    answer = await b.tg.wait_for(lambda: next((m for m in b.tg.chat_log(USER)[seen:]
                                               if any("web_app" in btn for btn in m.buttons)), None), timeout=60)
    await b.core.idle(timeout=30)
    apps = [btn["web_app"]["url"] for btn in answer.buttons if "web_app" in btn]
    assert len(apps) == 1 and apps[0].startswith(PUBLIC + "/edit/") and f"/tg{USER}?c=" in apps[0]
    parts = urlsplit(apps[0])
    user = json.dumps({"id": USER, "first_name": "Ann", "language_code": lang}, separators=(",", ":"))
    init = sign_init_data({"auth_date": str(int(time.time())), "user": user}, b.tg.token)
    return f"{b.engine_url}{parts.path}?{parts.query}#tgWebAppData={quote(init)}"


def wait_js(d: object, script: str, timeout: float = 20) -> object:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = d.execute_script("return " + script)  # type: ignore[attr-defined]
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"never true: {script}; page says: {d.execute_script('return msg.textContent')}")  # type: ignore[attr-defined]


def drag_end_and_apply(d: object) -> float:
    """Drag the first segment's end handle to the left and press Apply: the length the page shows after."""
    from selenium.webdriver.common.action_chains import ActionChains

    wait_js(d, "document.getElementById('len').textContent.startsWith('12.0')")
    handle = d.find_element("css selector", "#lane-v .seg[data-i='0'] .h.end")  # type: ignore[attr-defined]
    ActionChains(d).click_and_hold(handle).move_by_offset(-60, 0).move_by_offset(-60, 0).release().perform()
    d.find_element("id", "apply").click()  # type: ignore[attr-defined]
    wait_js(d, "/(now|现在)/.test(msg.textContent) && document.getElementById('apply').disabled")
    return float(str(d.execute_script("return document.getElementById('len').textContent"))  # type: ignore[attr-defined]
                 .rstrip("s秒 "))


async def test_edit_by_hand_in_the_mini_app_and_the_chat_says_the_new_length(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMOBOT_ENGINE_PUBLIC_BASE_URL", PUBLIC)
    async with bot(tmp_path) as b:
        await upload(b, sample)
        before = await status(b, 0)
        assert "0-12s" in text_of(before)
        page = await page_address(b, "en")

        def edit_by_hand() -> float:
            with chromium() as d:
                d.get(page)
                return drag_end_and_apply(d)

        seen = len(b.tg.chat_log(USER))
        seconds = await asyncio.to_thread(edit_by_hand)
        assert 4 < seconds < 11.5, seconds
        # the chat hears it at once, in words, in the user's language: the new length
        told = await b.tg.wait_for(lambda: next((m for m in b.tg.chat_log(USER)[seen:]
                                                 if "Edited by hand" in text_of(m)), None), timeout=30)
        assert f"The video is now {seconds:.1f} s." in text_of(told), text_of(told)
        assert "现在" not in text_of(told)
        after = await status(b, len(b.tg.chat_log(USER)))
        assert f"0-{seconds:g}s" in text_of(after), (seconds, text_of(after))


async def test_a_chinese_user_hears_it_in_chinese_and_the_pages_export_arrives_in_the_chat(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMOBOT_ENGINE_PUBLIC_BASE_URL", PUBLIC)
    async with bot(tmp_path) as b:
        await upload(b, sample)
        b.tg.user_sends(USER, USER, "/lang zh", language_code="zh-hans")
        await b.tg.wait_for(lambda: any("中文" in text_of(m) for m in b.tg.chat_log(USER)), timeout=30)
        page = await page_address(b, "zh")
        seen = len(b.tg.chat_log(USER))

        def edit_and_export() -> tuple[float, str]:
            with chromium() as d:
                d.get(page)
                seconds = drag_end_and_apply(d)
                d.find_element("id", "export").click()
                said = wait_js(d, "msg.textContent.includes('聊天') && msg.textContent")
                return seconds, str(said)

        seconds, said = await asyncio.to_thread(edit_and_export)
        told = await b.tg.wait_for(lambda: next((m for m in b.tg.chat_log(USER)[seen:]
                                                 if "已手动编辑" in text_of(m)), None), timeout=30)
        assert f"视频现在{seconds:.1f}秒。" in text_of(told) and "The video" not in text_of(told), text_of(told)
        # the page's Export is the chat's own: a status message that ticks, then the video in the chat
        video = await b.tg.wait_for(lambda: next((m for m in b.tg.chat_log(USER)[seen:] if m.kind == "video"), None),
                                    timeout=120)
        await b.core.idle(timeout=60)
        assert "视频会发到聊天中" in said
        assert video.file_size and any(m.edits for m in b.tg.chat_log(USER)[seen:])  # the status ticked
        assert any("已完成" in text_of(m) for m in b.tg.chat_log(USER)[seen:]), \
            [text_of(m) for m in b.tg.chat_log(USER)[seen:]]


async def test_without_a_public_https_address_no_button_and_nothing_breaks(sample: Path, tmp_path: Path) -> None:
    async with bot(tmp_path) as b:
        await upload(b, sample)
        answer = await status(b, 0)
        assert not any("web_app" in btn for btn in answer.buttons)  # type: ignore[attr-defined]
        assert any("callback_data" in btn for btn in answer.buttons)  # type: ignore[attr-defined]
