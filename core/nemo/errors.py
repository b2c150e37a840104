"""Typed errors for every row of NEMO's error table, and for transport failures.

Each error carries ``key``: the name of the user-facing message in ``core.i18n``. Error texts
never include a token: the client builds them from the server's message only.
"""

from __future__ import annotations


class NemoError(Exception):
    """Any failure talking to NEMO."""

    key = "error_generic"

    def __init__(self, message: str = "", *, code: int | None = None, status: int | None = None) -> None:
        super().__init__(message or self.__class__.__name__)
        self.message = message
        self.code = code
        self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, status={self.status}, message={self.message!r})"


class AuthError(NemoError):
    """1001 (bad or expired token), 1010 / 1011, HTTP 401."""

    key = "error_auth"


class SessionNotFound(NemoError):
    """1002: the session is gone; a new one starts an empty timeline."""

    key = "error_session_restarted"


class NoCredits(NemoError):
    """2001."""

    key = "error_no_credits"


class UnsupportedFile(NemoError):
    """4001."""

    key = "error_unsupported_file"


class FileTooLarge(NemoError):
    """4002 (over 500 MB)."""

    key = "error_file_too_large"


class EmptyFile(NemoError):
    """A file with no bytes: refused before it is sent."""

    key = "error_empty_file"


class UnreadableFile(NemoError):
    """The user's file could not be read whole (a broken download, fewer or more bytes than stated).
    Its message is the file's name only."""

    key = "error_file_unreadable"


class MissingClientId(NemoError):
    """HTTP 400 on the anonymous-token call."""

    key = "error_generic"


class LinkRefused(NemoError):
    """4003 (the built-in engine): it will not fetch that link (not http(s), or a private address)."""

    key = "url_private"


class LinkNotFetched(NemoError):
    """4004 (the built-in engine, with HTTP 502): the video at a link could not be downloaded."""

    key = "error_link_fetch"


class FootageExpired(NemoError):
    """4005 (the built-in engine, with HTTP 410): the draft's footage expired and was removed."""

    key = "error_footage_expired"


class ExportBlocked(NemoError):
    """HTTP 402: the free plan cannot export (not a credits problem)."""

    key = "error_export_blocked"


class RateLimited(NemoError):
    """HTTP 429."""

    key = "error_rate_limited"


class Unavailable(NemoError):
    """5xx, timeouts, refused connections: NEMO could not be reached or failed."""

    key = "error_unavailable"


class BadResponse(NemoError):
    """A response we could not read (not JSON, not an envelope)."""

    key = "error_unavailable"


class StreamFailed(NemoError):
    """The agent reported an error inside the SSE stream."""

    key = "error_stream"


class StreamDropped(NemoError):
    """The SSE connection broke before it closed normally. Never resend: read the state."""

    key = "error_stream_dropped"


class StreamTimeout(StreamDropped):
    """The stream ran past its 15-minute limit."""

    key = "error_stream_timeout"


class RenderFailed(NemoError):
    """The render job ended in ``failed``."""

    key = "error_render_failed"


class RenderTimeout(NemoError):
    """The render did not finish before the deadline."""

    key = "error_render_timeout"


_BY_CODE: dict[int, type[NemoError]] = {
    1001: AuthError,
    1010: AuthError,
    1011: AuthError,
    1002: SessionNotFound,
    2001: NoCredits,
    4001: UnsupportedFile,
    4002: FileTooLarge,
    4003: LinkRefused,
    4004: LinkNotFetched,
    4005: FootageExpired,
    400: MissingClientId,
    401: AuthError,
    402: ExportBlocked,
    429: RateLimited,
}


def error_for(*, code: int | None = None, status: int | None = None, message: str = "") -> NemoError:
    """The typed error for an envelope ``code`` or an HTTP ``status``."""
    cls: type[NemoError] = NemoError
    if code is not None and code in _BY_CODE:
        cls = _BY_CODE[code]
    elif status is not None and status in _BY_CODE:
        cls = _BY_CODE[status]
    elif status is not None and status >= 500:
        cls = Unavailable
    elif status == 404 and "session" in message.lower():
        cls = SessionNotFound
    return cls(message, code=code, status=status)
