"""The engine's file links the inside way: the bot reads what the engine handed out at the engine's own
address, never through its public one.

The built-in engine hands out ``<public base>/files/...?exp=..&sig=..`` (its ``public_base_url``: a
reverse proxy, for people's phones and players). The bot's own host often cannot reach that name (NAT,
a firewall, split DNS), and where it can, every file would make a round trip through the proxy. So a
link under the public base is fetched at the engine's inside URL instead, with the same path and
signature; any other link (NEMO's cloud CDN, a user's own) is fetched as it is.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit, urlunsplit

_FILES = "/files/"
_SEGMENT = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]*")  # a file path's part: no "..", no escapes
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(parts: SplitResult) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an http(s) URL; ``None`` for anything else or a URL with user info."""
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return scheme, parts.hostname.rstrip(".").lower(), port or _DEFAULT_PORTS[scheme]


class InsideLinks:
    """Rewrites the engine's public file links to its inside address; every other URL passes unchanged.

    ``public_base``: where the engine's links point (its ``public_base_url``); ``inside_base``: the
    engine's own URL as this process reaches it (the in-process engine's loopback URL, or ``NEMO_BASE_URL``
    for an engine in a process of its own). Either unset: nothing is rewritten (NEMO's cloud)."""

    def __init__(self, public_base: str | None = None, inside_base: str | None = None) -> None:
        public = urlsplit((public_base or "").rstrip("/"))
        inside = urlsplit((inside_base or "").rstrip("/"))
        self._public = _origin(public) if public_base and inside_base else None
        self._public_path = public.path
        self._inside = inside

    @property
    def active(self) -> bool:
        """Whether any link is rewritten at all."""
        return self._public is not None and _origin(self._inside) is not None

    def __call__(self, url: str) -> str:
        """``url`` as the bot fetches it: at the inside address when it is one of the engine's file links
        under the public base (same origin, ``<base path>/files/<name>``), else ``url`` itself."""
        if not self.active or "\\" in url:
            return url
        parts = urlsplit(url)
        if _origin(parts) != self._public or parts.fragment:
            return url
        if not parts.path.startswith(self._public_path + _FILES):
            return url
        rest = parts.path[len(self._public_path):]  # "/files/media/<name>"
        if not all(_SEGMENT.fullmatch(part) for part in rest[1:].split("/")):
            return url
        inside = self._inside
        return urlunsplit((inside.scheme, inside.netloc, inside.path + rest, parts.query, ""))
