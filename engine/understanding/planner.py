"""The planner: instruction text (English or Chinese) + current draft + media -> a ``Plan``.

A pure function, no I/O: ``plan(text, draft, media, lang=..., last=...)``. A message may hold several
instructions ("make it 9:16, add the title 'Urban Dreams' and music at 35%"); each is read by the edits
declared in ``edits/``, and the operations come back in the order they were written. What is not
understood is named in the reply with the closest things the engine can do; an ambiguous request gets one
question with choices. Replies are in ``lang`` (the session's language) when given.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rapidfuzz import fuzz, process

from .. import draft as dr
from . import corrections, replies, slots
from .edits import EDITS, Clause, Edit, Note, Question, Result, example, quote_mark
from .edits.captions import typed_captions
from .ops import Op, Plan

MAX_TEXT = 4000
NO_FOOTAGE_NEEDED = {"video_prompt", "undo", "revise"}

_QUOTES = re.compile(
    r"\"([^\"]{1,200})\"|“([^”]{1,200})”|「([^」]{1,200})」|『([^』]{1,200})』|‘([^’]{1,200})’"
    r"|(?<![a-z0-9])'([^']{1,200})'(?![a-z0-9])|《([^》]{1,200})》",
    re.IGNORECASE,
)
_SPLIT = re.compile(
    r"[,;!?\n，；！？。、]|\.(?=\s|$)|\bthen\b|\bafter that\b|\balso\b|\bplus\b|\band then\b|\s\+\s"
    r"|然后|接着|之后再|再把|另外|同时|还要|顺便|并且|最后再"
)
_HELP = re.compile(
    r"^\s*(?:/?help|/start|what can you do|commands|menu|options|帮助|你能做什么|怎么用|功能)\s*[?？!！.。]*\s*$",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"\b(?:please|pls|plz|thanks|thank you|thx|ty|ok|okay|hey|hi|hello there|now|can you|could you|would you|"
    r"can u|could u|will you|i want|i'd like|i would like|to|the|video|clip|vid|it|this|that|and|also|just|"
    r"for me|bro|lol|haha|yeah|yes|cool|nice|great|awesome|perfect|good|alright|sounds good|looks good|love it|"
    r"it'?s|is|too long|way too long)\b|太长了|太长|不错|很好|完美|可以了|可以|行|好|请|帮我|帮忙|谢谢|好的|麻烦|一下|吧|呢|啊|哈|嗯|把|视频|给我|这个|我想|我要",
    re.IGNORECASE,
)
_PROMPT = re.compile(r"\bprompts?\b|storyboard|提示词|分镜|脚本提示|文生视频", re.IGNORECASE)
_PROMPT_VERB = re.compile(
    r"generat|write|create|make|give|draft|need|want|生成|写|创建|做|给|来一个|帮", re.IGNORECASE
)
_SUB_LINE = re.compile(
    r"^\s*(?:[^\n]{0,30}?(?:subtitles?|subs|captions?|字幕)\s*[:：]\s*)?(?P<a>\d{1,2}:\d{2}(?:\.\d{1,3})?|\d{1,5}(?:\.\d{1,3})?)\s*(?:s|秒)?\s*(?:-->|-|–|—|~|to|到)\s*"
    r"(?P<b>\d{1,2}:\d{2}(?:\.\d{1,3})?|\d{1,5}(?:\.\d{1,3})?)\s*(?:s|秒)?\s*[:：]?\s+(?P<text>\S.{0,199}?)\s*$",
    re.IGNORECASE,
)
_MIXED = re.compile(r"(?<=[\u4e00-\u9fff])(?=[A-Za-z])|(?<=[A-Za-z])(?=[\u4e00-\u9fff])")
_SUB_WORD = re.compile(r"\bsubtitles?\b|\bsubs\b|\bcaptions?\b|字幕", re.IGNORECASE)
_VOCAB = sorted({word for e in EDITS for word in e.fuzzy})
_CJK = re.compile(r"[\u4e00-\u9fff]")


def is_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def _seconds(s: str) -> float:
    out = 0.0
    for part in s.split(":"):
        out = out * 60 + float(part)
    return out


def _typed_subtitles(text: str) -> tuple[Op | None, str]:
    """Lines "0-2 Hello" under a subtitles request become one ``subtitles`` op; the rest is planned."""
    if not _SUB_WORD.search(text):
        return None, text
    lines, rest = [], []
    for line in re.split(r"\n|\s/\s|；|;", text):
        m = _SUB_LINE.match(line)
        if m and _seconds(m.group("b")) > _seconds(m.group("a")):
            lines.append(
                {"start": _seconds(m.group("a")), "end": _seconds(m.group("b")), "text": m.group("text")}
            )
        else:
            rest.append(line)
    if not lines:
        return None, text
    left = "\n".join(rest)
    left = _SUB_WORD.sub(" ", left) if not re.search(r"\ue000|[\"“「]", left) else left
    return Op("subtitles", {"lines": lines}), left


def _substance(text: str) -> bool:
    rest = _FILLER.sub(" ", text.lower())
    rest = re.sub(r"\ue000.", " ", rest)
    return bool(re.search(r"[a-z]{2,}|[\u4e00-\u9fff]", rest))


def _correct(text: str, low: str) -> tuple[str, str] | None:
    """The clause (text and lower case) with typos of the edits' words fixed ("vertcal" -> "vertical"),
    or None. A typo keeps its first letter and is not a longer or shorter form of the word ("vertically")."""
    out_text, out_low, pos, changed = [], [], 0, False
    for m in re.finditer(r"[a-z]{4,}", low):
        word = m.group(0)
        if word in _VOCAB:
            continue
        best = process.extractOne(word, _VOCAB, scorer=fuzz.ratio, score_cutoff=84)
        if best is None:
            continue
        fix = str(best[0])
        if fix[0] != word[0] or fix.startswith(word) or word.startswith(fix):
            continue
        out_text += [text[pos : m.start()], fix]
        out_low += [low[pos : m.start()], fix]
        pos, changed = m.end(), True
    if not changed:
        return None
    return "".join(out_text) + text[pos:], "".join(out_low) + low[pos:]


def _read(c: Clause, offset: int) -> list[tuple[int, Result]]:
    found: list[tuple[int, Result]] = []
    for edit in EDITS:
        if edit.alone and any(isinstance(r, Op) for _, r in found):
            continue
        m = edit.words.search(c.low)
        if not m:
            continue
        r = edit.build(c, m)
        if isinstance(r, list):
            found.extend((offset + m.start(), op) for op in r)
        elif r is not None:
            found.append((offset + m.start(), r))
            if isinstance(r, Op) and r.name == "undo":
                return found
    return found


def _closest(part: str, lang: str) -> list[str]:
    """Examples of the one or two edits nearest to words that were not understood."""
    words = re.findall(r"[a-z]{3,}", part.lower())
    scored: list[tuple[float, Edit]] = []
    for e in EDITS:
        best = 0.0
        for near in e.near:
            if _CJK.search(near):
                best = max(best, 100.0 if near in part else 0.0)
            elif words:
                best = max(best, max(fuzz.ratio(near, word) for word in words))
        if best >= 80:
            scored.append((best, e))
    scored.sort(key=lambda p: -p[0])
    return [example(e, lang) for _, e in scored[:2]]


def _current(d: dict[str, Any]) -> tuple[float, float]:
    vs = [s for s in dr.segments(d, dr.VIDEO) if not s["m"].get("still")]
    if not vs:
        return 1.0, 1.0
    vol = vs[0]["m"].get("vol", 1.0)
    try:
        v = float(vol)
    except (TypeError, ValueError):
        v = 1.0
    return dr.speed_of(vs[0]), (0.0 if d.get("mute") else v)


def _plan(
    text: str,
    draft: dict | None,
    media: Sequence[dict],
    lang: str | None = None,
    last: Sequence[Op] = (),
) -> Plan:
    raw = unicodedata.normalize("NFKC", text)[:MAX_TEXT].replace("\r", " ").replace("\t", " ")
    lang = lang if lang in ("en", "zh") else ("zh" if is_chinese(raw) else "en")
    if _HELP.match(raw) or not raw.strip():
        return Plan([], replies.help_text(lang), lang, understood=False)
    d = dr.clone(draft)
    d_full = dr.ensure_footage(d, media)
    total = dr.total_ms(d_full) / 1000
    if last:  # "no wait, 6": the last message's edit revised, not a new one stacked on it
        revised = corrections.revise(raw, last, total, lambda rest: _plan(rest, draft, media, lang, last), lang)
        if revised is not None:
            return revised
    speed, volume = _current(d_full)
    has_music = bool(dr.segments(d, dr.AUDIO))

    quotes: list[str] = []

    def keep_quote(m: re.Match[str]) -> str:
        if len(quotes) >= 200:
            return m.group(0)
        quotes.append(next((g for g in m.groups() if g is not None), ""))
        return quote_mark(len(quotes) - 1)

    held = _QUOTES.sub(keep_quote, raw)
    if _PROMPT.search(held) and _PROMPT_VERB.search(held):
        return _prompt(raw, held, lang)
    sub_op, held = _typed_subtitles(held)
    cap_op, held = typed_captions(held, quotes) if sub_op is None else (None, held)
    held = slots.digits(held)
    held = _MIXED.sub(" ", held)  # "加个title": English words read as words beside Chinese
    whole = held.lower()

    found: list[tuple[int, Result]] = []
    if sub_op is not None:
        found.append((-1, sub_op))
    if cap_op is not None:
        found.append((len(held), cap_op))
    unknown: list[str] = []
    prev: tuple[int, str, int, bool, bool] | None = None  # the instruction before: where, what, read how
    pos = 0
    pieces = []
    for m in _SPLIT.finditer(held):
        pieces.append((pos, held[pos : m.start()]))
        pos = m.end()
    pieces.append((pos, held[pos:]))
    for offset, piece in pieces:
        if not piece.strip():
            continue
        low = piece.lower()
        if len(low) != len(piece):
            low = piece

        setting = Clause("", "", quotes, total, speed, volume, has_music, media, last, whole)
        got = _read(replace(setting, text=piece, low=low), offset)
        fixed = _correct(piece, low)
        if (
            fixed is not None
        ):  # a typo of an edit's word ("vertcal"): read again, keep it only if it adds edits
            again = _read(replace(setting, text=fixed[0], low=fixed[1]), offset)
            before = [r for _, r in got if isinstance(r, Op)]
            fixed_ops = [r for _, r in again if isinstance(r, Op)]
            if len(fixed_ops) > len(before) and all(r in fixed_ops for r in before):
                got = [(p, r) for p, r in again if isinstance(r, Op)]
        if (
            not any(isinstance(r, Op) for _, r in got)
            and prev is not None
            and (any(t.explicit for t in slots.times(low)) or prev[4])
        ):
            # a time said after a comma belongs to the instruction before it ("cut the intro, first 4 secs")
            p_offset, p_piece, p_start, p_unknown, _ = prev
            joined = p_piece + ", " + piece  # the pause stays: it tells a duration from a start
            j_low = joined.lower() if len(joined.lower()) == len(joined) else joined
            again = _read(replace(setting, text=joined, low=j_low), p_offset)
            if any(isinstance(r, Op) for _, r in again):
                del found[p_start:]
                if p_unknown:
                    unknown.pop()
                got, piece, offset = again, joined, p_offset
        if not got and _substance(piece):
            unknown.append(
                re.sub(r"\ue000(.)", lambda q: "'" + quotes[ord(q.group(1)) - 0xE100] + "'", piece).strip()
            )
        asked = bool(got) and all(isinstance(r, Question) for _, r in got)
        prev = (offset, piece, len(found), not got and _substance(piece), asked)
        found.extend(got)
        if any(isinstance(r, Op) and r.name in ("add_music", "change_music") for _, r in got):
            has_music = True
        if any(isinstance(r, Op) and r.name == "undo" for _, r in got):
            return Plan([r for _, r in got if isinstance(r, Op) and r.name == "undo"][:1], None, lang)
    found.sort(key=lambda p: p[0])

    ops: list[Op] = []
    for _, r in found:
        if not isinstance(r, Op):
            continue
        if ops and r == ops[-1]:
            continue  # said twice ("too dark, brighten it up")
        added = next((i for i, op in enumerate(ops) if op.name == "add_music"), None)
        if r.name == "music_volume" and added is not None:  # "add music, volume 20%": one edit
            ops[added] = Op("add_music", {**ops[added].args, **r.args})
            continue
        if (
            ops
            and r.name == ops[-1].name
            and r.name not in ("add_text", "keep_range", "cut_range", "adjust", "rotate")
        ):
            ops[-1] = r
            continue
        ops.append(r)
    ops = _later_cuts_first(ops)
    questions = [r for _, r in found if isinstance(r, Question)]
    notes = [r for _, r in found if isinstance(r, Note)]

    said: list[str] = [replies.pick(lang, n.en, n.zh) for n in notes]
    choices: list[str] = []
    if questions:
        q = questions[0]
        choices = list(q.choices_zh if lang == "zh" else q.choices_en)
        said.append(replies.question(replies.pick(lang, q.en, q.zh), choices, lang))
    if unknown:
        near = [] if choices else [c for part in unknown for c in _closest(part, lang)]
        near = list(dict.fromkeys(near))[:2]
        if not ops and not said and not near:
            return Plan([], replies.help_text(lang), lang, understood=False)
        choices = choices or near
        said.append(replies.not_understood(unknown, near, lang))
    if not ops and not said:
        return Plan([], replies.help_text(lang), lang, understood=False)
    if not ops and not questions and not notes:
        return Plan([], "\n".join(said), lang, choices, understood=False)
    has_footage = bool(dr.segments(d, dr.VIDEO)) or bool(dr.visual_media(media))
    if not has_footage and any(op.name not in NO_FOOTAGE_NEEDED for op in ops):
        return Plan([], replies.need_footage(lang), lang)
    return Plan(ops, "\n".join(said) or None, lang, choices)


def _later_cuts_first(ops: list[Op]) -> list[Op]:
    """Cuts said together name times of the video as it is now: applied from the end backwards, each
    leaves the times of the others where they were ("cut the first 2s and 10-12s")."""
    out: list[Op] = []
    for op in ops:
        run = 0
        while run < len(out) and out[len(out) - 1 - run].name == "cut_range":
            run += 1
        if op.name == "cut_range" and run:
            cuts = [*out[len(out) - run :], op]
            out[len(out) - run :] = sorted(cuts, key=lambda o: -float(o.args.get("start", 0)))
        else:
            out.append(op)
    return out


def _prompt(raw: str, held: str, lang: str) -> Plan:
    low = held.lower()
    aspect = "16:9"
    a = slots.aspect(low)
    if (a and a[0] == "9:16") or re.search(r"\bvertical\b|\bportrait\b|竖屏|竖版|抖音|tik ?tok", low):
        aspect = "9:16"
    elif (a and a[0] == "1:1") or re.search(r"\bsquare\b|正方形|方形", low):
        aspect = "1:1"
    if a:
        low = slots.blank(low, a[1], a[2])
    ts = [t for t in slots.times(slots.digits(low)) if t.explicit]
    secs = ts[0].seconds if ts else 30.0
    args = {
        "description": raw.strip()[:MAX_TEXT],
        "seconds": round(min(max(secs, 5.0), 600.0), 3),
        "aspect": aspect,
        "lang": lang,
    }
    return Plan([Op("video_prompt", args)], None, lang)


def plan(
    text: str,
    draft: dict | None = None,
    media: Sequence[dict] = (),
    lang: str | None = None,
    last: Sequence[Op] = (),
) -> Plan:
    """Plan the edits a message asks for. Never raises: what it cannot read gets the help answer.

    ``lang`` is the session's language ("en" or "zh"; guessed from the text when not given); ``last``
    the operations of the previous message ("a bit more" repeats them)."""
    if not isinstance(text, str):
        text = str(text)
    media = [m for m in (media or []) if isinstance(m, dict)]
    try:
        return _plan(text, draft if isinstance(draft, dict) else None, media, lang, list(last or ()))
    except Exception:  # noqa: BLE001 - the planner must answer whatever it is sent
        fallback = lang if lang in ("en", "zh") else ("zh" if is_chinese(text) else "en")
        return Plan([], replies.help_text(fallback), fallback, understood=False)
