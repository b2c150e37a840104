"""The engine's HTTP server: NEMO's API on aiohttp, the chat on Google ADK's Runner.

``EngineServer(settings)`` is an async context manager that starts everything in-process on a port
(0 = a free one) and exposes ``.url``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import json
import logging
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any, Self

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from core.locks import KeyedLocks
from core.memory import few_heaps
from core.nemo.limits import SUBTITLE_FORMATS
from core.nemo.models import AHEAD_NONE, PREVIEW_HEADER, RENDER_AHEAD_HEADER, RENDER_WAIT_HEADER

from . import draft as dr
from .ahead import RenderAhead
from .editor import EditorPages
from .editor.events import PageHook
from .effects import referenced_files
from .errors import Code, EngineError, FfmpegError, unsupported
from .links import LinkSigner, load_secret
from .music.choice import source_path
from .preview import Previews
from .probe import MediaInfo, probe
from .render import RenderError, SourceFile
from .retention import Pruner, expired_footage, footage_expired_text, replace_expired
from .settings import EngineSettings
from .stats import StatsReader
from .store import FileRecord, RenderRecord, Store, Task
from .subtitles import MAX_BYTES as MAX_SUBTITLE_BYTES
from .subtitles import decode, parse_srt
from .tools import SESSION_LANGUAGE, STATE_KEYS, EditTools, initial_state
from .uploads import Received, fetch_url, receive_multipart

log = logging.getLogger(__name__)

APP_NAME = "nemo_agent"
UNLIMITED = 999_999_999
ATTRIBUTION = ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform")
RENDER_WAIT_MAX = 25.0  # seconds a status request may be held: under every client's read timeout
PUBLIC_PREFIXES = ("/files/", "/health", "/api/auth/anonymous-token", "/metrics", "/edit/")  # /metrics: for Prometheus; /edit/: signed page links
RENDER_ID = re.compile(r"[A-Za-z0-9_.-]{1,100}")
MAX_URLS = 10
# where the auth middleware leaves the caller's user id (a typed key where aiohttp has them)
USER_ID: Any = web.RequestKey("user_id", str) if hasattr(web, "RequestKey") else "user_id"


def envelope(data: Any, status: int = 200) -> web.Response:
    return web.json_response({"code": 0, "message": "ok", "data": data}, status=status)


def error_response(code: int, message: str, status: int) -> web.Response:
    return web.json_response({"code": int(code), "message": message, "data": None}, status=status)


def failure_event() -> dict[str, Any]:
    """The last event of a stream whose agent run raised: an ADK error event that names no internals
    (the exception is in the log). ``INTERNAL_ERROR`` tells the client the request itself was fine."""
    return {
        "errorCode": "INTERNAL_ERROR",
        "errorMessage": "the editor failed before finishing this request",
        "author": APP_NAME,
        "turnComplete": True,
        "id": secrets.token_hex(4),
        "timestamp": time.time(),
    }


def _session_id() -> str:
    """A numeric session id like NEMO's (a 19-digit time-ordered number)."""
    return str((int(time.time() * 1000) << 22) | secrets.randbits(22))


