"""The three response envelopes NEMO uses, unwrapped in the order its public clients use."""

from __future__ import annotations

from typing import Any

from core.nemo.errors import BadResponse, error_for


def _message(body: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict):
            inner = value.get("message") or value.get("error_message")
            if isinstance(inner, str):
                return inner
    return ""


def unwrap(body: Any) -> Any:
    """Return the payload of a response body, or raise the typed error it carries.

    1. ``{"code": N, ...}``: ``N != 0`` is an error, else the payload is ``data``;
    2. ``{"success": bool, ...}``: ``false`` is an error, else ``data`` or the body;
    3. anything else is the payload itself.
    """
    if not isinstance(body, dict):
        return body
    if "code" in body and isinstance(body["code"], (int, str)):
        try:
            code = int(body["code"])
        except ValueError:
            raise BadResponse(f"unreadable code {body['code']!r}") from None
        if code != 0:
            raise error_for(code=code, message=_message(body, "message", "msg", "error"))
        return body.get("data")
    if "success" in body:
        if body["success"] is False:
            raise error_for(code=_int_or_none(body.get("code")), message=_message(body, "error", "message"))
        return body.get("data", body)
    return body


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None
