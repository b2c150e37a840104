"""Captions: typed words timed to the speech ("captions: …"), words from the speech ("caption what I say",
"加字幕"), how they look (bigger, top, word by word), a word fixed, removed, the .srt handed out."""

from __future__ import annotations

import re

from ..ops import Op
from .base import QUOTE, Clause, Result, w
from .text import _media_of

CAPTION_WORDS = r"\bcaptions?\b|\bsubtitles?\b|\bsubs\b|字幕"
KARAOKE = w(r"\bword[- ]by[- ]word\b|\bkaraoke\b|\bhighlight(?:ed|ing)? (?:the |each )?(?:spoken )?words?\b|逐字|卡拉\s?ok|跟读")
_TYPED = re.compile(
    r"(?P<head>[^\n:：]{0,40}?)(?:\bcaptions?|\bsubtitles?|\bsubs|\btranscript|字幕)(?: (?:it|this|them))?\s*[:：]\s*(?P<body>\S[\s\S]*)$",
    re.IGNORECASE,
)
_FULLWIDTH = {",": "，", "!": "！", "?": "？", ":": "：", ";": "；"}
_QUOTE_MARK = re.compile("\ue000([\ue100-\ue1ff])")


def typed_captions(held: str, quotes: list[str]) -> tuple[Op | None, str]:
    """“captions: <the words>” (or a pasted transcript after it): the whole rest of the message is the words,
    read before the message is split into instructions. Returns the op and what is left to plan."""
    m = _TYPED.search(held)
    if not m or re.search(r"\d\s*(?:-->|-|–|~|to|到)\s*\d", m.group("body")[:20]):
        return None, held  # typed lines with times are the ``subtitles`` edit
    body = _QUOTE_MARK.sub(lambda q: quotes[ord(q.group(1)) - 0xE100], m.group("body")).strip()
    if re.search(r"[\u4e00-\u9fff]", body):  # the message was NFKC-normalised: Chinese punctuation back
        body = re.sub(r"\s*\n\s*", "", body)
        body = re.sub(r"(?<=[\u4e00-\u9fff])[,!?:;]", lambda p: _FULLWIDTH[p.group(0)], body)
    body = re.sub(r"\s*\n\s*", " ", body).strip(" \"'“”「」")
    if not body:
        return None, held
    args: dict[str, object] = {"text": body[:5000]}
    if KARAOKE.search(m.group("head")):
        args["karaoke"] = True
    return Op("captions", args), held[: m.start()]


def _has_captions_word(c: Clause) -> bool:
    return bool(re.search(CAPTION_WORDS, c.low, re.IGNORECASE))


def _captions_from_speech(c: Clause, m: re.Match[str]) -> Result:
    if _media_of(c, ("subtitle", "subtitles"), (".srt", ".vtt")) is not None:
        return None  # an uploaded .srt: the ``subtitles`` edit
    if QUOTE.search(c.text):
        return None  # 'add a caption "link in bio"': a text on the video
    args: dict[str, object] = {}
    style = _caption_style(c, m)
    if isinstance(style, Op):
        args.update({k: v for k, v in style.args.items() if k == "karaoke"})
    c.claim(m.start(), m.end())
    rest = {k: v for k, v in style.args.items() if k != "karaoke"} if isinstance(style, Op) else {}
    return [Op("captions", args), Op("caption_style", rest)] if rest else Op("captions", args)


def _caption_style(c: Clause, m: re.Match[str]) -> Result:
    k = KARAOKE.search(c.low)
    if (not _has_captions_word(c) and not k) or QUOTE.search(c.text):
        return None
    low = c.low
    args: dict[str, object] = {}
    used: list[re.Match[str]] = [m]
    if k:
        args["karaoke"] = not re.search(r"\b(?:no|without|stop|turn off|off)\b|不要|取消|关掉|去掉", low)
        used.append(k)
    for key, value, pattern in _LOOKS:
        if key in args:
            continue
        found = re.search(pattern, low)
        if found:
            args[key] = value
            used.append(found)
    if not args:
        return None
    used += list(re.finditer(CAPTION_WORDS + r"|高亮|\bhighlight(?:ed|ing)?\b", low, re.IGNORECASE))
    for u in used:
        c.claim(u.start(), u.end())
    return Op("caption_style", args)


_LOOKS: tuple[tuple[str, object, str], ...] = (
    ("scale", 1.25, r"\bbigger\b|\blarger\b|\bbig\b|\blarge\b|\bincrease\b|大一点|大点|放大|调大|加大|大一些|更大"),
    ("scale", 0.8, r"\bsmaller\b|\bsmall\b|\btiny\b|\bdecrease\b|小一点|小点|缩小|调小|小一些|更小"),
    ("pos", "top", r"\b(?:at the |to the |on )?top\b|\bup\b|\bhigher\b|上面|上方|顶部|顶上|最上"),
    ("pos", "bottom", r"\b(?:at the |to the |on )?bottom\b|\bdown\b|\blower\b|下面|下方|底部|底下|最下"),
)


_FIX_EN = re.compile(
    r"(?:change|replace|fix|correct|swap|make)\s+(?P<old>.+?)\s+(?:to|with|into|->|→|as)\s+(?P<new>.+?)"
    r"(?:\s+(?:in|on) (?:the |my )?(?:captions?|subtitles?|subs))?\s*$",
    re.IGNORECASE,
)
_FIX_ZH = re.compile(r"(?:字幕)(?:里|中|上)?的?(?P<old>.+?)(?:改成|改为|换成|替换成|替换为|应该是|改)(?P<new>.+?)$")


def _caption_fix(c: Clause, m: re.Match[str]) -> Result:
    if not _has_captions_word(c):
        return None
    marks = QUOTE.findall(c.text)
    fix = _FIX_ZH.search(c.text) or _FIX_EN.search(c.text)
    if fix is None:
        return None

    def value(s: str) -> str:
        s = _QUOTE_MARK.sub(lambda q: c.quotes[ord(q.group(1)) - 0xE100], s)
        s = re.sub(r"^(?:the word|word|单词|字)\s*", "", s.strip(), flags=re.IGNORECASE)
        s = re.sub(r"\s+(?:in|on) (?:the |my )?(?:captions?|subtitles?|subs)$", "", s, flags=re.IGNORECASE)
        return s.strip(" \"'“”「」‘’")

    if len(marks) >= 2:
        old, new = c.quotes[ord(marks[0]) - 0xE100], c.quotes[ord(marks[1]) - 0xE100]
    else:
        old, new = value(fix.group("old")), value(fix.group("new"))
    if not old or old == new:
        return None
    c.claim(0, len(c.low))
    return Op("caption_fix", {"old": old, "new": new})


def _remove_captions(c: Clause, m: re.Match[str]) -> Result:
    c.claim(m.start(), m.end())
    return Op("remove_captions")


def _export_captions(c: Clause, m: re.Match[str]) -> Result:
    c.claim(m.start(), m.end())
    return Op("export_captions")