class EngineServer:
    """The local engine, started in-process: ``async with EngineServer(settings) as eng: eng.url``."""

    def __init__(self, settings: EngineSettings | None = None, *, model: Any = None) -> None:
        self.settings = settings or EngineSettings()
        self.model = model  # an ADK BaseLlm behind the rules (tests), instead of the configured one
        self.url = ""
        self.public_base = ""
        data = self.settings.resolved_data_dir()
        self.data_dir = data
        self.media_dir = data / "media"
        self.tmp_dir = data / "tmp"
        self.store = Store(data / "engine.db", self.settings.shared_database())
        self.sessions: Any = None
        self._runner: web.AppRunner | None = None
        self._locks = KeyedLocks()  # one per session, while in use
        self._background: set[asyncio.Task] = set()
        self.ahead: RenderAhead | None = None
        self.on_page_event: PageHook | None = None  # the chat of the bot's process (bots/app.py), if any

    # lifecycle --------------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        from google.adk.runners import Runner

        from .agent import build_agent
        from .jobs import RenderQueue
        from .sessions import session_service
        from .workers import prepare_database

        few_heaps()  # before the store's, ADK's and the workers' threads (core/memory.py)
        for d in (self.data_dir, self.media_dir, self.tmp_dir):
            d.mkdir(parents=True, exist_ok=True)
        await self.store.open()
        secret = self.settings.link_secret.get_secret_value() if self.settings.link_secret else None
        self.links = LinkSigner(load_secret(secret, self.data_dir), self.settings.link_ttl_hours * 3600)
        shared = self.settings.shared_database()
        self.renders = RenderQueue(
            self.store,
            self.settings,
            self.data_dir / "renders",
            self._sources,
            self.public_url,
            database_url=shared,
            renders_here=self.settings.role != "api",
        )
        if self.settings.role == "worker":
            assert shared, "the settings refuse a worker without a database"
            await prepare_database(shared)
            await self.renders.start()
            return
        self.previews = Previews(self.data_dir / "renders", self._sources, ffmpeg=self.settings.ffmpeg,
                                 font_latin=self.settings.font_latin, font_cjk=self.settings.font_cjk)
        self.sessions = session_service(self.data_dir / "adk_sessions.db", shared)
        if shared:
            await prepare_database(shared, lambda: self._session("-", "-"))
        self.tools = EditTools(self.store, self.settings, self.data_dir / "analysis")
        self.tools.public_url = self.public_url  # the .srt export is handed out as a signed link
        model = None
        if self.settings.agent == "llm":
            from .llm import build_llm

            model = self.model if self.model is not None else build_llm(self.settings)
        self.agent = build_agent(self.tools, self.settings.silent_ops, model)
        self.runner = Runner(app_name=APP_NAME, agent=self.agent, session_service=self.sessions)
        self.pruner = Pruner(self.store, self.settings, self.data_dir, self._session_draft)
        self.stats = StatsReader(self.store, self.pruner)
        app = self.build_app()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0, lingering_time=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        addresses = self._runner.addresses
        port = addresses[0][1] if addresses else self.settings.port
        host = self.settings.host if self.settings.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        self.url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
        self.public_base = (self.settings.public_base_url or self.url).rstrip("/")
        await self.renders.start()
        self.ahead = RenderAhead(self.store, self.settings, self.data_dir / "renders", self.renders)
        pruning = asyncio.create_task(self.pruner.run_forever())  # now, then every prune_interval_minutes
        self._background.add(pruning)
        pruning.add_done_callback(self._background.discard)

    async def stop(self) -> None:
        if self.ahead is not None:
            await self.ahead.stop_all()
        with contextlib.suppress(Exception):
            await self.renders.stop()
        for t in list(self._background):
            t.cancel()
        for t in list(self._background):
            with contextlib.suppress(BaseException):
                await t
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.sessions is not None:
            await self.sessions.close()
        await self.store.close()

    def public_url(self, path: str) -> str:
        """The signed, expiring URL of a file path (``/files/...``) as handed out."""
        return self.public_base + self.links.sign(path)

    # app ----------------------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._errors, self._auth], client_max_size=4 * 1024 * 1024)
        r = app.router
        r.add_get("/health", self.health)
        r.add_get("/", self.health)
        r.add_post("/api/auth/anonymous-token", self.anonymous_token)
        r.add_post("/api/tasks/{user}/with-session/{app}", self.create_session)
        r.add_post("/run_sse", self.run_sse)
        r.add_post("/api/upload-video/{app}/{user}/{sid}", self.upload)
        r.add_get("/api/credits/balance/simple", self.credits)
        r.add_get("/api/engine/stats", self.engine_stats)
        r.add_get("/metrics", self.metrics)
        r.add_get("/api/state/{app}/{user}/{sid}/latest", self.state)
        r.add_post("/api/render/proxy/lambda", self.render_submit)
        r.add_get("/api/render/proxy/lambda/{rid}", self.render_status)
        r.add_post("/api/render/proxy/lambda/{rid}/cancel", self.render_cancel)
        r.add_get("/api/render/proxy/{rid}/download", self.render_download)
        r.add_post("/api/preview/{app}/{user}/{sid}", self.preview)
        r.add_get("/api/render-ahead/{app}/{user}/{sid}", self.render_ahead_state)
        app.on_response_prepare.append(self.announce)  # the bot offers previews, and waits for renders ahead
        r.add_get("/files/media/{name}", self.serve_media)
        r.add_get("/files/renders/{name}", self.serve_render)
        EditorPages(self).add_routes(r)  # the hand-editing page (engine/editor/)
        return app

    @web.middleware
    async def _errors(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            return await handler(request)
        except EngineError as exc:
            resp = error_response(exc.code, exc.message, exc.http_status)
            if request.can_read_body and not request.content.at_eof():
                resp.force_close()  # the rest of a refused upload is not worth reading
            return resp
        except web.HTTPException:
            raise
        except Exception:
            log.exception("error in %s %s", request.method, request.path)
            return error_response(500, "internal error", 500)

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/" or request.path.startswith(PUBLIC_PREFIXES):
            return await handler(request)
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if not token:
            raise EngineError(Code.BAD_TOKEN, "missing bearer token")
        if self.settings.static_token and secrets.compare_digest(token, self.settings.static_token):
            request[USER_ID] = "static"
            return await handler(request)
        tok = await self.store.get_token(token)
        if tok is None or tok.expires_at <= time.time():
            raise EngineError(Code.BAD_TOKEN, "token is invalid or expired")
        request[USER_ID] = tok.user_id
        return await handler(request)

    # helpers ----------------------------------------------------------------------------------
    def _lock(self, sid: str) -> asyncio.Lock:
        return self._locks(sid)

    async def _task(self, request: web.Request, sid: str) -> Task:
        task = await self.store.get_task(str(sid))
        if task is None or task.user_id != request[USER_ID]:
            raise EngineError(Code.SESSION_NOT_FOUND, "session not found")
        return task

    async def _session(self, user_id: str, sid: str) -> Any:
        from google.adk.sessions.base_session_service import GetSessionConfig

        return await self.sessions.get_session(
            app_name=APP_NAME, user_id=user_id, session_id=sid, config=GetSessionConfig(num_recent_events=0)
        )

    async def _session_draft(self, user_id: str, sid: str) -> tuple[dict[str, Any] | None, float] | None:
        """A session's current draft and when the session last changed (for the pruner)."""
        session = await self._session(user_id, sid)
        return None if session is None else (session.state.get("draft"), float(session.last_update_time))

    def _initial_credits(self) -> int:
        return UNLIMITED if self.settings.credits is None else int(self.settings.credits)

    async def _sources(self, draft: dict[str, Any]) -> dict[str, SourceFile]:
        out: dict[str, SourceFile] = {}
        for fid in referenced_files(draft):
            track = source_path(self.settings.resolved_music_dir(), fid)  # a music library track
            if track is not None:
                out[fid] = SourceFile(track, "audio", 0.0, 0, 0, True)
                continue
            rec = await self.store.get_file(fid)
            if rec is None or not rec.path.exists():
                continue
            i = rec.info
            out[rec.id] = SourceFile(
                rec.path,
                rec.file_type,
                float(i.get("duration") or 0),
                int(i.get("width") or 0),
                int(i.get("height") or 0),
                bool(i.get("has_audio")),
            )
        return out

    async def _media_info(self, r: Received) -> MediaInfo:
        """Probe media; a subtitle file is read instead (a file without a single cue is refused)."""
        if r.ext in SUBTITLE_FORMATS:
            if r.size > MAX_SUBTITLE_BYTES:
                raise ValueError("subtitle file too large")
            data = await asyncio.to_thread(r.path.read_bytes)
            cues = parse_srt(decode(data))
            return MediaInfo("subtitle", round(max(c.end_ms for c in cues) / 1000, 3))
        return await probe(r.path, self.settings.ffmpeg)

    # handlers ---------------------------------------------------------------------------------
    async def health(self, request: web.Request) -> web.Response:
        return envelope({"status": "ok", "engine": "nemobot-local", "agent": self.settings.agent})

    async def anonymous_token(self, request: web.Request) -> web.Response:
        client_id = request.headers.get("X-Client-Id", "").strip()
        if not client_id:
            return error_response(400, "X-Client-Id header is required", 400)
        now = time.time()
        tok = await self.store.token_for_client(client_id, now)
        if tok is None:
            tok = await self.store.create_token(client_id, self.settings.token_ttl_days * 86400)
        available, _ = await self.store.balance(tok.user_id, self._initial_credits())
        expires = _dt.datetime.fromtimestamp(tok.expires_at, _dt.UTC).isoformat().replace("+00:00", "Z")
        return envelope(
            {"token": tok.token, "user_id": tok.user_id, "expires_at": expires, "credits": available}
        )

    async def create_session(self, request: web.Request) -> web.Response:
        if request.match_info["app"] != APP_NAME:
            raise EngineError(Code.BAD_REQUEST, f"unknown app {request.match_info['app']!r}")
        body: dict[str, Any] = {}
        if request.can_read_body:
            with contextlib.suppress(ValueError):
                loaded = await request.json()
                body = loaded if isinstance(loaded, dict) else {}
        user_id = request[USER_ID]
        sid = _session_id()
        task = Task(
            sid,
            "task_" + secrets.token_hex(10),
            str(body.get("task_name") or "project")[:200],
            str(body.get("language") or "en")[:16],
            user_id,
        )
        state = initial_state()
        said = str(body.get("language") or "").lower()
        if said[:2] in ("en", "zh"):
            state[SESSION_LANGUAGE] = said[:2]  # the edits' replies are in it; without it, the message's
        await self.sessions.create_session(app_name=APP_NAME, user_id=user_id, session_id=sid, state=state)
        await self.store.add_task(task)
        return envelope({"task_id": task.task_id, "session_id": sid})

    async def credits(self, request: web.Request) -> web.Response:
        if self.settings.credits is None:
            return envelope({"available": UNLIMITED, "frozen": 0, "total": UNLIMITED, "unlimited": True})
        available, frozen = await self.store.balance(request[USER_ID], self._initial_credits())
        return envelope({"available": available, "frozen": frozen, "total": available + frozen})

    async def engine_stats(self, request: web.Request) -> web.Response:
        """The operator's view (the bot's /stats): renders queued, running and of the last hour; disk and pruning."""
        return envelope((await self.stats.read()).to_json())

    async def metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=await self.stats.prometheus(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def state(self, request: web.Request) -> web.Response:
        sid = request.match_info["sid"]
        task = await self._task(request, sid)
        session = await self._session(task.user_id, sid)
        if session is None:
            raise EngineError(Code.SESSION_NOT_FOUND, "session not found")
        state = {k: session.state.get(k) for k in STATE_KEYS}
        return envelope(
            {"session_id": sid, "task_id": task.task_id, "task_name": task.task_name, "state": state}
        )

    async def run_sse(self, request: web.Request) -> web.StreamResponse:
        from google.adk.agents.run_config import RunConfig, StreamingMode
        from google.genai import types

        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"detail": "body is not valid JSON"}, status=422)
        if not isinstance(body, dict) or not isinstance(body.get("session_id"), (str, int)):
            return web.json_response({"detail": "session_id is required"}, status=422)
        app = body.get("app_name") or APP_NAME
        sid = str(body["session_id"])
        task = await self.store.get_task(sid)
        if app != APP_NAME or task is None or task.user_id != request[USER_ID]:
            return web.json_response({"detail": "Session not found"}, status=404)
        msg = body.get("new_message")
        parts = msg.get("parts") if isinstance(msg, dict) else None
        if not isinstance(parts, list):
            return web.json_response({"detail": "new_message.parts is required"}, status=422)
        text = "\n".join(
            str(p["text"]) for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
        if self.settings.credits is not None and not await self.store.charge(
            task.user_id, self.settings.message_cost, self._initial_credits()
        ):
            raise EngineError(Code.NO_CREDITS, "not enough credits")
        content = types.Content(role="user", parts=[types.Part(text=text)])
        # "streaming": true asks ADK for partial text chunks (and the model for a streamed answer)
        streaming = StreamingMode.SSE if body.get("streaming") is True else StreamingMode.NONE
        run_config = RunConfig(streaming_mode=streaming)
        # ADK's state_delta: of it only the conversation's language now (the draft is the tools' alone)
        delta = body.get("state_delta")
        said = delta.get(SESSION_LANGUAGE) if isinstance(delta, dict) else None
        state_delta = {SESSION_LANGUAGE: said} if said in ("en", "zh") else None

        resp = web.StreamResponse(
            status=200,
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            },
        )
        await resp.prepare(request)
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        async def produce() -> None:
            try:
                async with self._lock(sid):
                    async for event in self.runner.run_async(
                        user_id=task.user_id, session_id=sid, new_message=content, run_config=run_config,
                        state_delta=state_delta,
                    ):
                        await queue.put(("event", event))
                    await self._draft_changed(task.user_id, sid)
            except Exception as exc:
                log.exception("agent run failed in session %s", sid)
                await queue.put(("error", exc))
            finally:
                await queue.put(("end", None))

        producer = asyncio.create_task(produce())  # runs to the end even if the client goes away
        self._background.add(producer)
        producer.add_done_callback(self._background.discard)
        try:
            while True:
                try:
                    kind, item = await asyncio.wait_for(queue.get(), self.settings.heartbeat_interval)
                except TimeoutError:
                    await resp.write(b'data: {"type":"heartbeat"}\n\n')
                    continue
                if kind == "end":
                    break
                if kind == "event":
                    line = "data: " + item.model_dump_json(exclude_none=True, by_alias=True) + "\n\n"
                else:
                    line = "data: " + json.dumps(failure_event()) + "\n\n"
                await resp.write(line.encode("utf-8"))
            await resp.write_eof()
        except ConnectionError:
            pass  # the client left; the edit still completes and lands in the state
        return resp

    async def upload(self, request: web.Request) -> web.Response:
        sid = request.match_info["sid"]
        task = await self._task(request, sid)
        limit = self.settings.max_upload_bytes
        received: list[Received] = []
        try:
            if request.content_type.startswith("multipart/"):
                received = await receive_multipart(request, self.tmp_dir, limit)
            else:
                try:
                    body = await request.json()
                except ValueError:
                    raise EngineError(
                        Code.BAD_REQUEST, "send multipart field 'files' or JSON {\"urls\": [...]}"
                    ) from None
                urls = body.get("urls") if isinstance(body, dict) else None
                if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
                    raise EngineError(Code.BAD_REQUEST, "'urls' must be a non-empty list of URLs")
                if len(urls) > MAX_URLS:
                    raise EngineError(Code.BAD_REQUEST, f"at most {MAX_URLS} URLs at a time")
                for u in urls:
                    received.append(
                        await fetch_url(
                            u,
                            self.tmp_dir,
                            limit,
                            self.settings.url_timeout,
                            self.settings.allow_private_urls,
                        )
                    )
            infos = []
            records = []
            for r in received:
                try:
                    mi = await self._media_info(r)
                except ValueError:
                    raise unsupported(r.filename) from None
                fid = "f" + secrets.token_hex(8)
                final = self.media_dir / f"{fid}.{r.ext}"
                os.replace(r.path, final)
                info = {
                    "id": fid,
                    "filename": r.filename,
                    "file_type": mi.file_type,
                    "cdn_url": self.public_url(f"/files/media/{final.name}"),
                    "duration": mi.duration,
                    "width": mi.width,
                    "height": mi.height,
                    "fps": mi.fps,
                    "rotation": mi.rotation,
                    "has_audio": mi.has_audio,
                    "has_video": mi.has_video,
                    "hash": r.sha256,
                    "size": r.size,
                }
                records.append(
                    FileRecord(
                        fid, task.user_id, sid, r.filename, mi.file_type, final, r.size, r.sha256, info
                    )
                )
                infos.append(info)
        finally:
            for r in received:
                r.path.unlink(missing_ok=True)
        for rec in records:
            await self.store.add_file(rec)
        await self._apply_uploads(task.user_id, sid, infos)
        if self.settings.preview_proxies:  # the first preview of this footage is then quick
            self._in_background(self._prepare_previews(task.user_id, sid))
        files = [
            {
                k: i[k]
                for k in ("filename", "file_type", "cdn_url", "duration", "width", "height", "fps", "hash")
            }
            | {"id": i["id"]}
            for i in infos
        ]
        return envelope({"files": files, "session_state_applied": True})

    def _in_background(self, work: Any) -> None:
        job = asyncio.create_task(work)
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    async def _prepare_previews(self, user_id: str, sid: str) -> None:
        try:
            session = await self._session(user_id, sid)
            if session is not None and session.state.get("draft"):
                await self.previews.prepare(session.state["draft"])
        except (OSError, EngineError, FfmpegError) as exc:  # only a later preview's speed depends on it
            log.info("no preview proxies for %s: %s", sid, exc)

    async def _apply_uploads(self, user_id: str, sid: str, infos: list[dict[str, Any]]) -> None:
        from google.adk.events import Event, EventActions

        async with self._lock(sid):
            session = await self._session(user_id, sid)
            if session is None:
                raise EngineError(Code.SESSION_NOT_FOUND, "session not found")
            media = list(session.state.get("video_infos") or []) + infos
            draft = session.state.get("draft") or dr.empty_draft()
            draft, new = await replace_expired(self.store, draft, infos)  # the same file sent again
            for info in new:
                draft = dr.append_media(draft, info)
            delta = {"video_infos": media, "draft": draft}
            event = Event(
                invocation_id="upload-" + secrets.token_hex(6),
                author="user",
                actions=EventActions(state_delta=delta),
            )
            await self.sessions.append_event(session, event)
        if self.ahead is not None:
            await self.ahead.draft_changed(sid, draft)

    async def _draft_changed(self, user_id: str, sid: str) -> None:
        """After a message: the session's draft rendered ahead when it changed (engine/ahead.py)."""
        if self.ahead is None or not self.ahead.enabled:
            return
        session = await self._session(user_id, sid)
        if session is not None:
            await self.ahead.draft_changed(sid, session.state.get("draft"))

    # renders ----------------------------------------------------------------------------------
    async def render_submit(self, request: web.Request) -> web.Response:
        missing = [h for h in ATTRIBUTION if not request.headers.get(h, "").strip()]
        if missing:
            return error_response(402, "export needs the attribution headers " + ", ".join(missing), 402)
        try:
            body = await request.json()
        except ValueError:
            raise EngineError(Code.BAD_REQUEST, "body is not valid JSON") from None
        if not isinstance(body, dict):
            raise EngineError(Code.BAD_REQUEST, "body must be a JSON object")
        rid = str(body.get("id") or f"render_{int(time.time() * 1000)}")
        if not RENDER_ID.fullmatch(rid):
            raise EngineError(Code.BAD_REQUEST, "render id may hold letters, digits, '_', '-' and '.' only")
        sid = str(body.get("sessionId") or body.get("session_id") or "")
        task = await self._task(request, sid)
        existing = await self.store.get_render(rid)
        if existing is not None:
            if existing.user_id != task.user_id:
                raise EngineError(Code.BAD_REQUEST, "render id already used")
            return envelope(self.renders.status_body(existing)["data"])
        draft = body.get("draft")
        if isinstance(draft, str):
            with contextlib.suppress(ValueError):
                draft = json.loads(draft)
        if not isinstance(draft, dict) or not draft.get("t"):
            session = await self._session(task.user_id, sid)
            draft = (session.state.get("draft") if session else None) or dr.empty_draft()
        if not dr.segments(dr.clone(draft), dr.VIDEO):
            raise EngineError(Code.BAD_REQUEST, "the draft has no video to render: upload a clip first")
        output = body.get("output")
        if not isinstance(output, dict):
            output = {"format": "mp4", "quality": "high"}
        now = time.time()
        rec = RenderRecord(
            rid, task.user_id, sid, "pending", 0.0, draft, output, None, None, None, None, 0, now, now
        )
        if self.ahead is None or not await self.ahead.serve(rec):  # rendered ahead: at once, or joined
            await self.renders.submit(rec)
        return envelope(self.renders.status_body(rec)["data"])

    async def preview(self, request: web.Request) -> web.Response:
        """A small, quick look at the session's current draft (``engine/preview.py``): its signed link,
        size, length and picture size. ``{"audio": false}`` leaves the sound out (a Telegram animation)."""
        task = await self._task(request, request.match_info["sid"])
        body: Any = {}
        if request.can_read_body:
            with contextlib.suppress(ValueError):
                body = await request.json()
        audio = not (isinstance(body, dict) and body.get("audio") is False)
        session = await self._session(task.user_id, task.session_id)
        draft = (session.state.get("draft") if session else None) or dr.empty_draft()
        if not dr.segments(dr.clone(draft), dr.VIDEO):
            raise EngineError(Code.BAD_REQUEST, "the draft has no video to preview: upload a clip first")
        if await expired_footage(self.store, draft):
            raise EngineError(Code.FOOTAGE_EXPIRED, footage_expired_text(task.language))
        try:
            made = await self.previews.make(draft, audio=audio)
        except RenderError as exc:
            raise EngineError(Code.BAD_REQUEST, str(exc)) from None
        return envelope({"url": self.public_url(f"/files/renders/{made.path.name}"), "size": made.size,
                         "duration": made.duration, "width": made.width, "height": made.height,
                         "audio": made.audio, "cached": made.cached})

    async def render_ahead_state(self, request: web.Request) -> web.Response:
        """Whether the session's current draft is rendered ahead: ``{"state": "ready" | "rendering" |
        "none"}`` (engine/ahead.py; from memory, cheap to ask every second or two)."""
        task = await self._task(request, request.match_info["sid"])
        ahead = self.ahead
        state = ahead.state_of(task.session_id) if ahead is not None and ahead.enabled else AHEAD_NONE
        return envelope({"state": state})

    async def announce(self, request: web.Request, response: web.StreamResponse) -> None:
        """Every API answer says this server makes previews (``POST /api/preview/...``) and, while it renders
        drafts ahead, that ``GET /api/render-ahead/...`` tells when one is; NEMO's cloud says neither."""
        if request.path.startswith("/api/"):
            response.headers[PREVIEW_HEADER] = "1"
            if self.ahead is not None and self.ahead.enabled:
                response.headers[RENDER_AHEAD_HEADER] = "1"

    async def _render_of(self, request: web.Request) -> RenderRecord | None:
        rec = await self.store.get_render(request.match_info["rid"])
        if rec is None or rec.user_id != request[USER_ID]:
            return None
        return rec

    async def render_status(self, request: web.Request) -> web.Response:
        """The render's status. With ``?wait=S&status=X&progress=P`` (what the caller last saw) the
        answer waits up to S seconds (at most ``RENDER_WAIT_MAX``) for the status or percentage to move;
        the ``X-Render-Wait`` header on every answer announces that this server can wait."""
        headers = {RENDER_WAIT_HEADER: str(RENDER_WAIT_MAX)}
        rec = await self._render_of(request)
        if rec is None:
            return web.json_response({"success": False, "error": "render not found"}, status=404, headers=headers)
        try:
            wait = min(max(float(request.query.get("wait", 0)), 0.0), RENDER_WAIT_MAX)
        except ValueError:
            raise EngineError(Code.BAD_REQUEST, "wait must be a number of seconds") from None
        seen = (request.query.get("status"), request.query.get("progress"))
        ends = time.monotonic() + wait
        while True:
            # the wake-up is registered before the record is read: a change in between is never missed
            moved = self.renders.change_event(rec.id)
            rec = await self.store.get_render(rec.id) or rec
            body = self.renders.status_body(rec)
            left = ends - time.monotonic()
            if seen != (body["data"]["status"], str(body["data"]["progress"])) or left <= 0:
                return web.json_response(body, headers=headers)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(moved.wait(), min(left, self.renders.news_within(rec.id)))

    async def render_cancel(self, request: web.Request) -> web.Response:
        rec = await self._render_of(request)
        if rec is None:
            raise EngineError(Code.RENDER_NOT_FOUND, "render not found")
        rec = await self.renders.cancel(rec.id)
        assert rec is not None
        return envelope(self.renders.status_body(rec)["data"])

    async def render_download(self, request: web.Request) -> web.StreamResponse:
        rec = await self._render_of(request)
        if rec is None or rec.status != "completed" or not rec.out_path:
            raise EngineError(Code.RENDER_NOT_FOUND, "no finished render with that id")
        raise web.HTTPFound(self.public_url(f"/files/renders/{Path(rec.out_path).name}"))

    async def _serve(self, directory: Path, name: str, request: web.Request) -> web.StreamResponse:
        if not self.links.valid(request.path, request.query.get("exp"), request.query.get("sig")):
            raise web.HTTPForbidden(text="this link is not valid or has expired")
        if "/" in name or "\\" in name or name.startswith("."):
            raise web.HTTPNotFound()
        path = directory / name
        if not path.is_file():
            if await self.store.removed_of([name.split(".", 1)[0]]):
                raise web.HTTPGone(text="this file has expired and was removed; send it again")
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})

    async def serve_media(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(self.media_dir, request.match_info["name"], request)

    async def serve_render(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(self.data_dir / "renders", request.match_info["name"], request)


async def serve_forever(settings: EngineSettings) -> None:
    """Run the engine until interrupted (SIGINT/SIGTERM)."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with EngineServer(settings) as server:
        if settings.role == "worker":
            print(
                f"nemobot engine worker: {settings.concurrent_renders} render(s) at a time "
                f"(data in {server.data_dir})",
                flush=True,
            )
        else:
            print(f"nemobot engine listening on {server.url} (data in {server.data_dir})", flush=True)
        await stop.wait()
