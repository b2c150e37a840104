"""PTB's networking backend on aiohttp instead of its default httpx.

Why: under many chats the default ``HTTPXRequest`` costs about 2.5 ms of CPU a Bot API call on the
machine the figures come from (httpcore 1.0's pool re-scans every connection, with a syscall each,
on every request; encode/httpx#3215), aiohttp about 0.45 ms: the difference between keeping up with
a thousand chats on one core or not (``bench/telegram_load.py``). aiohttp is already a dependency.

Behaviour is PTB's: ``BaseRequest`` turns the status code and body into PTB's errors (``RetryAfter``,
``BadRequest`` ...); here timeouts become ``TimedOut`` and connection failures ``NetworkError``. File
handles in uploads are streamed by aiohttp in chunks (read off the loop), not read whole.
"""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


def _value(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


class AiohttpRequest(BaseRequest):
    """One aiohttp session with at most ``connections`` connections (FIFO when all are busy)."""

    __slots__ = ("_connect", "_connections", "_media_write", "_pool", "_read", "_session", "_write")

    def __init__(self, connections: int = 16, *, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0) -> None:
        self._connections = connections
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data is not None and request_data.contains_files
        read = _value(read_timeout, self._read)
        write = _value(write_timeout, self._media_write if files else self._write)
        connect = _value(connect_timeout, self._connect)
        pool = _value(pool_timeout, self._pool)
        # aiohttp has no write timeout: an upload may take read + write before its answer is late
        sock_read = None if read is None else read + (write or 0.0)
        waiting = None if connect is None or pool is None else connect + pool
        timeout = aiohttp.ClientTimeout(total=None, connect=waiting, sock_connect=connect, sock_read=sock_read)
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            data = request_data.json_parameters
            if files:
                form = aiohttp.FormData()
                for name, value in data.items():
                    form.add_field(name, value)
                for name, (filename, content, mimetype) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts are TimeoutErrors too
            raise TimedOut(f"Timed out ({type(exc).__name__})") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp: {type(exc).__name__}") from exc
