"""What the user asked for (the seeds' routing table) and the backend's GUI talk, translated.

Routing decides which messages skip the chat stream: export, credits, status and upload are
API calls; everything else is an editing instruction that goes to ``/run_sse``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit

from core.i18n import say


class Route(Enum):
    EXPORT = "export"
    CREDITS = "credits"
    STATUS = "status"
    UPLOAD = "upload"
    PREVIEW = "preview"
    CHAT = "chat"


# Short requests only: "export" routes to the export, "export the intro as a GIF with a title" is an edit,
# and so are "export as GIF" / "导出为GIF" (the format is an edit: the next export renders it).
_EXPORT = re.compile(r"^(please\s+)?(export|download|render)(\s+(it|the video|now|please))*[.!]*$"
                     r"|send me the (video|mp4|file)|^(请)?(导出|下载|渲染)(视频|一下|吧)*[。！!.]*$", re.IGNORECASE)
_CREDITS = re.compile(r"^(my\s+)?(credits?|balance)\b|how many credits|积分|余额", re.IGNORECASE)
_STATUS = re.compile(r"^(status|show (me )?(the )?(tracks|timeline)|timeline)[?.!]*$|^状态|查看(时间线|轨道)", re.IGNORECASE)
_UPLOAD = re.compile(r"^(upload|上传)\b", re.IGNORECASE)
_PREVIEW_ASK = re.compile(r"^(please\s+)?((show\s+me\s+)?(a\s+|the\s+)?preview(\s+(it|the video|the draft|please))*"
                          r"|let me see( it)?)[.!?]*$|^(请)?(给我)?(看看|看一下)?预览(一下)?(视频|草稿)?[。！？!?.]*$",
                          re.IGNORECASE)
_LINKS_ONLY = re.compile(r"^(https?://\S+\s*)+$", re.IGNORECASE)  # a message of links alone: upload what they point to
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def route(text: str, has_attachments: bool = False) -> Route:
    """The action for a message, per the seeds' routing table (English and Chinese)."""
    if has_attachments:
        return Route.UPLOAD
    stripped = text.strip()
    if _UPLOAD.match(stripped) or _LINKS_ONLY.match(stripped):
        return Route.UPLOAD
    if len(stripped) <= 40:
        if _EXPORT.search(stripped):
            return Route.EXPORT
        if _CREDITS.search(stripped):
            return Route.CREDITS
        if _STATUS.search(stripped):
            return Route.STATUS
        if _PREVIEW_ASK.search(stripped):
            return Route.PREVIEW
    return Route.CHAT


def find_urls(text: str) -> list[str]:
    return [url.rstrip(".,;:!?)") for url in _URL.findall(text)]


def instruction_after_upload(text: str, had_attachments: bool) -> str:
    """A caption is the instruction that follows the upload; a bare "upload <url>" is not."""
    text = text.strip()
    if not had_attachments:
        for url in find_urls(text):
            text = text.replace(url, " ")
        text = re.sub(r"^\s*(upload|上传)\b", "", text, flags=re.IGNORECASE).strip(" :,.-")
    return text.strip()


_ANY_LINK = re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s<>\"']*", re.IGNORECASE)
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback",
                          "broadcasthost"})
_LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".intranet", ".lan", ".home.arpa",
                   ".corp")


def link_problem(text: str) -> str | None:
    """Why the links in an upload request must not be fetched, as a text key: ``url_not_http``
    (a scheme other than http/https) or ``url_private`` (a loopback, private, link-local or
    otherwise non-public host). ``None`` when every link may go to NEMO."""
    for link in _ANY_LINK.findall(text):
        if link.split(":", 1)[0].lower() not in ("http", "https"):
            return "url_not_http"
        if not is_public_url(link):
            return "url_private"
    return None


