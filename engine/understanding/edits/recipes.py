"""Platform recipes: each platform declared once (its words in English and Chinese, its shape, its length
limit, the safe area its buttons leave for captions), and the recipes that expand into the existing edits
("a 15 s teaser for Reels titled 'Finals'" = a highlight reel of 15 s, in the platform's shape, with the
title).

Adding a platform is one ``Platform``; adding a recipe ("travel vlog") is one ``Recipe``: its words and the
function that turns what was said (``Said``) into operations.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import slots
from ..ops import Op
from .base import Clause, Result, _clamp, _r, w


@dataclass(frozen=True)
class Platform:
    name: str
    label_en: str
    label_zh: str
    words: str  # a pattern: the platform's names in English and Chinese
    aspect: str  # the canvas it wants ("9:16", "1:1", "16:9")
    max_seconds: float | None  # the longest video it takes (None: no limit worth trimming to)
    # fractions of the canvas its buttons and captions cover: what captions and titles must stay out of
    safe: dict[str, float] = field(default_factory=dict)


_VERTICAL_SAFE = {"top": 0.1, "bottom": 0.2, "left": 0.05, "right": 0.12}

# Order matters: "youtube shorts" is Shorts before YouTube, "instagram story" a story before the feed.
PLATFORMS: tuple[Platform, ...] = (
    Platform("tiktok", "TikTok", "抖音", r"\btik ?tok\b|抖音", "9:16", 600, {**_VERTICAL_SAFE, "right": 0.15}),
    Platform(
        "reels",
        "Instagram Reels",
        "Instagram Reels",
        r"\b(?:instagram|insta|ig|ins) ?reels?\b|\b(?:for|as|on|to) (?:an? )?reels?\b|\breels\b",
        "9:16",
        180,
        {**_VERTICAL_SAFE, "bottom": 0.22},
    ),
    Platform("shorts", "YouTube Shorts", "YouTube Shorts", r"\b(?:youtube |yt )?shorts\b", "9:16", 180, _VERTICAL_SAFE),
    Platform(
        "story",
        "Instagram story",
        "Instagram快拍",
        r"\b(?:instagram |insta |ig )?stor(?:y|ies)\b|快拍",
        "9:16",
        60,
        {"top": 0.14, "bottom": 0.2, "left": 0.05, "right": 0.05},
    ),
    Platform(
        "feed",
        "Instagram feed",
        "Instagram动态",
        r"\b(?:instagram|insta|ig)\b|\bfeed\b|\bins\b",
        "1:1",
        3600,
        {"top": 0.05, "bottom": 0.08, "left": 0.05, "right": 0.05},
    ),
    Platform("xiaohongshu", "Xiaohongshu", "小红书", r"小红书|\bxiaohongshu\b|\brednote\b", "9:16", 900, _VERTICAL_SAFE),
    Platform("kuaishou", "Kuaishou", "快手", r"快手|\bkuaishou\b", "9:16", 600, _VERTICAL_SAFE),
    Platform("channels", "WeChat Channels", "视频号", r"视频号|\bwechat channels?\b", "9:16", 3600, _VERTICAL_SAFE),
    Platform(
        "youtube",
        "YouTube",
        "YouTube",
        r"\byoutube\b|\byt\b|油管",
        "16:9",
        None,
        {"top": 0.05, "bottom": 0.12, "left": 0.05, "right": 0.05},
    ),
    Platform(
        "bilibili",
        "Bilibili",
        "B站",
        r"\bb ?站|哔哩哔哩|\bbilibili\b",
        "16:9",
        None,
        {"top": 0.05, "bottom": 0.12, "left": 0.05, "right": 0.05},
    ),
)
PLATFORM_WORDS = w("|".join(p.words for p in PLATFORMS))
BY_NAME = {p.name: p for p in PLATFORMS}


def platform_in(text: str) -> tuple[Platform, int, int] | None:
    """The platform a text names first in the table's order, and where."""
    for p in PLATFORMS:
        m = re.search(p.words, text, re.IGNORECASE)
        if m:
            return p, m.start(), m.end()
    return None


@dataclass
class Said:
    """What a recipe reads from its instruction: a length, a platform, a title (each may be missing)."""

    seconds: float | None
    platform: Platform | None
    title: str | None


@dataclass(frozen=True)
class Recipe:
    name: str
    words: str  # a pattern in English and Chinese
    example_en: str
    example_zh: str
    build: Callable[[Said], list[Op]]


def _teaser(s: Said) -> list[Op]:
    """A short promo: the best moments at that length, in the platform's shape, with the title."""
    limit = s.platform.max_seconds if s.platform and s.platform.max_seconds else 1800.0
    secs = _clamp(s.seconds or 15.0, 3.0, limit)
    ops = [Op("highlights", {"seconds": _r(secs)})]
    if s.platform is not None:
        ops.append(Op("set_aspect", {"aspect": s.platform.aspect, "fit": "crop", "platform": s.platform.name}))
    if s.title:
        ops.append(Op("add_text", {"text": s.title, "start": 0.0, "duration": 3.0, "pos": "center", "kind": "title"}))
    return ops


RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "teaser",
        r"\bpromo(?:tional)?(?: video| clip)?\b|\bteaser\b|\btrailer\b|\bsizzle reel\b|\bhype (?:video|clip|reel)\b"
        r"|宣传片|宣传视频|预告片|预告|推广视频|引流视频",
        "make a 15 s teaser for Reels",
        "做一个15秒的Reels预告",
        _teaser,
    ),
)
RECIPE_WORDS = w("|".join(r.words for r in RECIPES))
_TITLED = w(r"\b(?:titled|called|named|title)\b|标题|叫做?|名为|题为")


def _recipe(c: Clause, m: re.Match[str]) -> Result:
    recipe = next(r for r in RECIPES if re.search(r.words, m.group(0), re.IGNORECASE))
    low = c.low
    found = platform_in(low)
    platform = found[0] if found else None
    if found:
        c.claim(found[1], found[2])
    c.claim(m.start(), m.end())
    ts = [t for t in slots.times(c.low) if t.explicit]
    c.used_time = True
    title = c.quote() if (_TITLED.search(low) or c.quote()) else None
    c.claim_all(_TITLED)
    return recipe.build(Said(ts[0].seconds if ts else None, platform, title))


def aspect_of_platform(low: str) -> dict[str, Any] | None:
    """The shape and platform of "make it for TikTok", "Instagram size", "抖音尺寸"."""
    found = platform_in(low)
    if not found:
        return None
    return {"aspect": found[0].aspect, "platform": found[0].name}
