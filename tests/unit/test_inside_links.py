"""The engine's file links the inside way: only links under the engine's public base are read at its
own address (same path and signature); anything else is fetched as it is, so a user's link can never
be turned into a request to the engine's loopback API."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.conversation.context import Context
from core.inside_links import InsideLinks
from core.nemo.client import NemoClient
from core.settings import NemoSettings, Settings
from core.store import make_store

PUBLIC = "https://media.example.org"
INSIDE = "http://127.0.0.1:8765"
SIGNED = "?exp=1900000000&sig=abc_-DEF"


def test_an_engine_link_under_the_public_base_is_read_at_the_engine_itself() -> None:
    inside = InsideLinks(PUBLIC, INSIDE)
    assert inside(f"{PUBLIC}/files/renders/r1.mp4{SIGNED}") == f"{INSIDE}/files/renders/r1.mp4{SIGNED}"
    assert inside(f"{PUBLIC}/files/media/f_2.mov{SIGNED}") == f"{INSIDE}/files/media/f_2.mov{SIGNED}"
    assert inside(f"HTTPS://Media.Example.org:443/files/media/a{SIGNED}") == f"{INSIDE}/files/media/a{SIGNED}"


def test_a_public_base_with_a_path_and_an_inside_url_with_one() -> None:
    inside = InsideLinks("https://example.org/nemo/", "http://engine:8765/")
    assert inside(f"https://example.org/nemo/files/renders/r{SIGNED}") == f"http://engine:8765/files/renders/r{SIGNED}"
    assert inside(f"https://example.org/files/renders/r{SIGNED}") == f"https://example.org/files/renders/r{SIGNED}"


@pytest.mark.parametrize("url", [
    f"https://cdn.nemovideo.ai/files/renders/r1.mp4{SIGNED}",   # another host (NEMO's cloud)
    f"http://media.example.org/files/renders/r1.mp4{SIGNED}",   # another scheme
    f"https://media.example.org:8443/files/renders/r1.mp4{SIGNED}",  # another port
    f"https://media.example.org/api/credits/balance/simple{SIGNED}",  # not a file: never the engine's API
    f"https://media.example.org/files/../api/render/proxy/lambda{SIGNED}",
    f"https://media.example.org/files/%2e%2e/api/render{SIGNED}",
    f"https://media.example.org/files/renders/..{SIGNED}",
    "https://user@media.example.org/files/renders/r1.mp4",
    "https://media.example.org\\@evil.example/files/renders/r1.mp4",
    "https://media.example.org.evil.example/files/renders/r1.mp4",
    "https://media.example.org/files/renders/r1.mp4#x",
    "file:///files/renders/r1.mp4",
    "/files/renders/r1.mp4",
])
def test_anything_else_is_fetched_as_it_is(url: str) -> None:
    assert InsideLinks(PUBLIC, INSIDE)(url) == url


@pytest.mark.parametrize("public, inside", [(None, INSIDE), (PUBLIC, None), (None, None),
                                            (PUBLIC, "not a url")])
def test_without_both_addresses_nothing_is_rewritten(public: str | None, inside: str | None) -> None:
    links = InsideLinks(public, inside)
    assert not links.active
    assert links(f"{PUBLIC}/files/renders/r1.mp4{SIGNED}") == f"{PUBLIC}/files/renders/r1.mp4{SIGNED}"


async def test_an_engine_of_its_own_is_read_at_the_nemo_base_url(tmp_path: Path) -> None:
    """A bot beside a self-hosted engine (NEMOBOT_BACKEND=cloud, NEMO_BASE_URL=http://engine:8765) told the
    engine's public base (NEMO_PUBLIC_BASE_URL) reads its links at NEMO_BASE_URL; on NEMO's cloud, as they
    are."""
    link = f"{PUBLIC}/files/renders/r1.mp4{SIGNED}"
    for nemo, expected in [(NemoSettings(base_url="http://engine:8765", public_base_url=PUBLIC),
                            f"http://engine:8765/files/renders/r1.mp4{SIGNED}"),
                           (NemoSettings(), link)]:
        client = NemoClient(nemo.base_url)
        try:
            ctx = Context(Settings(nemo=nemo), make_store(None, tmp_path / "bot.db"), client)
            assert ctx.inside(link) == expected
        finally:
            await client.aclose()
