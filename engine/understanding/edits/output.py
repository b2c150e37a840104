"""The output file: size caps and formats."""

from __future__ import annotations

import re

from ..ops import Op
from .base import Clause, Note, Result, _r


# -- files ---------------------------------------------------------------------------------------------------------
def _compress(c: Clause, m: re.Match[str]) -> Result:
    n = re.search(r"(\d{1,5}(?:\.\d{1,2})?)\s?(?:mb|megabytes?|megs?|m\b|兆|M)", c.low, re.IGNORECASE)
    if n:
        c.claim(n.start(), n.end())
        mb = float(n.group(1))
    elif re.search(r"discord", c.low):
        mb = 10.0
    elif re.search(r"whats ?app|微信", c.low):
        mb = 16.0
    elif re.search(r"email|e-mail|邮件", c.low):
        mb = 25.0
    else:
        mb = 10.0
    if not 0.5 <= mb <= 4000:
        return Note(
            "Give a size from 1 MB up, e.g. “compress to 10 MB”.", "请给出1MB以上的大小，例如“压缩到10MB”。"
        )
    return Op("compress", {"mb": mb})


def _output(c: Clause, m: re.Match[str]) -> Result:
    word = m.group(0).lower()
    if re.search(r"gif|动图|表情包", word):
        return Op("output", {"format": "gif"})
    if re.search(r"mp3|audio|sound|音频|音乐|声音|音轨", word):
        return Op("output", {"format": "mp3"})
    if re.search(r"mp4|video|视频", word):
        return Op("output", {"format": "mp4"})
    ts = [t for t in c.times() if t.explicit]
    c.used_time = True
    return Op("output", {"format": "cover", "at": _r(ts[0].seconds)} if ts else {"format": "cover"})


