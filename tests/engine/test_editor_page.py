"""The hand-editing page (issue 21) in a real headless chromium at phone size, against the built-in
engine: the draft loads and plays, a dragged end handle / a shape / a retyped title applied are the
session's new draft (undoable), a stale page is refused and reloaded, bad links and initData get 403."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from PIL import Image

from engine.editor.access import INIT_DATA_HEADER, sign_init_data
from engine.server import EngineServer
from tests.browser import PHONE, chromium

from .conftest import Api, engine_settings

BOT_TOKEN = "123456:TEST-editor-token"
pytestmark = pytest.mark.slow  # a browser and an engine for each test


@pytest.fixture
async def eng(tmp_path: Path) -> Any:
    async with EngineServer(engine_settings(tmp_path, telegram_bot_token=BOT_TOKEN)) as e:
        yield e


@pytest.fixture
async def api(eng: EngineServer, clips: dict[str, Path]) -> Any:
    async with httpx.AsyncClient(base_url=eng.url, timeout=60) as http:
        a = await Api(http).login()
        await a.upload(clips["talk"])  # 20 s
        yield a


async def page_link(api: Api, platform: str = "console", user: str = "me") -> str:
    r = await api.http.post(f"/api/editor/nemo_agent/me/{api.sid}", json={"platform": platform, "user": user},
                            headers=api.auth)
    assert r.status_code == 200, r.text
    url = r.json()["data"]["url"]
    assert url
    return str(url)


def init_data(user_id: int, *, token: str = BOT_TOKEN, age: float = 0, lang: str = "en") -> str:
    user = json.dumps({"id": user_id, "first_name": "Ann", "language_code": lang}, separators=(",", ":"))
    return sign_init_data({"auth_date": str(int(time.time() - age)), "query_id": "AAH", "user": user}, token)


def wait(driver: Any, script: str, timeout: float = 20) -> Any:
    """Poll a JavaScript expression until it is truthy (the page works asynchronously)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = driver.execute_script("return " + script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"never true: {script}; message: {driver.execute_script('return msg.textContent')}")


def length_shown(driver: Any) -> float:
    return float(driver.execute_script("return document.getElementById('len').textContent").split()[0])


async def total_ms(api: Api) -> int:
    segs = (await api.state())["draft"]["t"][0]["sg"]
    return int(max(s["st"] + s["d"] for s in segs))


