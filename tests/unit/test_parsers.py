"""Property tests: whatever NEMO (or a broken proxy) sends, the parsers answer or raise their own errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.i18n import timeline_summary
from core.nemo.client import parse_render_status
from core.nemo.draft import Change, Draft, draft_changes
from core.nemo.envelope import unwrap
from core.nemo.errors import NemoError, StreamFailed
from core.nemo.events import (
    EventReader,
    Heartbeat,
    StateDelta,
    Text,
    Thought,
    ToolCall,
    ToolResult,
    TurnComplete,
    parse_event,
)
from core.routing import Route, Translation, route, translate_gui

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# recursive JSON is slow to generate: fewer, richer examples keep each test near a second
RICH = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EVENT_TYPES = (Text, Thought, ToolCall, ToolResult, StateDelta, Heartbeat, TurnComplete)


def json_values(
    keys: st.SearchStrategy[str], scalars: st.SearchStrategy[Any] | None = None, max_leaves: int = 12
) -> st.SearchStrategy[Any]:
    """Any JSON value; dict keys drawn mostly from `keys` so the parsers' known paths are reached."""
    leaves = scalars if scalars is not None else (
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    )
    key = keys | st.text(max_size=6)
    return st.recursive(
        leaves,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(key, children, max_size=5),
        max_leaves=max_leaves,
    )


EVENT_KEYS = st.sampled_from([
    "content", "parts", "role", "text", "thought", "functionCall", "functionResponse", "id", "name", "args",
    "response", "partial", "turnComplete", "actions", "stateDelta", "draft", "errorCode", "errorMessage",
    "error", "error_details", "error_message", "message", "type",
])
ENVELOPE_KEYS = st.sampled_from(["code", "message", "msg", "data", "success", "error", "error_message"])
DRAFT_KEYS = st.sampled_from([
    "t", "tt", "sg", "d", "m", "st", "text", "title", "name", "filename", "src", "vol", "volume", "cv", "w", "h",
])
RENDER_KEYS = st.sampled_from([
    "data", "output", "url", "outputUrl", "status", "progress", "id", "taskId", "error", "errorMessage",
    "message", "size", "duration", "code", "success",
])
RENDER_SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["pending", "processing", "completed", "failed", "success", "error", "canceled", "DONE",
                       "inf", "-1e400", "nan", "150", "http://cdn/x.mp4", ""])
)
NO_NAN = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
NUMBERS = st.integers(min_value=-10**6, max_value=10**20) | st.floats(allow_nan=False) | st.text(max_size=5)


def event_objects() -> st.SearchStrategy[Any]:
    """ADK-event-like objects: the right skeleton with arbitrary values inside."""
    value = json_values(EVENT_KEYS, max_leaves=4)
    part = st.fixed_dictionaries({}, optional={
        "text": value | st.text(max_size=10), "thought": value | st.just(True),
        "functionCall": value, "functionResponse": value,
    })
    return st.fixed_dictionaries({}, optional={
        "content": value | st.fixed_dictionaries({"parts": st.lists(part | value, max_size=4)}),
        "partial": value, "turnComplete": value, "errorCode": value, "errorMessage": value, "error": value,
        "error_details": value, "actions": value | st.fixed_dictionaries({"stateDelta": value}),
    })


def check_events(events: list[Any]) -> None:
    assert events, "every line is at least a heartbeat"
    for event in events:
        assert isinstance(event, EVENT_TYPES) or type(event).__name__ == "_PartialText"


# -- SSE events -------------------------------------------------------------------------------------------


@FAST
@given(st.text())
def test_parse_event_on_any_text_only_raises_stream_failed(data: str) -> None:
    try:
        check_events(parse_event(data))
    except StreamFailed as exc:
        assert len(exc.message) <= 300


@FAST
@given(st.text(max_size=30))
def test_an_unparseable_error_line_is_a_stream_failure(message: str) -> None:
    line = '{"error": "' + message + ' \\'  # never valid JSON: a dangling escape
    with pytest.raises(StreamFailed):
        parse_event(line)


@RICH
@given(json_values(EVENT_KEYS) | event_objects())
def test_parse_event_on_any_json_only_raises_stream_failed(value: Any) -> None:
    data = json.dumps(value)
    try:
        check_events(parse_event(data))
    except StreamFailed:
        pass


