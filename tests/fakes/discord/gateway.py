"""The gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME with replay, shards.

Frames go out as plain JSON text (discord.py asks for zlib-stream but only inflates binary frames).
Every dispatch gets the session's next sequence number and is kept in the session's buffer, so a
client that RESUMEs from sequence N gets every later dispatch again, then RESUMED.

Shards, as Discord runs them: each IDENTIFY with ``shard: [id, count]`` opens a session for that
shard (any number at once, from any number of processes; one without ``shard`` is ``[0, 1]``). A
guild's events go to every session whose ``id == (guild_id >> 22) % count``, its READY lists only
those guilds, and DMs (messages and interactions alike) go to shard 0. As on Discord, ``count``
only routes: sessions with the same shard, or with different counts, may run side by side (each
gets what matches it; that is how a deployment hands over to the next one), and a session lives
until its client closes it cleanly or it is dropped as not resumable.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .models import (
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MESSAGES,
    INTENT_MESSAGE_CONTENT,
    JSON,
    PRIVILEGED_INTENTS,
    Clock,
    GatewayFrame,
    guild_create_payload,
    member_payload,
)
from .state import DiscordState

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_VOICE, OP_RESUME = 0, 1, 2, 3, 4, 6
OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 7, 8, 9, 10, 11

CLOSE_UNKNOWN_ERROR = 4000
CLOSE_UNKNOWN_OPCODE = 4001
CLOSE_DECODE_ERROR = 4002
CLOSE_NOT_AUTHENTICATED = 4003
CLOSE_AUTH_FAILED = 4004
CLOSE_ALREADY_AUTHENTICATED = 4005
CLOSE_INVALID_SHARD = 4010
CLOSE_INVALID_INTENTS = 4013
CLOSE_DISALLOWED_INTENTS = 4014


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    path: str
    queue: asyncio.Queue[JSON | None] = field(default_factory=asyncio.Queue)
    session: Session | None = None
    sent_seq: int = 0
    closed_by_server: bool = False
    writer: asyncio.Task[None] | None = None


@dataclass(eq=False)
class Session:
    id: str
    intents: int
    shard: list[int] | None
    seq: int = 0
    ready_seq: int = 0
    buffer: list[JSON] = field(default_factory=list)
    conn: Connection | None = None
    valid: bool = True

    @property
    def shard_id(self) -> int:
        return self.shard[0] if self.shard else 0

    def owns(self, guild_id: int | None) -> bool:
        """Whether this session's shard gets the events of ``guild_id`` (``None``: a DM)."""
        shard_id, count = self.shard or (0, 1)
        return shard_id == 0 if guild_id is None else (guild_id >> 22) % count == shard_id


def guild_of(event: str, data: JSON) -> int | None:
    """The guild a dispatch belongs to (``None``: a DM, or nothing guild-bound)."""
    gid = data.get("id") if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE") else data.get("guild_id")
    return int(gid) if gid is not None else None