def drag(driver: Any, css: str, dx: int) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    el = driver.find_element("css selector", css)
    ActionChains(driver).click_and_hold(el).move_by_offset(dx // 2, 0).move_by_offset(dx - dx // 2, 0) \
        .release().perform()


async def run_in_thread(fn: Any, *args: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(fn, *args)


async def test_drag_end_handle_shape_and_title_apply_to_the_session(api: Api, tmp_path: Path) -> None:
    await api.chat('add the title "Finals", 5 seconds')
    url = await page_link(api)
    shot = tmp_path / "editor.png"

    def browse() -> dict[str, Any]:
        out: dict[str, Any] = {}
        with chromium() as d:
            d.get(url)
            wait(d, "document.getElementById('len').textContent === '20.0 s'")
            wait(d, "document.getElementById('v').readyState >= 2")
            d.find_element("id", "play").click()
            t0 = wait(d, "document.getElementById('v').currentTime > 0 && document.getElementById('v').currentTime")
            time.sleep(0.8)
            out["advanced"] = d.execute_script("return document.getElementById('v').currentTime") - t0
            out["segments"] = d.execute_script(
                "return [...document.querySelectorAll('#lane-v .seg')].map(e => e.getBoundingClientRect().width)")
            out["titles"] = d.execute_script("return document.querySelectorAll('#lane-t .txt').length")
            d.save_screenshot(str(shot))
            d.find_element("id", "play").click()  # pause

            drag(d, "#lane-v .seg[data-i='0'] .h.end", -90)
            out["dragged"] = length_shown(d)
            d.find_element("id", "apply").click()
            wait(d, "document.getElementById('msg').textContent.includes('now')")
            out["applied"] = length_shown(d)
            out["message"] = d.execute_script("return msg.textContent")

            d.find_element("css selector", "#shapes button[data-aspect='9:16']").click()
            out["crop_shown"] = d.execute_script("return !document.getElementById('crop').hidden")
            d.find_element("id", "apply").click()
            wait(d, "document.getElementById('msg').textContent.includes('9:16')")

            d.find_element("css selector", "#lane-t .txt[data-i='0'] span").click()
            wait(d, "!document.getElementById('tedit').hidden")
            box = d.find_element("id", "ttext")
            assert box.get_attribute("value") == "Finals"
            box.clear()
            box.send_keys("Semis")
            d.find_element("id", "apply").click()
            wait(d, "document.getElementById('msg').textContent.includes('Semis')")
        return out

    seen = await run_in_thread(browse)
    # the screenshot at phone size: a real draft loaded, the footage playing, the timeline drawn
    assert seen["advanced"] > 0.3, seen
    assert seen["segments"] and seen["segments"][0] > 200 and seen["titles"] == 1, seen
    img = Image.open(io.BytesIO(shot.read_bytes())).convert("RGB")
    assert img.size == (PHONE[0] * 2, PHONE[1] * 2)
    stage = img.crop((40, 160, 740, 500))
    assert len(stage.getcolors(maxcolors=1 << 20) or []) > 50  # footage, not a blank box

    # the drag: shorter on the page before applying, and the session's draft is what the page shows after
    assert 10 < seen["dragged"] < 19.5 and seen["applied"] == seen["dragged"], seen
    assert f"{seen['applied']:.1f} s" in seen["message"]
    state = await api.state()
    assert abs(await total_ms(api) - seen["applied"] * 1000) <= 50
    assert state["draft"]["cv"]["w"] == 1080 and state["draft"]["cv"]["h"] == 1920
    assert state["canvas_config"]["h"] == 1920
    titles = [s["m"]["text"] for s in state["draft"]["t"][-1]["sg"]]
    assert titles == ["Semis"]

    # edits of the same session: the chat's undo takes the last hand edit back
    undone = await api.chat("undo")
    assert undone.texts
    assert [s["m"]["text"] for s in (await api.state())["draft"]["t"][-1]["sg"]] == ["Finals"]


def tap_timeline(driver: Any, ms: float, scale: float) -> float:
    """Tap the timeline's empty music lane at ``ms``: the playhead goes there; the time the page shows."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    x, y = driver.execute_script(
        "const r = document.getElementById('tl-in').getBoundingClientRect(),"
        " m = document.getElementById('lane-m').getBoundingClientRect();"
        "return [r.left + arguments[0] * arguments[1], m.top + m.height / 2]", ms, scale)
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(int(x), int(y)).click()
    actions.perform()
    shown = str(driver.execute_script("return document.getElementById('time').textContent"))
    return float(re.match(r"[\d.]+", shown).group())  # type: ignore[union-attr]  # "1.7 s", "1.7秒"


async def test_split_at_the_playhead_delete_a_segment_and_move_a_title_by_hand(api: Api) -> None:
    await api.chat('add the title "Finals", 5 seconds')
    url = await page_link(api)

    def browse() -> dict[str, Any]:
        out: dict[str, Any] = {}
        with chromium() as d:
            d.get(url)
            wait(d, "document.getElementById('len').textContent === '20.0 s'")
            scale = d.execute_script("return (document.getElementById('tl').clientWidth - 28) / 20000")
            out["scale"] = scale
            out["cuts"] = []
            for ms in (5000, 12000):
                out["cuts"].append(tap_timeline(d, ms, scale))
                d.find_element("id", "split").click()
            out["after_splits"] = d.execute_script("return document.querySelectorAll('#lane-v .seg').length")
            d.find_element("css selector", "#lane-v .seg[data-i='1'] span").click()  # tap: select it
            wait(d, "!document.getElementById('del').disabled")
            d.find_element("id", "del").click()
            out["after_delete"] = d.execute_script("return document.querySelectorAll('#lane-v .seg').length")
            drag(d, "#lane-t .txt[data-i='0'] span", 50)  # the whole title later
            drag(d, "#lane-t .txt[data-i='0'] .h.end", 34)  # and longer
            d.find_element("id", "apply").click()
            wait(d, "document.getElementById('msg').textContent.includes('now')")
            out["message"] = d.execute_script("return msg.textContent")
            out["shown"] = length_shown(d)
            out["blocks"] = d.execute_script("return document.querySelectorAll('#lane-v .seg').length")
        return out

    seen = await run_in_thread(browse)
    first, second = seen["cuts"]
    assert abs(first - 5) <= 0.15 and abs(second - 12) <= 0.15, seen
    assert seen["after_splits"] == 3 and seen["after_delete"] == 2 and seen["blocks"] == 2, seen
    assert "Split at" in seen["message"] and "Segment 2 deleted." in seen["message"], seen
    state = await api.state()
    video = state["draft"]["t"][0]["sg"]
    assert len(video) == 2  # split twice, the middle one deleted
    total = await total_ms(api)
    assert abs(total - (20000 - (second - first) * 1000)) <= 120 and abs(total / 1000 - seen["shown"]) <= 0.05
    assert abs(video[1]["m"]["in"] - second * 1000) <= 120  # the footage after the deleted part plays on
    (title,) = state["draft"]["t"][-1]["sg"]
    assert title["m"]["text"] == "Finals"
    step = 1 / seen["scale"]  # milliseconds per CSS pixel
    assert abs(title["st"] - 50 * step) <= 3 * step and abs(title["d"] - (5000 + 34 * step)) <= 3 * step, title


async def test_a_chat_edit_meanwhile_refuses_the_page_edit_and_reloads(api: Api) -> None:
    url = await page_link(api)

    def browse(chat_edit: Any) -> tuple[str, float]:
        with chromium() as d:
            d.get(url)
            wait(d, "document.getElementById('len').textContent === '20.0 s'")
            chat_edit()
            drag(d, "#lane-v .seg[data-i='0'] .h.end", -60)
            d.find_element("id", "apply").click()
            wait(d, "document.getElementById('msg').textContent.includes('changed meanwhile')")
            wait(d, "document.getElementById('len').textContent === '10.0 s'")  # the draft as it is now
            return d.execute_script("return msg.textContent"), length_shown(d)

    import asyncio

    loop = asyncio.get_running_loop()

    def chat_edit() -> None:
        asyncio.run_coroutine_threadsafe(api.chat("keep 0 to 10"), loop).result(60)

    message, shown = await run_in_thread(browse, chat_edit)
    assert shown == 10.0
    assert "not applied" in message
    assert await total_ms(api) == 10000  # the chat's edit stands, the page's is not silently written over


async def test_telegram_page_needs_the_owners_valid_init_data(api: Api, eng: EngineServer) -> None:
    url = await page_link(api, "telegram", "4242")
    assert "/tg4242?" in url
    base, query = url.split("?", 1)
    http = api.http
    good = init_data(4242)
    assert (await http.get(f"{base}/draft?{query}", headers={INIT_DATA_HEADER: good})).status_code == 200
    for bad in ("", init_data(4242, token="999:other-bot"), init_data(7, lang="zh"),
                init_data(4242, age=eng.settings.telegram_init_max_age + 60), good.replace("Ann", "Eve")):
        r = await http.get(f"{base}/draft?{query}", headers={INIT_DATA_HEADER: bad})
        assert r.status_code == 403, bad
    r = await http.post(f"{base}/apply?{query}", headers={INIT_DATA_HEADER: init_data(7)},
                        json={"version": "x", "edits": [{"op": "delete", "seg": 0}]})
    assert r.status_code == 403
    # a tampered or expired link: 403 and a page saying so, in both languages
    tampered = url.replace("/tg4242?", "/tg4243?")
    page = await http.get(tampered)
    assert page.status_code == 403 and "not valid or has expired" in page.text and "已过期" in page.text
    expired = eng.links.sign(f"/edit/{api.sid}/any", ttl=-1)
    assert (await http.get(expired)).status_code == 403

    def browse() -> tuple[str, str, bool]:
        with chromium() as d:
            d.get(url + "#tgWebAppData=" + quote(init_data(4242, token="999:other-bot")))
            wait(d, "!document.getElementById('denied').hidden")
            denied = d.execute_script("return document.getElementById('denied').textContent")
            d.get(url + "#tgWebAppData=" + quote(init_data(4242, lang="zh")))
            d.refresh()
            wait(d, "document.getElementById('len').textContent === '20.0秒'")
            return denied, d.execute_script("return document.getElementById('apply').textContent"), \
                d.execute_script("return document.getElementById('denied').hidden")

    denied, apply_label, hidden = await run_in_thread(browse)
    assert "not valid or has expired" in denied
    assert apply_label == "应用" and hidden  # the owner's client said zh: the page speaks Chinese


async def test_no_telegram_page_without_the_bot_token(tmp_path: Path, clips: dict[str, Path]) -> None:
    async with EngineServer(engine_settings(tmp_path)) as e, httpx.AsyncClient(base_url=e.url) as http:
        a = await Api(http).login()
        r = await http.post(f"/api/editor/nemo_agent/me/{a.sid}", json={"platform": "telegram", "user": "5"},
                            headers=a.auth)
        assert r.json()["data"]["url"] is None
        r = await http.post(f"/api/editor/nemo_agent/me/{a.sid}", json={"platform": "discord", "user": "5"},
                            headers=a.auth)
        assert r.json()["data"]["url"].startswith(e.url + f"/edit/{a.sid}/any?exp=")
        assert (await http.post(f"/api/editor/nemo_agent/me/{a.sid}", json={})).status_code == 401


async def test_the_crop_frame_moved_to_the_left_is_what_the_export_shows(api: Api, tmp_path: Path) -> None:
    """The sample's bars run red (left) to cyan (right): a 9:16 frame dragged to the far left shows red."""
    import subprocess

    from engine.ffmpeg import find_ffmpeg
    from tests.clips import near

    base, query = (await page_link(api)).split("?", 1)
    version = (await api.http.get(f"{base}/draft?{query}")).json()["version"]
    r = await api.http.post(f"{base}/apply?{query}", json={
        "version": version, "edits": [{"op": "shape", "aspect": "9:16", "cx": 0, "cy": 0.5},
                                      {"op": "trim", "seg": 0, "in": 0, "d": 2000}]})
    assert r.status_code == 200, r.text
    out = await api.export(tmp_path / "out.mp4")
    png = tmp_path / "frame.png"
    subprocess.run([find_ffmpeg(), "-v", "error", "-ss", "1", "-i", str(out), "-frames:v", "1", str(png)], check=True)
    frame = Image.open(png).convert("RGB")
    assert frame.width < frame.height
    assert near(frame.getpixel((frame.width // 2, frame.height * 3 // 4)), (255, 0, 0), 80)
