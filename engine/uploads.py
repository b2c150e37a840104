"""Receiving files: multipart streamed to disk, or downloaded from a URL with an address guard."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import mimetypes
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from core.nemo.limits import SUPPORTED_FORMATS

from .errors import Code, EngineError, too_large, unsupported

CHUNK = 256 * 1024
ALIASES = {"jpeg": "jpg"}
CONTENT_TYPES = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/x-msvideo": "avi",
    "video/webm": "webm",
    "video/x-matroska": "mkv",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "audio/aac": "aac",
    "application/x-subrip": "srt",
    "text/vtt": "vtt",
}


@dataclass
class Received:
    filename: str
    ext: str
    path: Path  # a temporary file in the upload dir
    size: int
    sha256: str


def extension(filename: str) -> str | None:
    """The supported extension of ``filename`` (lower case, jpeg -> jpg), else None."""
    name = filename.rsplit("/", 1)[-1]
    if "." not in name:
        return None
    ext = name.rsplit(".", 1)[-1].lower()
    ext = ALIASES.get(ext, ext)
    return ext if ext in SUPPORTED_FORMATS else None


def safe_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "file"
    return "".join(ch for ch in name if ch.isprintable())[:200]


async def _write_stream(chunks: Any, dest: Path, limit: int) -> tuple[int, str]:
    """Write async byte chunks to ``dest``; raise 4002 past ``limit`` bytes. Returns (size, sha256)."""
    h = hashlib.sha256()
    size = 0
    fh = await asyncio.to_thread(open, dest, "wb")
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            h.update(chunk)
            await asyncio.to_thread(fh.write, chunk)
    except BaseException:
        await asyncio.to_thread(fh.close)
        dest.unlink(missing_ok=True)
        raise
    await asyncio.to_thread(fh.close)
    return size, h.hexdigest()


async def receive_multipart(request: web.Request, tmp_dir: Path, limit: int) -> list[Received]:
    """Stream every ``files`` (or ``file``) part to disk, never holding a whole file in memory."""
    if request.content_length is not None and request.content_length > limit + 1024 * 1024:
        raise too_large(limit)
    reader = await request.multipart()
    out: list[Received] = []
    try:
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, aiohttp.BodyPartReader) or part.name not in ("files", "file"):
                continue
            filename = safe_name(part.filename or "")
            ext = extension(filename)
            if ext is None:
                raise unsupported(filename)
            dest = tmp_dir / f"up_{secrets.token_hex(8)}.{ext}"

            async def chunks(p: aiohttp.BodyPartReader = part) -> Any:
                while True:
                    c = await p.read_chunk(CHUNK)
                    if not c:
                        return
                    yield c

            size, digest = await _write_stream(chunks(), dest, limit)
            out.append(Received(filename, ext, dest, size, digest))
    except BaseException:
        for r in out:
            r.path.unlink(missing_ok=True)
        raise
    if not out:
        raise EngineError(Code.BAD_REQUEST, "no file in the multipart field 'files'")
    return out


def _blocked(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
        or getattr(addr, "is_site_local", False)
    )


class GuardedResolver(AbstractResolver):
    """Resolves host names and refuses private, loopback and link-local answers (unless allowed)."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)
        out: list[ResolveResult] = []
        for fam, _, proto, _, sockaddr in infos:
            ip = str(sockaddr[0])  # an IPv4/IPv6 address string (int only for address families we never ask)
            if not self.allow_private and _blocked(ip):
                raise EngineError(Code.URL_REFUSED, f"refusing to fetch from a private address ({host})")
            out.append(
                {
                    "hostname": host,
                    "host": ip,
                    "port": port,
                    "family": fam,
                    "proto": proto,
                    "flags": socket.AI_NUMERICHOST,
                }
            )
        if not out:
            raise OSError(f"cannot resolve {host}")
        return out

    async def close(self) -> None:
        return None


def check_url(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EngineError(Code.URL_REFUSED, "only http and https URLs can be fetched")
    host = parts.hostname
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not allow_private and (host.lower() == "localhost" or host.lower().endswith(".localhost")):
            raise EngineError(
                Code.URL_REFUSED, "refusing to fetch from a private address (localhost)"
            ) from None
        return
    if not allow_private and _blocked(host):
        raise EngineError(Code.URL_REFUSED, f"refusing to fetch from a private address ({host})")


async def fetch_url(
    url: str, tmp_dir: Path, limit: int, timeout: float, allow_private: bool, max_redirects: int = 5
) -> Received:
    """Download ``url`` (following up to 5 redirects, each checked) into the upload dir."""
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(allow_private), force_close=True)
    client_timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 15))
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as http:
            current = url
            for _ in range(max_redirects + 1):
                check_url(current, allow_private)
                async with http.get(current, allow_redirects=False) as resp:
                    if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                        current = urljoin(current, resp.headers["Location"])
                        continue
                    if resp.status != 200:
                        raise EngineError(Code.DOWNLOAD_FAILED, f"download failed: HTTP {resp.status}")
                    if resp.content_length is not None and resp.content_length > limit:
                        raise too_large(limit)
                    filename = safe_name(unquote(urlsplit(current).path.rsplit("/", 1)[-1]))
                    ext = extension(filename)
                    if ext is None:
                        ctype = (resp.content_type or "").lower()
                        ext = CONTENT_TYPES.get(ctype)
                        if ext is None:
                            raise unsupported(filename or ctype or url)
                        guess = mimetypes.guess_extension(ctype) or ""
                        filename = (filename or "download") + (
                            "." + ext if not filename.endswith(guess) else ""
                        )
                    dest = tmp_dir / f"url_{secrets.token_hex(8)}.{ext}"
                    size, digest = await _write_stream(resp.content.iter_chunked(CHUNK), dest, limit)
                    return Received(filename, ext, dest, size, digest)
            raise EngineError(Code.DOWNLOAD_FAILED, "too many redirects")
    except EngineError:
        raise
    except TimeoutError:
        raise EngineError(Code.DOWNLOAD_FAILED, f"download timed out after {timeout:g} s") from None
    except aiohttp.ClientError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, EngineError):
            raise cause from None
        raise EngineError(Code.DOWNLOAD_FAILED, f"download failed: {exc}") from None
    except OSError as exc:
        raise EngineError(Code.DOWNLOAD_FAILED, f"download failed: {exc}") from None
