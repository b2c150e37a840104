"""Checks Telegram applies to texts and keyboards: formatting, lengths, callback_data."""

from __future__ import annotations

import html
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from .models import CALLBACK_DATA_LIMIT, JSON, bad_request

HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
    "a", "code", "pre", "blockquote", "tg-emoji", "tg-time",
}  # fmt: skip
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
_MD2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD2_ENTITIES = {"*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough", "||": "Spoiler"}
_ACTION_FIELDS = {
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
    "copy_text", "callback_game", "pay",
}  # fmt: skip


def _offset(text: str, index: int) -> int:
    """UTF-8 byte offset, as Telegram reports it."""
    return len(text[:index].encode())


def _entities_error(detail: str) -> Exception:
    return bad_request(f"can't parse entities: {detail}")


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text the user sees; raises 400 "can't parse entities" on bad markup."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return re.sub(r"[*_`]", "", text)
    return text


def _parse_html(text: str) -> str:
    stack: list[tuple[str, int]] = []
    out: list[str] = []
    pos = 0
    while (lt := text.find("<", pos)) != -1:
        out.append(text[pos:lt])
        match = _TAG.match(text, lt)
        if match is None:
            raise _entities_error(f"Unexpected end of name token at byte offset {_offset(text, lt + 1)}")
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name not in HTML_TAGS:
            kind = "end" if closing else "start"
            raise _entities_error(f'Unsupported {kind} tag "{name}" at byte offset {_offset(text, lt)}')
        if closing:
            if not stack or stack[-1][0] != name:
                expected = f', expected "</{stack[-1][0]}>"' if stack else ""
                raise _entities_error(
                    f'Unmatched end tag at byte offset {_offset(text, lt)}{expected}, found "</{name}>"'
                )
            stack.pop()
        else:
            stack.append((name, lt))
        pos = match.end()
    out.append(text[pos:])
    if stack:
        name, start = stack[-1]
        raise _entities_error(
            f'Can\'t find end tag corresponding to start tag "{name}" at byte offset {_offset(text, start)}'
        )
    return html.unescape("".join(out))


def _parse_markdown_v2(text: str) -> str:
    out: list[str] = []
    open_at: dict[str, int] = {}
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            out.append(text[i + 1 : i + 2])
            i += 2
        elif text.startswith("```", i):
            end = text.find("```", i + 3)
            if end == -1:
                raise _entities_error(f"Can't find end of Pre entity at byte offset {_offset(text, i)}")
            block = text[i + 3 : end]
            first, newline, rest = block.partition("\n")
            if newline and first and not first[0].isspace() and " " not in first:
                block = rest  # ```python\n...: the language tag is not shown
            out.append(block.replace("\\`", "`").replace("\\\\", "\\"))
            i = end + 3
        elif c == "`":
            end = text.find("`", i + 1)
            if end == -1:
                raise _entities_error(f"Can't find end of Code entity at byte offset {_offset(text, i)}")
            out.append(text[i + 1 : end])
            i = end + 1
        elif c == "]" and text.startswith("(", i + 1):
            end = text.find(")", i + 2)
            while end != -1 and text[end - 1] == "\\":
                end = text.find(")", end + 1)
            if end == -1:
                raise _entities_error(f"Can't find end of a URL at byte offset {_offset(text, i + 1)}")
            i = end + 1
        elif c in "[]" or (c == ">" and (i == 0 or text[i - 1] == "\n")):
            i += 1
        else:
            token = text[i : i + 2] if text.startswith(("__", "||"), i) else c
            if token in _MD2_ENTITIES:
                if token in open_at:
                    del open_at[token]
                else:
                    open_at[token] = i
                i += len(token)
            elif c in _MD2_RESERVED:
                raise _entities_error(
                    f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
                )
            else:
                out.append(c)
                i += 1
    if open_at:
        token, start = min(open_at.items(), key=lambda item: item[1])
        raise _entities_error(
            f"Can't find end of {_MD2_ENTITIES[token]} entity at byte offset {_offset(text, start)}"
        )
    return "".join(out)


def check_reply_markup(markup: Any) -> JSON | None:
    """Validate a reply_markup parameter; returns it (None when absent)."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup  # reply keyboard, ForceReply, ReplyKeyboardRemove: stored as sent
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    for row in rows:
        for button in row:
            _check_button(button)
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    actions = _ACTION_FIELDS & button.keys()
    if len(actions) != 1:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        _check_button_url(str(button["url"]))
    if "web_app" in button:
        url = str((button["web_app"] or {}).get("url", "")) if isinstance(button["web_app"], dict) else ""
        if not url.startswith("https://"):
            raise bad_request(f"inline keyboard button Web App URL '{url}' is invalid: Only HTTPS links are allowed")


def _check_button_url(url: str) -> None:
    """Telegram opens button URLs itself: only public http(s) hosts (and tg:// links) pass."""
    if not re.match(r"^(https?|tg)://\S+$", url):
        scheme = url.split("://", 1)[0] if "://" in url else ""
        if scheme and not scheme.startswith("http"):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Unsupported URL protocol")
        raise bad_request("BUTTON_URL_INVALID")
    if url.startswith("tg://"):
        return
    if not public_host(urlsplit(url).hostname or ""):
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def public_host(host: str) -> bool:
    """A host on the public internet: no loopback, private, link-local or single-label names."""
    host = host.rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." in host and not host.endswith((".local", ".localhost", ".internal", ".lan"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global


def inline_markup(markup: JSON | None) -> JSON | None:
    """The part of reply_markup Telegram echoes back in a Message (inline keyboards only)."""
    if markup and markup.get("inline_keyboard"):
        return markup
    return None
