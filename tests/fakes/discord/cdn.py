"""The attachment CDN: signed, expiring URLs (``ex``/``is``/``hm``) and byte serving with Range."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from urllib.parse import quote

from aiohttp import web

from .models import CdnCall, Clock
from .state import Blobs

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
GONE = "This content is no longer available."


class Cdn:
    def __init__(self, *, clock: Clock, url_ttl: float, base_url: Callable[[], str],
                 on_call: Callable[[], None]) -> None:
        self.clock = clock
        self.url_ttl = url_ttl
        self._base_url = base_url
        self._secret = secrets.token_bytes(32)
        self._on_call = on_call
        self.blobs = Blobs(self.url)
        self.calls: list[CdnCall] = []

    def _sign(self, channel_id: int, attachment_id: int, filename: str, ex: str, is_: str) -> str:
        msg = f"{channel_id}/{attachment_id}/{filename}?ex={ex}&is={is_}".encode()
        return hmac.new(self._secret, msg, hashlib.sha256).hexdigest()

    def url(self, channel_id: int, attachment_id: int, filename: str) -> str:
        now = int(self.clock.time())
        ex, is_ = f"{now + int(self.url_ttl):x}", f"{now:x}"
        hm = self._sign(channel_id, attachment_id, filename, ex, is_)
        return (f"{self._base_url()}/attachments/{channel_id}/{attachment_id}/{quote(filename)}"
                f"?ex={ex}&is={is_}&hm={hm}&")

    def add_routes(self, app: web.Application) -> None:
        for prefix in ("/attachments", "/media/attachments", "/ephemeral-attachments"):
            app.router.add_get(prefix + "/{cid}/{aid}/{filename}", self.handle)

    def _record(self, request: web.Request, status: int) -> None:
        self.calls.append(CdnCall(path=request.path, status=status, range=request.headers.get("Range"),
                                  time=self.clock.monotonic()))
        self._on_call()

    def _gone(self, request: web.Request) -> web.Response:
        self._record(request, 404)
        return web.Response(status=404, text=GONE)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        match = request.match_info
        q = request.query
        try:
            cid, aid = int(match["cid"]), int(match["aid"])
            ex, is_, hm = q["ex"], q["is"], q["hm"]
            expires = int(ex, 16)
        except (KeyError, ValueError):
            return self._gone(request)
        filename = match["filename"]
        if not hmac.compare_digest(hm, self._sign(cid, aid, filename, ex, is_)):
            return self._gone(request)
        if expires < self.clock.time():
            return self._gone(request)
        att = self.blobs.files.get(aid)
        if att is None or att.filename != filename:
            return self._gone(request)
        data = att.data
        total = len(data)
        headers = {"Content-Type": att.content_type, "Accept-Ranges": "bytes",
                   "Cache-Control": "public, max-age=31536000"}
        header = request.headers.get("Range")
        if header:
            first = header.split(",")[0].strip()
            m = _RANGE.match(first)
            start: int | None = None
            end = total - 1
            if m and (m.group(1) or m.group(2)):
                if m.group(1):
                    start = int(m.group(1))
                    if m.group(2):
                        end = min(int(m.group(2)), total - 1)
                else:
                    start = max(total - int(m.group(2)), 0)
            if start is None or start >= total or start > end:
                self._record(request, 416)
                return web.Response(status=416, headers={"Content-Range": f"bytes */{total}"})
            headers["Content-Range"] = f"bytes {start}-{end}/{total}"
            self._record(request, 206)
            return web.Response(status=206, body=data[start:end + 1], headers=headers)
        self._record(request, 200)
        return web.Response(status=200, body=data, headers=headers)