@RICH
@given(st.lists(json_values(EVENT_KEYS) | event_objects() | st.text(max_size=20), max_size=4))
def test_event_reader_on_any_stream_only_raises_stream_failed(lines: list[Any]) -> None:
    reader = EventReader()
    for line in lines:
        data = line if isinstance(line, str) else json.dumps(line)
        try:
            out = reader.feed(data)
        except StreamFailed:
            return
        assert all(isinstance(event, EVENT_TYPES) for event in out)


@FAST
@given(st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=6), st.text(max_size=10))
def test_streamed_text_is_shown_once(chunks: list[str], tail: str) -> None:
    reader = EventReader()
    shown: list[Any] = []
    for chunk in chunks:
        shown += reader.feed(json.dumps({"content": {"parts": [{"text": chunk}]}, "partial": True}))
    shown += reader.feed(json.dumps({"content": {"parts": [{"text": "".join(chunks) + tail}]}}))
    assert "".join(e.text for e in shown if isinstance(e, Text)) == "".join(chunks) + tail


def test_a_deeply_nested_line_is_a_heartbeat_not_a_crash() -> None:
    assert parse_event("[" * 100_000) == [Heartbeat()]
    assert parse_event('{"a":' * 50_000) == [Heartbeat()]


def test_numeric_edge_values_in_error_events_are_stream_failures() -> None:
    with pytest.raises(StreamFailed):
        parse_event('{"errorCode": 1e999, "errorMessage": "overflow"}')
    with pytest.raises(StreamFailed):
        parse_event('{"errorCode": NaN}')


# -- envelopes ------------------------------------------------------------------------------------------


@RICH
@given(json_values(ENVELOPE_KEYS))
def test_unwrap_raises_only_nemo_errors(body: Any) -> None:
    try:
        payload = unwrap(body)
    except NemoError as exc:
        assert isinstance(str(exc), str) and isinstance(repr(exc), str)
        return
    if not isinstance(body, dict):
        assert payload is body


@settings(max_examples=100, deadline=None)
@given(json_values(ENVELOPE_KEYS, NO_NAN, max_leaves=6))
def test_a_zero_code_envelope_gives_its_data(data: Any) -> None:
    assert unwrap({"code": 0, "message": "ok", "data": data}) == data


@FAST
@given(st.integers(min_value=1, max_value=10**6) | st.integers(max_value=-1), st.text(max_size=20))
def test_a_nonzero_code_is_always_an_error(code: int, message: str) -> None:
    with pytest.raises(NemoError) as caught:
        unwrap({"code": code, "message": message, "data": {"x": 1}})
    assert caught.value.code == code


def test_unwrap_survives_overflowing_codes() -> None:
    with pytest.raises(NemoError):
        unwrap({"success": False, "code": float("inf"), "error": "boom"})
    with pytest.raises(NemoError):
        unwrap({"success": False, "code": float("nan")})


# -- drafts ---------------------------------------------------------------------------------------------


