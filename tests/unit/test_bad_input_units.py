"""The pure pieces behind bad-input handling: file names, links, texts, and the upload body's checks."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import AsyncIterator

import pytest
from aiohttp.multipart import content_disposition_filename, parse_content_disposition
from hypothesis import example, given
from hypothesis import strategies as st

from core.conversation import clean_text
from core.nemo.client import check_upload
from core.nemo.errors import EmptyFile, FileTooLarge, UnreadableFile, UnsupportedFile
from core.nemo.limits import MAX_UPLOAD_BYTES
from core.nemo.upload import MAX_FILENAME, UploadSource, _part_header, multipart_body, safe_filename
from core.routing import is_public_url, link_problem

# -- file names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "safe"), [
    ("clip.mp4", "clip.mp4"),
    ("../../etc/passwd.mp4", "passwd.mp4"),
    ("..\\..\\Windows\\clip.mp4", "clip.mp4"),
    ('a "quoted" name.mp4', "a 'quoted' name.mp4"),
    ("evil.exe\x00.mp4", "evil.exe.mp4"),
    ("line\r\nbreak.mp4", "linebreak.mp4"),
    ("clip\u202egnp.mp4", "clipgnp.mp4"),
    ("  .hidden.mp4 ", "hidden.mp4"),
    ("决赛 🎬 ملف.mp4", "决赛 🎬 ملف.mp4"),
    ("e\u0301te\u0301.mov", "été.mov"),            # NFC
    ("", ""),
    ("clip.mp4\\", ""),
])
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def test_a_long_name_is_cut_and_keeps_its_extension() -> None:
    safe = safe_filename("x" * 1000 + ".webm")
    assert len(safe) == MAX_FILENAME and safe.endswith(".webm")


@given(st.text(max_size=400))
def test_safe_filename_is_idempotent_and_header_safe(name: str) -> None:
    safe = safe_filename(name)
    assert safe_filename(safe) == safe
    assert len(safe) <= MAX_FILENAME
    assert not any(ch in safe for ch in '"\\/\r\n\x00')
    assert not any(unicodedata.category(ch) == "Cc" for ch in safe)


@example(";;")  # any two semicolons used to make aiohttp drop the header
@example("a;b;c.mp4")
@given(st.text(max_size=300))
def test_the_multipart_header_parses_back_to_the_safe_name(name: str) -> None:
    async def nothing() -> AsyncIterator[bytes]:
        yield b""

    header = _part_header("b0undary", UploadSource(name, nothing, 1)).decode()
    lines = header.split("\r\n")
    assert lines[0] == "--b0undary" and lines[-2:] == ["", ""] and len(lines) == 5   # no injected line
    disposition = lines[1].removeprefix("Content-Disposition: ")
    kind, params = parse_content_disposition(disposition)
    assert kind == "form-data" and params["name"] == "files"
    assert content_disposition_filename(params, "filename") == safe_filename(name)


# -- what may be uploaded ---------------------------------------------------------------------------


def test_check_upload_limits() -> None:
    check_upload("clip.MP4", MAX_UPLOAD_BYTES)           # the limit itself is fine
    check_upload("clip.mp4", None)                        # an unknown size is checked while streaming
    with pytest.raises(FileTooLarge):
        check_upload("clip.mp4", MAX_UPLOAD_BYTES + 1)
    with pytest.raises(EmptyFile):
        check_upload("clip.mp4", 0)
    for name in ("setup.exe", "notes.txt", "clip", "", "clip.mp4.exe"):
        with pytest.raises(UnsupportedFile):
            check_upload(name, 10)


async def _drain(body: AsyncIterator[bytes]) -> int:
    return sum([len(chunk) async for chunk in body])


def _source(data: bytes, size: int | None, *, fail: bool = False) -> UploadSource:
    async def chunks() -> AsyncIterator[bytes]:
        yield data
        if fail:
            raise ConnectionResetError("peer went away")

    return UploadSource("c.mp4", chunks, size)


@pytest.mark.parametrize(("source", "error"), [
    (_source(b"", None), EmptyFile),
    (_source(b"x" * 10, 20), UnreadableFile),
    (_source(b"x" * 30, 20), UnreadableFile),
    (_source(b"x" * 10, None, fail=True), UnreadableFile),
    (_source(b"x" * 64, None), FileTooLarge),
])
def test_the_upload_body_refuses_what_it_cannot_send_whole(
    source: UploadSource, error: type[Exception]
) -> None:
    body, _ = multipart_body([source], "b", limit=32)
    with pytest.raises(error):
        asyncio.run(_drain(body))


def test_an_error_raised_by_the_surface_passes_through_unchanged() -> None:
    class DownloadFailed(UnreadableFile):
        key = "surface_download_failed"

    async def chunks() -> AsyncIterator[bytes]:
        raise DownloadFailed("clip.mp4")
        yield b""  # pragma: no cover

    body, _ = multipart_body([UploadSource("c.mp4", chunks, 5)], "b", limit=32)
    with pytest.raises(DownloadFailed):
        asyncio.run(_drain(body))


# -- links ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/x.mp4", "http://127.1/x", "http://2130706433/", "http://0x7f.0.0.1/",
    "http://017700000001/",
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://0.0.0.0/",
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://10.0.0.1/", "http://172.16.5.4/",
    "http://192.168.1.1/", "http://100.64.0.1/", "http://[fd00::1]/", "http://224.0.0.1/",
    "http://localhost/", "http://LOCALHOST:8080/", "http://app.localhost/", "http://printer.local/",
    "http://metadata.google.internal/", "http://intranet/x.mp4", "http://localhost./",
    "http://user:pw@example.com/x.mp4", "http://example.com@127.0.0.1/", "http://example.com\\@evil/",
    "http://example.com:99999/", "http://[::1/",
])
def test_private_and_odd_urls_are_not_public(url: str) -> None:
    assert not is_public_url(url)


@pytest.mark.parametrize("url", [
    "https://example.com/media/clip.mp4", "http://8.8.8.8/x.mp4", "https://cdn.example.org:8443/a.mov",
    "HTTPS://EXAMPLE.COM/A.MP4", "https://[2606:4700::1111]/x.mp4",
])
def test_public_urls_are_public(url: str) -> None:
    assert is_public_url(url)


@pytest.mark.parametrize(("text", "problem"), [
    ("upload file:///etc/passwd", "url_not_http"),
    ("upload ftp://example.com/x.mp4", "url_not_http"),
    ("upload gopher://example.com:70/", "url_not_http"),
    ("upload https://example.com/a.mp4 http://10.0.0.1/b.mp4", "url_private"),
    ("upload http://127.0.0.1/x.mp4", "url_private"),
    ("upload https://example.com/a.mp4", None),
    ("upload", None),
])
def test_link_problem(text: str, problem: str | None) -> None:
    assert link_problem(text) == problem


# -- texts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "clean"), [
    ("", ""),
    ("\x00\x07\x1b\x7f", ""),
    (" \u200b\u200d\ufeff\t\n ", ""),
    ("add\x00 a title", "add a title"),
    ("line one\r\nline two", "line one\nline two"),
    ("👨‍👩‍👧‍👦 family", "👨‍👩‍👧‍👦 family"),            # the zero-width joiners stay
    ("\u200fשלום\u200f", "\u200fשלום\u200f"),               # RTL marks stay
    ("🫨 shaking face", "🫨 shaking face"),                   # newer than some Unicode tables
    ("标题“决赛”", "标题“决赛”"),
])
def test_clean_text(text: str, clean: str) -> None:
    assert clean_text(text) == clean


@given(st.text())
def test_clean_text_never_keeps_control_characters(text: str) -> None:
    cleaned = clean_text(text)
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t" for ch in cleaned)
    assert cleaned == cleaned.strip()
