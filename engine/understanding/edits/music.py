"""Music: background music from the library by mood (or the audio file the user uploaded), another track,
its level, none."""

from __future__ import annotations

import re

from ...music import moods as md
from ..ops import Op
from .base import Clause, Note, Result, _clamp, _r, w
from .sound import _MUSIC_REMOVE, _VOLUME_WORDS, _level

_ADD = re.compile(r"\badd\b|\bput\b|\bplay\b|\bgive\b|\bwith\b|\bsome\b|加|添加|配上|配个|来点|来一段|放点|放一段|换")
_CHANGE = w(
    r"\b(?:change|switch|swap|replace)\b|\b(?:another|different|other|next)\b|换一首|换首|换一个|换个|换掉|换一下"
    r"|下一首|别的|其他的|另一首|不喜欢"
)
_UPLOADED = w(
    r"\b(?:i|we)\s+(?:just\s+)?(?:sent|uploaded|gave|shared|attached)\b|\bmy (?:own )?(?:music|song|track|audio|file)\b"
    r"|我(?:刚)?(?:发|传|上传|给|分享)的|我自己的|我的(?:音乐|歌|音频)"
)
# a mood said alone ("epic", "lo-fi please", "轻松一点的"): the unambiguous mood words only; "cinematic",
# "moody" or "happy" alone are looks or nothing
MOOD_ALONE = w(r"\blo-?\s?fi\b|\bchill(?:hop)?\b|\bupbeat\b|\bepic\b|\brelax(?:ed|ing)\b|轻松|欢快|舒缓|史诗|低保真")
NO_MUSIC_YET = Note(
    "There is no background music yet: say “add background music”, or name a mood (“add relaxed music”).",
    "还没有背景音乐：说“加背景音乐”，或者说一种风格（“加轻松的音乐”）。",
)


def _music(c: Clause, m: re.Match[str]) -> Result:
    if _MUSIC_REMOVE.search(c.low):
        return Op("remove_music")
    mood = md.mood_in(c.low)
    c.claim_all(md.MOOD_WORDS)  # "epic cinematic music": the music's moods, not a look
    uploaded = _UPLOADED.search(c.low)
    change = _CHANGE.search(c.low)
    vol = _level(c)
    louder = re.search(r"\blouder\b|\bup\b|大一点|大点|调大|大声", c.low)
    quieter = re.search(r"\bquieter\b|\bsofter\b|\blower\b|\bdown\b|小一点|小点|调小|小声|轻一点", c.low)
    c.claim_all(_VOLUME_WORDS)
    adding = bool(_ADD.search(c.low)) or mood is not None
    if not c.has_music and (louder or quieter) and not adding and not change:
        return NO_MUSIC_YET
    if c.has_music and not adding and not uploaded:
        if vol is None and (louder or quieter):
            cur = next(
                (
                    float(op.args.get("volume", 0.3))
                    for op in reversed(c.last)
                    if "music" in op.name and "volume" in op.args
                ),
                0.3,
            )
            vol = cur * (1.5 if louder else 0.5)
        if vol is not None:
            return Op("music_volume", {"volume": _r(_clamp(vol, 0.0, 4.0))})
    if change and mood is None and not uploaded:
        return Op("change_music", {"volume": _r(vol)} if vol is not None else {})
    args: dict[str, object] = {"volume": _r(vol if vol is not None else 0.3)}
    if mood is not None:
        args["mood"] = mood[0]
    elif uploaded:
        args["source"] = "upload"
    return Op("add_music", args)


def _mood(c: Clause, m: re.Match[str]) -> Result:
    """A mood said without the word music ("something epic", "轻松一点的"): music of that mood."""
    mood = md.mood_in(c.low)
    if mood is None:
        return None
    c.claim_all(md.MOOD_WORDS)
    return Op("add_music", {"volume": 0.3, "mood": mood[0]})


ANOTHER_ALONE = w(r"换一首|换首|下一首|另一首|\b(?:another|different|next) (?:one|track|tune)\b")


def _another(c: Clause, m: re.Match[str]) -> Result:
    """"换一首" / "another track" without the word music: another track ("another one" only with music)."""
    if not c.has_music and not re.search(r"首|track|tune", m.group(0)):
        return None
    c.claim(m.start(), m.end())
    return Op("change_music")
