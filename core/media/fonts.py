"""Choosing a font file by script: DejaVu for Latin, a CJK font for Chinese (neither ffmpeg's drawtext
nor Pillow falls back from one font to another)."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

LATIN_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/usr/local/share/fonts/DejaVuSans-Bold.ttf",
    "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
)
CJK_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
)

class FontNotFoundError(RuntimeError):
    """No font file for a script could be found."""


_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


@functools.lru_cache(maxsize=8)
def _fc(args: tuple[str, ...]) -> str | None:
    exe = shutil.which(args[0])
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, *args[1:]], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        line = line.strip()
        if line and Path(line).exists():
            return line
    return None


@functools.lru_cache(maxsize=8)
def font_for(script: str, override: Path | None = None) -> Path:
    """The font file for ``script`` ("latin" or "cjk"); raises FontNotFoundError with what to install."""
    if override is not None:
        if override.exists():
            return override
        raise FontNotFoundError(f"configured font {override} does not exist")
    candidates = CJK_CANDIDATES if script == "cjk" else LATIN_CANDIDATES
    for c in candidates:
        if Path(c).exists():
            return Path(c)
    if script == "cjk":
        found = _fc(("fc-list", ":lang=zh", "-f", "%{file}\n"))
        hint = "install fonts-wqy-microhei (Debian) or any CJK font"
    else:
        found = _fc(("fc-match", "-f", "%{file}\n", "DejaVu Sans:bold")) or _fc(
            ("fc-match", "-f", "%{file}\n", "sans:bold")
        )
        hint = "install fonts-dejavu-core (Debian)"
    if found:
        return Path(found)
    raise FontNotFoundError(f"no {script} font found: {hint}")


def font_for_text(text: str, latin: Path | None = None, cjk: Path | None = None) -> Path:
    """The font that can draw ``text``: a CJK font when the text has any CJK character."""
    return font_for("cjk", cjk) if has_cjk(text) else font_for("latin", latin)
