"""The word check of the language tests: what in a text a user read is an English word that should
not be there (links, paths, commands, the file's name, mode and format names and units are allowed)."""

from __future__ import annotations

import re

from core.nemo.limits import SUPPORTED_FORMATS
from core.skills import mode_names

_LINK = re.compile(r"https?://\S+")
_PATH = re.compile(r"\S*/\S*")  # commands and file paths (the console shows a picture as its file)
# what a user types or a file is called: arguments of commands, mode and format names, units
NAMES = {*mode_names().replace(",", " ").split(), *SUPPORTED_FORMATS, "MP4", "GIF", "KB", "MB", "en", "zh", "on", "off",
         # platforms go by their own names in Chinese too ("适合Instagram Reels")
         "TikTok", "Instagram", "Reels", "YouTube", "Shorts", "WeChat"}


def english_words(printed: str, *file_names: str) -> list[str]:
    """The English words in ``printed`` besides links, paths, commands, ``file_names`` and NAMES."""
    for name in file_names:
        printed = printed.replace(name, " ")
    text = _PATH.sub(" ", _LINK.sub(" ", printed))
    return [word for word in re.findall(r"[A-Za-z][A-Za-z0-9]+", text) if word not in NAMES]
