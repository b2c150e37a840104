"""agent = "llm": the rules first, then a real LiteLLM client on the wire to a scripted OpenAI-compatible
server (tests/fakes/openai). What the user sees: the model's edits applied and rendered, or, when the
model fails, one clear sentence in their language and nothing changed."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.llm import LITELLM_LOGGERS
from engine.model_agent import MODEL_FAILED
from engine.server import EngineServer
from tests.engine.conftest import Api, engine_settings, media_info
from tests.fakes.openai import FakeOpenAI, call, garbage, hang, text

KEY = "sk-test-a1b2c3d4e5f6"
# Messages no rule reads: they go to the model.
FRIEND = "can you do what my friend Sam suggested?"
FRIEND_ZH = "按我朋友小王说的改一下"


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


async def _engine_api(tmp_path: Path, llm: FakeOpenAI, **kw: Any) -> tuple[EngineServer, httpx.AsyncClient]:
    settings = engine_settings(
        tmp_path, agent="llm", llm_model="openai/editor-7b", llm_base_url=llm.base_url, llm_api_key=KEY, **kw
    )
    eng = EngineServer(settings)
    await eng.start()
    return eng, httpx.AsyncClient(base_url=eng.url, timeout=60)


@pytest.fixture
async def api(tmp_path: Path, llm: FakeOpenAI, clips: dict[str, Path]) -> AsyncIterator[Api]:
    eng, http = await _engine_api(tmp_path, llm)
    try:
        a = await Api(http).login()
        await a.upload(clips["talk"])
        yield a
    finally:
        await http.aclose()
        await eng.stop()


async def test_the_model_edits_and_the_render_shows_it(api: Api, llm: FakeOpenAI, tmp_path: Path) -> None:
    llm.script(call(("keep_range", {"start": 2, "end": 6})), text("Kept seconds 2 to 6, as Sam said."))
    s = await api.chat(FRIEND)
    assert [c["name"] for c in s.calls] == ["keep_range"]
    assert s.texts[-1] == "Kept seconds 2 to 6, as Sam said."
    first = llm.requests[0]
    assert first.model == "editor-7b" and first.authorization == f"Bearer {KEY}" and not first.stream
    assert {"keep_range", "cut_range", "set_aspect", "undo"} <= set(first.tools)
    assert any(m["role"] == "user" and FRIEND in str(m["content"]) for m in first.messages)
    out = await api.export(tmp_path / "kept.mp4")
    assert abs(media_info(out).duration - 4.0) < 0.2


async def test_a_streamed_answer_is_streamed_on(api: Api, llm: FakeOpenAI) -> None:
    llm.script(call(("set_aspect", {"aspect": "9:16"})), text("Now vertical, ready for phones."))
    s = await api.chat(FRIEND, streaming=True)
    assert all(r.stream for r in llm.requests) and len(llm.requests) == 2
    assert any(e.get("partial") for e in s.events), "the answer came in chunks"
    final = [e for e in s.events if not e.get("partial")]
    parts = [p for e in final for p in e.get("content", {}).get("parts", [])]
    assert [p["functionCall"]["name"] for p in parts if "functionCall" in p] == ["set_aspect"]
    assert [p["text"] for p in parts if "text" in p] == ["Now vertical, ready for phones."]
    assert (await api.state())["canvas_config"]["h"] == 1920


async def test_the_rules_go_first_and_the_model_is_not_asked(api: Api, llm: FakeOpenAI) -> None:
    s = await api.chat("trim it to the first 5 seconds")
    assert [c["args"]["op"] for c in s.calls] == ["keep_range"]
    assert llm.requests == []


@pytest.mark.parametrize(
    ("message", "lang"),
    [(FRIEND, "en"), (FRIEND_ZH, "zh")],
)
async def test_garbage_from_the_model_changes_nothing(
    api: Api,
    llm: FakeOpenAI,
    clips: dict[str, Path],
    message: str,
    lang: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await api.login(lang)  # the answer is in the session's language
    await api.upload(clips["talk"])
    before = await api.state()
    llm.script(garbage())
    s = await api.chat(message)
    assert s.texts == [MODEL_FAILED[lang]]
    assert await api.state() == before
    assert "taken back" in caplog.text and KEY not in caplog.text  # the operator sees why, never the key
    # LiteLLM's lines go through the application's (redacting) handlers only, none of its own to stderr
    assert not [h for name in LITELLM_LOGGERS for h in logging.getLogger(name).handlers]


async def test_a_failure_after_an_edit_takes_the_whole_turn_back(api: Api, llm: FakeOpenAI) -> None:
    before = await api.state()
    llm.script(call(("keep_range", {"start": 2, "end": 6})), garbage(b'{"choices": "nope"}'))
    s = await api.chat(FRIEND)
    assert [c["name"] for c in s.calls] == ["keep_range"]  # applied, then taken back
    assert s.texts[-1] == MODEL_FAILED["en"]
    assert (await api.state())["draft"] == before["draft"]
    s = await api.chat("undo")
    assert s.texts == ["Nothing to undo."]  # the taken-back turn left no undo step behind


async def test_a_broken_tool_call_changes_nothing(api: Api, llm: FakeOpenAI) -> None:
    before = await api.state()
    llm.script(call(("cut_range", '{"start": 2, "end"')))  # arguments cut off mid-JSON
    s = await api.chat(FRIEND)
    assert s.texts == [MODEL_FAILED["en"]] and s.calls == []
    assert await api.state() == before


async def test_a_model_that_never_answers_times_out_cleanly(
    tmp_path: Path, llm: FakeOpenAI, clips: dict[str, Path]
) -> None:
    eng, http = await _engine_api(tmp_path, llm, llm_timeout=1.0)  # timing is the point: the time limit
    try:
        api = await Api(http).login("zh")  # a Chinese session: answers in Chinese
        await api.upload(clips["talk"])
        before = await api.state()
        llm.script(hang())
        t0 = time.monotonic()
        s = await api.chat(FRIEND_ZH)
        assert time.monotonic() - t0 < 10
        assert s.texts == [MODEL_FAILED["zh"]]
        assert len(llm.requests) == 1  # no silent retries multiplying the wait
        assert await api.state() == before
    finally:
        await http.aclose()
        await eng.stop()


async def test_the_model_reaches_the_new_edits(api: Api, llm: FakeOpenAI, tmp_path: Path) -> None:
    looks = call(("set_look", {"name": "bw"}), ("rotate", {"degrees": 90}))
    llm.script(looks, text("Black and white, upright."))
    s = await api.chat(FRIEND)
    assert [c["name"] for c in s.calls] == ["set_look", "rotate"]
    assert {"reverse", "zoom", "add_watermark", "export_as"} <= set(llm.requests[0].tools)
    info = media_info(await api.export(tmp_path / "model.mp4"))
    assert (info.width, info.height) == (180, 320)


async def test_the_model_reaches_the_caption_edits(api: Api, llm: FakeOpenAI) -> None:
    typed = call(("add_captions", {"text": "Hello there. Today we cook pasta together."}))
    styled = call(("caption_style", {"position": "top", "size": 1.25}), ("fix_caption", {"old": "pasta", "new": "noodles"}))
    llm.script(typed, styled, call(("export_captions", {})), text("Captions added at the top; here is the file."))
    s = await api.chat(FRIEND)
    assert [c["name"] for c in s.calls] == ["add_captions", "caption_style", "fix_caption", "export_captions"]
    assert {"add_captions", "caption_style", "fix_caption", "remove_captions", "export_captions"} <= set(
        llm.requests[0].tools
    )
    draft = (await api.state())["draft"]
    words = " ".join(x["m"]["text"] for t in draft["t"] for x in t["sg"] if x["m"].get("kind") == "caption")
    assert "noodles" in words and "pasta" not in words
    assert draft["fx"]["cap"]["pos"] == "top"
    results = [p["functionResponse"]["response"] for e in s.events for p in e.get("content", {}).get("parts", [])
               if "functionResponse" in p]
    assert any(".srt" in str(r.get("url", "")) for r in results)
    llm.script(call(("remove_captions", {})), text("Captions off."))
    await api.chat(FRIEND)
    draft = (await api.state())["draft"]
    assert not [x for t in draft["t"] for x in t["sg"] if x["m"].get("kind") == "caption"]