def is_public_url(url: str) -> bool:
    """Whether an http(s) URL names a public host. Literal addresses are checked in every form
    (``127.1``, ``2130706433``, ``0x7f.0.0.1``, ``[::ffff:127.0.0.1]``); names only by their shape
    (NEMO resolves them, not the bot). A URL with user info or a backslash is refused: parsers
    disagree on which host it names."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return False
    if not host or "@" in parts.netloc or "\\" in url:
        return False
    host = host.rstrip(".")
    address = _address(host)
    if address is not None:
        return address.is_global and not address.is_multicast
    if host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES):
        return False
    return "." in host  # a single-label name resolves inside a private network


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:  # the legacy IPv4 forms a URL fetcher may still accept
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True, slots=True)
class Translation:
    """The backend's text rewritten for a chat, and what the bot should do about it."""

    text: str
    offer_export: bool = False
    show_timeline: bool = False
    choices: tuple[str, ...] = ()  # instructions offered one per line as '• say “…”': buttons that send them


SAY = "say:"  # a button action that sends the words after it as the user's instruction
_CHOICE = re.compile(r"^\s*[•·\-*]\s*(?:say|说)\s*[“\"]([^”\"\n]{1,200})[”\"]\s*$", re.MULTILINE | re.IGNORECASE)


def choices_in(text: str) -> tuple[str, ...]:
    """The instructions a backend reply offers as '• say “…”' lines (the built-in engine asks a question
    or offers the closest edits this way), in order, each once."""
    return tuple(dict.fromkeys(m.group(1).strip() for m in _CHOICE.finditer(text) if m.group(1).strip()))


_CLICK_EXPORT = re.compile(r"(?<!\(or )(click|press|tap|hit)\s+(the\s+)?[\"'“\[]?export[\"'”\]]?(\s+button)?|点击\s*[“\"]?导出[”\"]?(按钮)?", re.IGNORECASE)
_CLICK = re.compile(r"(click|press|tap)\s+(on\s+)?(the\s+)?[\"'“\[]?(?P<name>\w[\w ]{0,29}?)[\"'”\]]?\s+button", re.IGNORECASE)
_DRAG = re.compile(r"\b(drag(ging)?|drop (it|them|the \w+) (on|into|onto))\b[^.!?,;\n]*|(拖拽|拖动)[^。！？，；\n]*", re.IGNORECASE)
_PREVIEW = re.compile(r"preview (it )?in the timeline|check the timeline|在时间线(中)?预览", re.IGNORECASE)
_OPEN = re.compile(r"open the ([\w ]{1,30}?) panel|打开", re.IGNORECASE)


def _put_hint(pattern: re.Pattern[str], text: str, hint: Callable[[re.Match[str]], str]) -> str:
    """Replace each match with a hint; a hint that opens a sentence starts with a capital (the
    backend's own words stay as they are)."""

    def put(match: re.Match[str]) -> str:
        words = hint(match)
        before = match.string[:match.start()].rstrip()
        return words[:1].upper() + words[1:] if not before or before[-1] in ".!?" else words

    return pattern.sub(put, text)


def translate_gui(text: str, lang: str) -> Translation:
    """Map "click Export", "drag", "preview in timeline", "open panel" onto what a chat can do."""
    offer_export = bool(_CLICK_EXPORT.search(text)) or bool(re.search(r"\bexport\b|导出", text, re.IGNORECASE))
    out = _put_hint(_CLICK_EXPORT, text, lambda m: say(lang, "gui_export_hint"))
    show = bool(_PREVIEW.search(out)) or bool(_OPEN.search(out))
    out = _put_hint(_PREVIEW, out, lambda m: say(lang, "gui_preview_hint"))
    out = _put_hint(_OPEN, out, lambda m: say(lang, "gui_open_hint"))
    out = _put_hint(_DRAG, out, lambda m: say(lang, "gui_drag_hint"))
    out = _put_hint(_CLICK, out, lambda m: say(lang, "gui_click_hint", action=m.group("name").strip().lower()))
    return Translation(out.strip(), offer_export=offer_export, show_timeline=show, choices=choices_in(text))