def draft_objects(scalars: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[Any]:
    value = json_values(DRAFT_KEYS, scalars, max_leaves=4)
    meta = st.dictionaries(DRAFT_KEYS, value | NUMBERS, max_size=4) | value
    segment = st.fixed_dictionaries({}, optional={"d": NUMBERS | value, "st": NUMBERS | value, "m": meta}) | value
    track = st.fixed_dictionaries({}, optional={"tt": st.sampled_from([0, 1, 7, 3, "7"]) | value,
                                                "sg": st.lists(segment, max_size=8) | value}) | value
    return st.fixed_dictionaries({}, optional={"t": st.lists(track, max_size=4) | value, "cv": value}) | value


@RICH
@given(draft_objects(), draft_objects())
def test_drafts_parse_summarise_and_compare_without_raising(a: Any, b: Any) -> None:
    before, after = Draft.parse(a), Draft.parse(b)
    for draft in (before, after):
        summary = timeline_summary(draft, "en")
        assert summary.startswith("Timeline (")
        assert draft.ready == (summary != "Timeline (0 tracks): empty")
        assert draft.duration_ms >= 0
        assert all(seg.start_ms >= 0 and seg.duration_ms >= 0 for t in draft.tracks for seg in t.segments)
    changes = draft_changes(before, after)
    assert all(isinstance(c, Change) and c.verb in ("added", "removed", "changed") for c in changes)


@RICH
@given(draft_objects(NO_NAN))
def test_a_draft_compared_with_itself_has_no_changes(raw: Any) -> None:
    assert draft_changes(Draft.parse(raw), Draft.parse(raw)) == []


# -- render status ------------------------------------------------------------------------------------------


@RICH
@given(json_values(RENDER_KEYS, RENDER_SCALARS))
def test_parse_render_status_never_raises(body: Any) -> None:
    status = parse_render_status("render_1", body)
    assert 0.0 <= status.progress <= 100.0
    assert isinstance(status.id, str) and status.id
    assert not (status.status == "completed" and not status.url)
    assert status.error == "" or status.status == "failed"
    assert len(status.error) <= 300


@FAST
@given(st.sampled_from(["output.url", "outputUrl", "data.outputUrl", "data.output.url"]),
       st.booleans(), st.dictionaries(RENDER_KEYS.filter(lambda k: k not in ("data", "output", "url", "outputUrl",
                                                                              "status", "code", "success")),
                                      RENDER_SCALARS, max_size=3))
def test_a_completed_render_finds_its_url_wherever_it_is(location: str, envelope: bool, noise: dict[str, Any]) -> None:
    body: dict[str, Any] = {"success": True, "data": {"id": "r1", "status": "completed", "progress": 100}} \
        if envelope else {"taskId": "r1", "status": "completed", "progress": 100, "output": {"size": 10}}
    body = {**noise, **body}
    node = body
    *parents, last = location.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = "https://cdn.example/r1.mp4"

    status = parse_render_status("r1", body)

    assert (status.status, status.url) == ("completed", "https://cdn.example/r1.mp4")


# -- routing and GUI translation -------------------------------------------------------------------------------


@FAST
@given(st.text(), st.booleans())
def test_route_never_raises(text: str, attached: bool) -> None:
    result = route(text, attached)
    assert isinstance(result, Route)
    if attached:
        assert result is Route.UPLOAD


@FAST
@given(st.text(), st.sampled_from(["en", "zh", "fr", ""]))
def test_translate_gui_never_raises(text: str, lang: str) -> None:
    result = translate_gui(text, lang)
    assert isinstance(result, Translation) and isinstance(result.text, str)
    assert result.text == result.text.strip()


@FAST
@given(st.sampled_from(["Click Export when you are ready.", "Press the Export button to download.",
                        "请点击导出按钮。", "Hit [Export] now"]), st.sampled_from(["en", "zh"]))
def test_click_export_always_offers_the_export(text: str, lang: str) -> None:
    result = translate_gui(text, lang)
    assert result.offer_export
    assert "click" not in result.text.lower() and "点击" not in result.text


@pytest.mark.parametrize("text", ["export", "Export it please", "导出", "导出视频", "请导出一下。", "下载"])
def test_a_bare_export_routes_to_the_export(text: str) -> None:
    assert route(text) is Route.EXPORT


@pytest.mark.parametrize("text", ["export as gif", "export it as a GIF", "导出为GIF", "导出成MP3", "导出封面"])
def test_an_export_in_another_format_is_an_edit(text: str) -> None:
    assert route(text) is Route.CHAT


@pytest.mark.parametrize("text", ["preview", "Preview please", "show me a preview", "preview it", "预览", "预览一下",
                                  "给我看看预览"])
def test_a_bare_preview_asks_for_a_preview(text: str) -> None:
    assert route(text) is Route.PREVIEW


@pytest.mark.parametrize("text", ["preview the intro with a title", "add a preview card", "preview in the timeline"])
def test_a_preview_with_more_words_is_an_edit(text: str) -> None:
    assert route(text) is Route.CHAT


@pytest.mark.parametrize("text", ["https://example.com/a.mp4", " https://a.example/x.mp4  http://b.example/y.mov "])
def test_a_message_of_links_alone_is_an_upload(text: str) -> None:
    assert route(text) is Route.UPLOAD


def test_a_link_with_words_is_an_instruction() -> None:
    assert route("cut the pauses in https://example.com/a.mp4") is Route.CHAT
