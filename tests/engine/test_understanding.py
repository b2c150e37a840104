"""The phrasing corpus: instructions as people type them to short-video editors, and the operations each
must produce (tests/engine/corpus/phrasings.tsv, one row per instruction; its header says the format)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine import draft as dr
from engine.understanding import Op, Plan, plan
from engine.understanding.replies import HELP_EN, HELP_ZH

CORPUS = Path(__file__).parent / "corpus" / "phrasings.tsv"


@dataclass(frozen=True)
class Row:
    line: int
    text: str
    expect: str
    context: str


def load_rows(path: Path = CORPUS) -> list[Row]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise ValueError(f"{path.name}:{n}: a row needs text<TAB>expected")
        rows.append(
            Row(
                n, parts[0].replace("\\n", "\n"), parts[1].strip(), parts[2].strip() if len(parts) > 2 else ""
            )
        )
    return rows


def _value(v: str) -> Any:
    if v == "null":
        return None
    try:
        return float(v)
    except ValueError:
        return v


# The expected column: operations "name key=value ...; name ..." (only the keys given are checked), or
# "ask" (one question with choices, no edit), "note" (a specific answer, no edit), "near" (not understood:
# the closest edits are offered; a value null is None), "help" (the help list), "unknown" (no edit; near or help). The context column: len=SECONDS of the video
# (default 20), speed=F and music (the draft has them), logo / srt (an image / .srt was uploaded),
# nofootage, lang=zh|en (the session's language), captions (the draft has captions), last=OPS (the previous
# message's operations).
def parse_ops(spec: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for chunk in spec.split(";"):
        words = shlex.split(chunk)
        if words:
            out.append((words[0], {k: _value(v) for k, v in (w.split("=", 1) for w in words[1:])}))
    return out


def setting(context: str) -> dict[str, Any]:
    """The draft, media, language and previous ops a row's context column describes."""
    ctx = dict(w.split("=", 1) if "=" in w else (w, "1") for w in shlex.split(context.split("last=")[0]))
    length = float(ctx.get("len", 20))
    media: list[dict[str, Any]] = []
    if "nofootage" not in ctx:
        media.append({"id": "f1", "filename": "clip.mp4", "file_type": "video", "duration": length, "has_audio": True})
    media.append({"id": "m1", "filename": "song.mp3", "file_type": "audio", "duration": 60.0})
    if "logo" in ctx:
        media.append({"id": "i1", "filename": "logo.png", "file_type": "image"})
    if "srt" in ctx:
        media.append({"id": "s1", "filename": "subs.srt", "file_type": "subtitle"})
    draft = None
    if "speed" in ctx or "music" in ctx:
        draft = dr.join(dr.empty_draft(), media)
        if "speed" in ctx:
            draft = dr.set_speed(draft, float(ctx["speed"]))
        if "music" in ctx:
            draft = dr.add_music(draft, media[1], 0.3)
    if "captions" in ctx:  # the draft has captions ("teh pasta" spoken 1-3 s)
        from engine import captions as cap
        from engine import effects as ef

        spoken = [cap.TimedWord(t, 1000 + 500 * i, 1450 + 500 * i) for i, t in enumerate(["I", "love", "teh", "pasta", "在"])]
        draft = ef.set_captions(dr.join(dr.empty_draft(), media), [("f1", cap.cues(spoken))])
    last = [Op(n, a) for n, a in parse_ops(context.split("last=", 1)[1])] if "last=" in context else []
    return {"draft": draft, "media": media, "lang": ctx.get("lang"), "last": last}


def run(row: Row) -> Plan:
    s = setting(row.context)
    return plan(row.text, s["draft"], s["media"], lang=s["lang"], last=s["last"])


def understood(row: Row, p: Plan) -> tuple[bool, str]:
    """Whether the plan is what the row expects, and what it got instead."""
    got = [(o.name, o.args) for o in p.ops]
    if row.expect == "ask":
        ok = not p.ops and len(p.choices) >= 2 and all(c in (p.reply or "") for c in p.choices)
        return ok, f"{got} {p.reply!r}"
    if row.expect == "unknown":
        return not p.ops and bool(p.reply), f"{got} {p.reply!r}"
    if row.expect in ("note", "near", "help"):
        is_help = p.reply in (HELP_EN, HELP_ZH)
        ok = not p.ops and bool(p.reply) and is_help == (row.expect == "help")
        if row.expect == "near":
            ok = ok and bool(p.choices) and all(c in (p.reply or "") for c in p.choices)
        return ok, f"{got} {p.reply!r}"
    want = parse_ops(row.expect)
    ok = [n for n, _ in got] == [n for n, _ in want] and all(
        all(g.get(k) == v for k, v in w.items()) for (_, g), (_, w) in zip(got, want)
    )
    return ok, f"{got} {p.reply!r}"


ROWS = load_rows()


def test_the_corpus_is_large_and_bilingual() -> None:
    zh = sum(1 for r in ROWS if any("\u4e00" <= ch <= "\u9fff" for ch in r.text))
    assert len(ROWS) >= 300
    assert 0.4 <= zh / len(ROWS) <= 0.6


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.line}:{r.text[:40]}" for r in ROWS])
def test_phrasing(row: Row) -> None:
    ok, got = understood(row, run(row))
    assert ok, f"line {row.line}: {row.text!r} expected {row.expect}, got {got}"


SRT = b"1\n00:00:00,500 --> 00:00:02,000\nHello\n"


async def test_every_effect_the_corpus_asks_for_is_one_the_engine_applies() -> None:
    # the contract between the planner (words -> ops) and the tools (ops -> draft): names and arguments
    from engine.effect_ops import EFFECT_OPS, apply_effect

    async def read_file(file_id: str) -> bytes | None:
        return SRT if file_id == "s1" else None

    tried = set()
    for row in ROWS:
        s = setting(row.context)
        p = run(row)
        media = s["media"]
        d = dr.ensure_footage(s["draft"] or dr.empty_draft(), media)
        for op in p.ops:
            if op.name in EFFECT_OPS:
                done = await apply_effect(op.name, dict(op.args), d, media, read_file)  # a refusal raises
                assert done.en and done.zh, (row.text, op)
                tried.add(op.name)
    assert tried == set(EFFECT_OPS)


def test_typed_subtitle_lines_keep_their_times_and_words() -> None:
    s = setting("")
    for text, lines in (
        ("add subtitles: 0:00-0:02 hi there; 0:02-0:04 bye", [(0, 2, "hi there"), (2, 4, "bye")]),
        ("字幕：\n0-3 你好\n3-6 再见", [(0, 3, "你好"), (3, 6, "再见")]),
    ):
        (op,) = plan(text, s["draft"], s["media"]).ops
        assert op.name == "subtitles"
        assert [(x["start"], x["end"], x["text"]) for x in op.args["lines"]] == lines
