"""NEMO's error codes, and the engine's exceptions that carry them."""

from __future__ import annotations

from enum import IntEnum

from core.media.fonts import FontNotFoundError  # noqa: F401 - the engine catches it from here
from core.nemo.limits import SUPPORTED_FORMATS


class Code(IntEnum):
    OK = 0
    BAD_TOKEN = 1001
    SESSION_NOT_FOUND = 1002
    NO_CREDITS = 2001
    BAD_REQUEST = 3001
    RENDER_NOT_FOUND = 3002
    UNSUPPORTED_FILE = 4001
    FILE_TOO_LARGE = 4002
    URL_REFUSED = 4003
    DOWNLOAD_FAILED = 4004
    FOOTAGE_EXPIRED = 4005  # the built-in engine: the draft's footage was removed by the pruner


HTTP_STATUS = {
    Code.BAD_TOKEN: 401,
    Code.SESSION_NOT_FOUND: 404,
    Code.NO_CREDITS: 403,
    Code.BAD_REQUEST: 400,
    Code.RENDER_NOT_FOUND: 404,
    Code.UNSUPPORTED_FILE: 415,
    Code.FILE_TOO_LARGE: 413,
    Code.URL_REFUSED: 400,
    Code.DOWNLOAD_FAILED: 502,
    Code.FOOTAGE_EXPIRED: 410,
}


class EngineError(Exception):
    """An error the API reports as ``{"code": <code>, "message": <message>}``."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)


def unsupported(filename: str) -> EngineError:
    return EngineError(
        Code.UNSUPPORTED_FILE,
        f"Unsupported file {filename!r}; supported formats: {', '.join(SUPPORTED_FORMATS)}",
    )


def too_large(limit: int) -> EngineError:
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"
    return EngineError(Code.FILE_TOO_LARGE, f"File too large; the limit is {size}")


class FfmpegError(RuntimeError):
    """ffmpeg failed; ``stderr_tail`` holds its last lines."""

    def __init__(self, message: str, stderr_tail: str = "") -> None:
        super().__init__(f"{message}: {stderr_tail}" if stderr_tail else message)
        self.stderr_tail = stderr_tail
