"""The hand-editing page's HTTP side: the page, its draft, its edits, the proxies, its export.

``POST /api/editor/{app}/{user}/{sid}`` (bearer, like the rest of NEMO's API; the bot asks it for a
conversation's page link; NEMO's cloud has no such path, so the bot offers no page there).
``GET /edit/{sid}/{owner}?c&exp&sig`` the page; under it ``draft``, ``apply``, ``export``, ``render/{rid}``
and ``proxy/{file id}``, each checked against the same signed link (and on Telegram, initData too:
``engine.editor.access``). What the page applies or exports is told in the chat that handed the link
out, when the engine has a hook to it (``engine.editor.events``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from .. import draft as dr
from ..errors import Code, EngineError
from ..store import RenderRecord
from . import access, edits
from .events import APPLIED, EXPORT, PageEvent
from .proxy import Proxies

if TYPE_CHECKING:
    from ..server import EngineServer

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
EDIT_PREFIX = "/edit/"
EXPORT_OUTPUT = {"format": "mp4", "quality": "high"}
ATTRIBUTION = {"X-Skill-Source": "hand-editor", "X-Skill-Version": "1", "X-Skill-Platform": "web"}
TEXTS = {
    "forbidden": ("This editing link is not valid or has expired: open it again from the chat.",
                  "这个编辑链接无效或已过期：请从聊天中重新打开。"),
    "conflict": (("The draft changed meanwhile (another device or a chat edit): your change was not applied. "
                  "The page shows the draft as it is now."),
                 "草稿已被修改（另一台设备或聊天中的编辑）：你的修改没有应用。页面已显示最新草稿。"),
    "gone": ("This conversation's draft is gone.", "这个对话的草稿已不存在。"),
    "credits": ("Not enough credits for this edit.", "额度不足，无法完成这次编辑。"),
    "busy": ("The draft is being edited in the chat; try again in a moment.", "聊天中正在编辑草稿，请稍后再试。"),
    "export": ("Export started.", "已开始导出。"),
    "export_chat": ("Export started: the video will arrive in the chat.", "已开始导出：视频会发到聊天中。"),
}


def _t(lang: str, key: str) -> str:
    en, zh = TEXTS[key]
    return zh if lang == "zh" else en


def _lang(value: str | None) -> str | None:
    v = (value or "").lower()
    return "zh" if v.startswith("zh") else "en" if v.startswith("en") else None


@cache
def _page_parts() -> tuple[str, str, str, str]:
    """index.html, style.css, app.js and forbidden.html, read once."""
    return tuple(  # type: ignore[return-value]
        (STATIC / name).read_text(encoding="utf-8")
        for name in ("index.html", "style.css", "app.js", "forbidden.html")
    )


def page_weight() -> int:
    """Bytes of the page as served (HTML with its CSS and script inside)."""
    html, css, js, _ = _page_parts()
    return len(html.encode()) + len(css.encode()) + len(js.encode())


def _headers(nonce: str) -> dict[str, str]:
    return {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",  # the address holds the link's signature
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            "connect-src 'self'; media-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
        ),
    }


class EditorPages:
    """The routes of the page, bound to a running ``EngineServer``."""

    def __init__(self, server: EngineServer) -> None:
        self.server = server
        self.proxies = Proxies(server.data_dir / "analysis", server.settings.ffmpeg)
        self._telling: set[asyncio.Task[bool]] = set()

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/api/editor/{app}/{user}/{sid}", self.link)
        router.add_get("/edit/{sid}/{owner}", self.page)
        router.add_get("/edit/{sid}/{owner}/draft", self.draft)
        router.add_post("/edit/{sid}/{owner}/apply", self.apply)
        router.add_post("/edit/{sid}/{owner}/export", self.export)
        router.add_get("/edit/{sid}/{owner}/render/{rid}", self.render)
        router.add_get("/edit/{sid}/{owner}/proxy/{fid}", self.proxy)

    # the bot's side ---------------------------------------------------------------------------
    async def link(self, request: web.Request) -> web.Response:
        """A signed page link for one conversation: ``{"url": ...}`` (``null`` when this engine cannot
        check the platform's users: Telegram without ``telegram_bot_token``)."""
        from ..server import envelope

        sid = request.match_info["sid"]
        task = await self.server._task(request, sid)
        body: dict[str, Any] = {}
        if request.can_read_body:
            try:
                loaded = await request.json()
            except ValueError:
                raise EngineError(Code.BAD_REQUEST, "body is not valid JSON") from None
            body = loaded if isinstance(loaded, dict) else {}
        platform, user = str(body.get("platform") or ""), str(body.get("user") or "")
        owner = access.owner_of(platform, user)
        chat = access.chat_of(platform, body.get("chat"), user, body.get("group"))
        if owner is None or (owner != access.ANYONE and self.server.settings.telegram_bot_token is None):
            return envelope({"url": None, "app": False})
        for rec in await self.server.store.files_of_session(task.session_id):
            self.proxies.warm(rec)  # the page plays them: made while the user reads the chat
        ttl = self.server.settings.editor_link_hours * 3600
        c = chat.token() if chat is not None else None
        query = self.server.links.sign(access.signed_path(sid, owner, c), ttl=ttl).split("?", 1)[1]
        url = f"{self.server.public_base}/edit/{sid}/{owner}?" + (f"c={c}&" if c else "") + query
        return envelope({"url": url, "app": owner != access.ANYONE})

    # checks -----------------------------------------------------------------------------------
    def _link_ok(self, request: web.Request) -> bool:
        sid, owner = request.match_info["sid"], request.match_info["owner"]
        return access.is_owner(owner) and self.server.links.valid(
            access.signed_path(sid, owner, request.query.get("c")), request.query.get("exp"), request.query.get("sig")
        )

    @staticmethod
    def _query(request: web.Request) -> str:
        """The link's signed part, for the addresses the page is given (its footage)."""
        c = request.query.get("c")
        return ("?" + (f"c={c}&" if c else "") + f"exp={request.query.get('exp', '')}"
                f"&sig={request.query.get('sig', '')}")

    async def _tell(self, event: PageEvent) -> bool:
        """Tell the chat the link names (False when there is no hook or no conversation, or it did
        not take it)."""
        hook = self.server.on_page_event
        if hook is None:
            return False
        try:
            return await hook(event)
        except Exception:
            log.exception("the chat could not be told of a hand edit in session %s", event.session_id)
            return False

    def _event(self, request: web.Request, kind: Literal["applied", "export"], lang: str,
               en: str = "", zh: str = "") -> PageEvent | None:
        """The event for the conversation the link names; None without one (an older link) or a hook."""
        chat = access.ChatOf.parse(request.query.get("c"))
        if chat is None or self.server.on_page_event is None:
            return None
        return PageEvent(kind, request.match_info["sid"], chat.platform,
                         chat.chat, chat.user, chat.group, lang, en, zh)

    async def _who(self, request: web.Request) -> tuple[str, str | None]:
        """The session's user and the language the caller's Telegram client says; 403 otherwise."""
        owner = request.match_info["owner"]
        said: str | None = None
        if not self._link_ok(request):
            raise self._forbidden(request)
        if owner != access.ANYONE:
            token = self.server.settings.telegram_bot_token
            user = None
            if token is not None:
                user = access.check_init_data(
                    request.headers.get(access.INIT_DATA_HEADER, ""),
                    token.get_secret_value(),
                    self.server.settings.telegram_init_max_age,
                )
            if user is None or access.TELEGRAM + user.id != owner:
                raise self._forbidden(request)
            said = _lang(user.language)
        task = await self.server.store.get_task(request.match_info["sid"])
        if task is None:
            raise web.HTTPNotFound(text=_t("en", "gone"))
        return task.user_id, said

    def _forbidden(self, request: web.Request) -> web.HTTPForbidden:
        lang = _lang(request.headers.get("Accept-Language")) or "en"
        return web.HTTPForbidden(
            text=json.dumps({"error": "forbidden", "message": _t(lang, "forbidden")}),
            content_type="application/json",
        )

    async def _state(self, user_id: str, sid: str) -> dict[str, Any]:
        session = await self.server._session(user_id, sid)
        if session is None:
            raise web.HTTPNotFound(text=_t("en", "gone"))
        return dict(session.state)

    # the page ---------------------------------------------------------------------------------
    async def page(self, request: web.Request) -> web.Response:
        nonce = secrets.token_urlsafe(12)
        html, css, js, forbidden = _page_parts()
        if not self._link_ok(request):
            body = forbidden.replace("{{nonce}}", nonce)
            return web.Response(text=body, status=403, content_type="text/html", headers=_headers(nonce))
        body = html.replace("{{nonce}}", nonce).replace("/*{{css}}*/", css).replace("/*{{js}}*/", js)
        return web.Response(text=body, content_type="text/html", headers=_headers(nonce))

    async def draft(self, request: web.Request) -> web.Response:
        user_id, said = await self._who(request)
        sid = request.match_info["sid"]
        state = await self._state(user_id, sid)
        media = [m for m in state.get("video_infos") or [] if isinstance(m, dict)]
        query = self._query(request)
        sources = {
            str(m["id"]): {
                "url": f"proxy/{m['id']}{query}",
                "w": m.get("width") or 0, "h": m.get("height") or 0, "d": round(float(m.get("duration") or 0) * 1000),
            }
            for m in media
            if m.get("file_type") == "video" and m.get("id")
        }
        lang = said or _lang(state.get("language")) or _lang(request.headers.get("Accept-Language")) or "en"
        return web.json_response({
            "version": edits.version(state.get("draft")),
            "lang": lang,
            "sources": sources,
            **edits.view(state.get("draft"), media),
        }, headers={"Cache-Control": "no-store"})

    async def apply(self, request: web.Request) -> web.Response:
        from google.adk.events import Event, EventActions
        from google.genai import types

        from ..server import APP_NAME

        user_id, said = await self._who(request)
        sid = request.match_info["sid"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return web.json_response({"error": "bad request"}, status=400)
        server = self.server
        async with server._lock(sid):
            state = await self._state(user_id, sid)
            lang = said or _lang(state.get("language")) or "en"
            old = state.get("draft")
            if body.get("version") != edits.version(old):
                return web.json_response({"error": "conflict", "message": _t(lang, "conflict")}, status=409)
            media = [m for m in state.get("video_infos") or [] if isinstance(m, dict)]
            try:
                done = edits.apply(old, media, body.get("edits"))
            except edits.Refused as exc:
                return web.json_response({"error": "refused", "message": exc.zh if lang == "zh" else exc.en},
                                         status=422)
            if server.settings.credits is not None and not await server.store.charge(
                user_id, server.settings.message_cost, server._initial_credits()
            ):
                return web.json_response({"error": "credits", "message": _t(lang, "credits")}, status=403)
            summary = ("" if lang == "zh" else " ").join(done.zh if lang == "zh" else done.en)
            invocation = "editor-" + secrets.token_hex(6)
            await server.tools.remember(sid, invocation, old if isinstance(old, dict) else dr.empty_draft())
            delta: dict[str, Any] = {"draft": done.draft}
            if isinstance(done.draft.get("cv"), dict):
                delta["canvas_config"] = done.draft["cv"]
            session = await server._session(user_id, sid)
            await server.sessions.append_event(session, Event(
                invocation_id=invocation, author=APP_NAME,
                content=types.Content(role="model", parts=[types.Part(text=summary)]),
                actions=EventActions(state_delta=delta),
            ))
        log.info("hand edit applied in session %s (%d edits)", sid, len(body.get("edits") or []))
        event = self._event(request, APPLIED, lang, " ".join(done.en), "".join(done.zh))
        if event is not None:  # told in the chat meanwhile: the page does not wait for the chat's answer
            told = asyncio.get_running_loop().create_task(self._tell(event), name=f"tell {sid}")
            self._telling.add(told)
            told.add_done_callback(self._telling.discard)
        return web.json_response({"message": summary, "version": edits.version(done.draft),
                                  "total": dr.total_ms(done.draft)})

    async def export(self, request: web.Request) -> web.Response:
        user_id, said = await self._who(request)
        sid = request.match_info["sid"]
        state = await self._state(user_id, sid)
        lang = said or _lang(state.get("language")) or "en"
        draft = dr.ensure_footage(state.get("draft"), state.get("video_infos") or [])
        if not dr.segments(draft, dr.VIDEO):
            return web.json_response({"error": "empty"}, status=422)
        event = self._event(request, EXPORT, lang)
        if event is not None and await self._tell(event):
            # the chat's own export: its status message ticks, the video arrives in the chat
            return web.json_response({"chat": True, "message": _t(lang, "export_chat")})
        now = time.time()
        rid = "hand_" + secrets.token_hex(8)
        rec = RenderRecord(rid, user_id, sid, "pending", 0.0, draft, dict(EXPORT_OUTPUT),
                           None, None, None, None, 0, now, now)
        try:
            await self.server.renders.submit(rec)
        except EngineError as exc:
            return web.json_response({"error": "refused", "message": exc.message}, status=exc.http_status)
        return web.json_response({"render": rid, "message": _t(lang, "export")})

    async def render(self, request: web.Request) -> web.Response:
        user_id, _ = await self._who(request)
        rec = await self.server.store.get_render(request.match_info["rid"])
        if rec is None or rec.user_id != user_id or rec.session_id != request.match_info["sid"]:
            raise web.HTTPNotFound()
        return web.json_response(self.server.renders.status_body(rec)["data"])

    async def proxy(self, request: web.Request) -> web.StreamResponse:
        # a <video> element sends no headers of ours: the signed link alone opens the footage, as file links do
        if not self._link_ok(request):
            raise self._forbidden(request)
        rec = await self.server.store.get_file(request.match_info["fid"])
        if rec is None or rec.session_id != request.match_info["sid"] or rec.file_type != "video":
            raise web.HTTPNotFound()
        if not rec.path.exists():
            raise web.HTTPGone()
        try:
            path = await asyncio.wait_for(self.proxies.of(rec), 300)
        except Exception:
            log.exception("no proxy for %s", rec.id)
            raise web.HTTPServiceUnavailable() from None
        return web.FileResponse(path, headers={"Cache-Control": "private, max-age=3600"})