class Gateway:
    BUFFER = 2000  # dispatches kept per session for RESUME

    def __init__(self, *, clock: Clock, state: DiscordState, heartbeat_interval_ms: int,
                 allow_privileged_intents: bool, resume_url: Callable[[], str],
                 notify: Callable[[], None]) -> None:
        self.clock = clock
        self.state = state
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.allow_privileged_intents = allow_privileged_intents
        self._resume_url = resume_url
        self._notify = notify
        self.sessions: dict[str, Session] = {}
        self.live: list[Session] = []  # the sessions events go to, in the order they identified
        self.connections: set[Connection] = set()
        self.frames: list[GatewayFrame] = []
        self.identify_count = 0
        self.resume_count = 0
        self.connect_paths: list[str] = []  # path of every gateway connection, in order
        self._open = asyncio.Event()
        self._open.set()
        self._release_handle: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------------ public helpers

    @property
    def current(self) -> Session | None:
        """The newest session (the only one of a bot with one connection)."""
        live = [s for s in self.live if s.valid]
        return live[-1] if live else None

    def ready_shards(self) -> set[int]:
        """The shards with a session that is connected and has had its READY and guilds."""
        return {s.shard_id for s in self.live
                if s.valid and s.conn and s.ready_seq and s.conn.sent_seq >= s.ready_seq}

    def is_ready(self) -> bool:
        """Every shard of the bot is ready (all ``count`` of them when it identified with shards)."""
        counts = [s.shard[1] if s.shard else 1 for s in self.live if s.valid]
        return bool(counts) and self.ready_shards() >= set(range(max(counts)))

    @property
    def intents(self) -> int:
        return self.current.intents if self.current else 0

    def sessions_of(self, guild_id: int | None) -> list[Session]:
        """The live sessions that get the events of ``guild_id`` (``None``: DMs, shard 0)."""
        return [s for s in self.live if s.valid and s.owns(guild_id)]

    def dispatch(self, event: str, data: JSON, *, required: bool = True) -> int | None:
        """Send a dispatch to the sessions of its guild's shard (buffered while one is disconnected).

        Returns the (last) sequence number, or None when there is no session and ``required`` is False.
        """
        sessions = self.sessions_of(guild_of(event, data))
        if not sessions:
            if required:
                raise RuntimeError("no gateway session for this event's shard: start the client and await "
                                   "wait_ready()")
            return None
        return [self._dispatch(session, event, data) for session in sessions][-1]

    def dispatch_message(self, event: str, data: JSON, *, author_id: int, mentions_bot: bool) -> int | None:
        """MESSAGE_CREATE/UPDATE as Discord gates it: by intent, and content without MESSAGE_CONTENT."""
        in_guild = "guild_id" in data
        needed = INTENT_GUILD_MESSAGES if in_guild else INTENT_DIRECT_MESSAGES
        seq = None
        for session in self.sessions_of(guild_of(event, data)):
            if not session.intents & needed:
                continue
            shown = data
            if (in_guild and author_id != self.state.bot_user.id and not mentions_bot
                    and not session.intents & INTENT_MESSAGE_CONTENT):
                shown = dict(data, content="", embeds=[], attachments=[], components=[])
                shown.pop("poll", None)
            seq = self._dispatch(session, event, shown)
        return seq

    async def drop(self, *, resumable: bool, code: int, hold: float | None) -> None:
        session = self.current
        if hold is not None:
            self.hold(hold)
        if session is None:
            return
        if not resumable:
            session.valid = False
        conn = session.conn
        session.conn = None  # from now on dispatches are only buffered
        if conn is not None:
            await self._close(conn, code)

    def hold(self, seconds: float) -> None:
        """New gateway connections wait (before HELLO) for ``seconds`` or until ``release()``."""
        self._open.clear()
        if self._release_handle is not None:
            self._release_handle.cancel()
        if seconds != float("inf"):
            self._release_handle = asyncio.get_running_loop().call_later(seconds, self.release)

    def release(self) -> None:
        if self._release_handle is not None:
            self._release_handle.cancel()
            self._release_handle = None
        self._open.set()

    async def reconnect_request(self) -> None:
        """Send op 7 RECONNECT: the client closes and RESUMEs."""
        session = self.current
        if session is not None and session.conn is not None:
            session.conn.queue.put_nowait({"op": OP_RECONNECT, "d": None, "s": None, "t": None})

    async def close_all(self) -> None:
        self.release()
        await asyncio.gather(*(self._close(c, 1001) for c in list(self.connections)),
                             return_exceptions=True)

    # ------------------------------------------------------------------ internals

    def _dispatch(self, session: Session, event: str, data: JSON) -> int:
        session.seq += 1
        frame = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
        session.buffer.append(frame)
        if len(session.buffer) > self.BUFFER:
            del session.buffer[: len(session.buffer) - self.BUFFER]
        if session.conn is not None:
            session.conn.queue.put_nowait(frame)
        self._notify()
        return session.seq

    def _send(self, conn: Connection, op: int, d: Any) -> None:
        conn.queue.put_nowait({"op": op, "d": d, "s": None, "t": None})

    async def _close(self, conn: Connection, code: int) -> None:
        conn.closed_by_server = True
        conn.queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.ws.close(code=code), timeout=5.0)

    async def _writer(self, conn: Connection) -> None:
        while True:
            frame = await conn.queue.get()
            if frame is None or conn.ws.closed:
                return
            try:
                await conn.ws.send_str(json.dumps(frame))
            except (ConnectionError, RuntimeError):  # the socket went away; RESUME replays from the buffer
                return
            self._record("out", frame, conn)
            if frame.get("s"):
                conn.sent_seq = frame["s"]
                self._notify()

    def _record(self, direction: str, frame: JSON, conn: Connection) -> None:
        shard = conn.session.shard_id if conn.session is not None else None
        self.frames.append(GatewayFrame(direction=direction, op=frame.get("op", -1), t=frame.get("t"),
                                        s=frame.get("s"), time=self.clock.monotonic(), d=frame.get("d"),
                                        shard=shard))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(timeout=5.0, max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = Connection(ws=ws, path=request.path)
        self.connections.add(conn)
        self.connect_paths.append(request.path)
        try:
            await self._open.wait()
            if ws.closed:
                return ws
            conn.writer = asyncio.create_task(self._writer(conn))
            self._send(conn, OP_HELLO, {"heartbeat_interval": self.heartbeat_interval_ms,
                                        "_trace": ["[\"fake-discord-gateway\"]"]})
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    if msg.type is WSMsgType.BINARY:
                        await self._close(conn, CLOSE_DECODE_ERROR)
                    continue
                try:
                    frame = json.loads(msg.data)
                except ValueError:
                    await self._close(conn, CLOSE_DECODE_ERROR)
                    break
                self._record("in", frame, conn)
                self._notify()
                if not await self._on_frame(conn, frame):
                    break
        finally:
            self.connections.discard(conn)
            conn.queue.put_nowait(None)
            if conn.writer is not None:
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(conn.writer, timeout=1.0)
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                if not conn.closed_by_server and ws.close_code in (1000, 1001):
                    session.valid = False  # a clean close from the client ends the session
            self._notify()
        return ws

    async def _on_frame(self, conn: Connection, frame: JSON) -> bool:
        op, d = frame.get("op"), frame.get("d")
        if op == OP_HEARTBEAT:
            self._send(conn, OP_HEARTBEAT_ACK, None)
            return True
        if op == OP_IDENTIFY:
            return await self._identify(conn, d or {})
        if op == OP_RESUME:
            return await self._resume(conn, d or {})
        if conn.session is None:
            await self._close(conn, CLOSE_NOT_AUTHENTICATED)
            return False
        if op == OP_REQUEST_MEMBERS:
            self._members_chunk(d or {})
            return True
        if op in (OP_PRESENCE, OP_VOICE):
            return True
        await self._close(conn, CLOSE_UNKNOWN_OPCODE)
        return False

    async def _identify(self, conn: Connection, d: JSON) -> bool:
        if conn.session is not None:
            await self._close(conn, CLOSE_ALREADY_AUTHENTICATED)
            return False
        if d.get("token") != self.state.bot_token:
            await self._close(conn, CLOSE_AUTH_FAILED)
            return False
        intents = d.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents >= 1 << 26:
            await self._close(conn, CLOSE_INVALID_INTENTS)
            return False
        if intents & PRIVILEGED_INTENTS and not self.allow_privileged_intents:
            await self._close(conn, CLOSE_DISALLOWED_INTENTS)
            return False
        shard = d.get("shard")
        if shard is not None and not (isinstance(shard, list) and len(shard) == 2
                                      and all(isinstance(n, int) for n in shard) and 0 <= shard[0] < shard[1]):
            await self._close(conn, CLOSE_INVALID_SHARD)
            return False
        session = Session(id=secrets.token_hex(16), intents=intents, shard=shard)
        self.sessions[session.id] = session
        self.live = [s for s in self.live if s.valid] + [session]
        session.conn = conn
        conn.session = session
        self.identify_count += 1
        state = self.state
        me = dict(state.bot_user.payload(), verified=True, mfa_enabled=False, email=None, locale="en-US")
        ready: JSON = {
            "v": 10,
            "user": me,
            "user_settings": {},
            "guilds": [{"id": str(g), "unavailable": True} for g in state.guilds if session.owns(g)],
            "private_channels": [],
            "presences": [],
            "relationships": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self._resume_url(),
            "application": {"id": str(state.application_id), "flags": state.application_flags},
            "auth": {},
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        self._dispatch(session, "READY", ready)
        for guild in (g for g in state.guilds.values() if session.owns(g.id)):
            channels = [state.channels[c] for c in guild.channel_ids]
            self._dispatch(session, "GUILD_CREATE", guild_create_payload(guild, channels, state.users))
        session.ready_seq = session.seq
        return True

    async def _resume(self, conn: Connection, d: JSON) -> bool:
        session = self.sessions.get(str(d.get("session_id")))
        if d.get("token") != self.state.bot_token:
            await self._close(conn, CLOSE_AUTH_FAILED)
            return False
        if session is None or not session.valid:
            self._send(conn, OP_INVALID_SESSION, False)
            return True
        if session.conn is not None and session.conn is not conn:
            old = session.conn
            session.conn = None
            asyncio.create_task(self._close(old, CLOSE_UNKNOWN_ERROR))
        seq = d.get("seq") or 0
        if session.buffer and seq < session.buffer[0]["s"] - 1:
            self._send(conn, OP_INVALID_SESSION, False)  # too far behind: the replay buffer lost events
            return True
        conn.session = session
        session.conn = conn
        for frame in session.buffer:
            if frame["s"] > seq:
                conn.queue.put_nowait(frame)
        self.resume_count += 1
        self._dispatch(session, "RESUMED", {"_trace": ["[\"fake-discord-gateway\"]"]})
        return True

    def _members_chunk(self, d: JSON) -> None:
        state = self.state
        gids = d.get("guild_id")
        for gid in gids if isinstance(gids, list) else [gids]:
            guild = state.guilds.get(int(gid)) if gid is not None else None
            if guild is None:
                continue
            members = [member_payload(state.user(u), guild.joined_at) for u in guild.member_ids]
            chunk: JSON = {"guild_id": str(guild.id), "members": members, "chunk_index": 0, "chunk_count": 1,
                           "not_found": []}
            if d.get("nonce") is not None:
                chunk["nonce"] = d["nonce"]
            self.dispatch("GUILD_MEMBERS_CHUNK", chunk, required=False)
