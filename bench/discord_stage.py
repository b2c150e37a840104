"""The stage for the Discord figures: FakeDiscord and FakeNemo, and the users' side, in a process of
their own (so the bot process's CPU and RSS are the bot's). Used by ``discord_load.py``.

Protocol (``--serve``): prints one JSON line with the stand-ins' addresses; once the bot is connected it runs the
load (every user: ``/edit prompt video`` with a streamed reply, then ``/export``) and prints one JSON
line with what it saw; then it waits for a line on stdin and exits. On its own it only says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import LoopLag, StackSampler, cpu_seconds, percentile
from core.i18n import say
from tests.fakes.discord import FakeDiscord
from tests.fakes.nemo import FakeNemo, RenderPlan, Sleep, Text, ToolCall

CLIP = b"\x00\x00\x00\x18ftypmp42" + b"v" * 8192
REPLY = "Cut the pauses."
READY = say("en", "export_ready", thing=say("en", "result_video")).rstrip(".")  # "(8 KB)." may follow
ACK_DEADLINE = 3.0



def content(message: dict[str, Any] | None) -> str:
    return str((message or {}).get("content") or "")


async def until(predicate: Any, timeout: float, every: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(every)
    return bool(predicate())


def video_delivered(dc: FakeDiscord, iid: int) -> bool:
    """What the user sees of an export: the status message (the interaction's original response) became
    the result, the MP4 attached to it, or a link to it (a render on a public host)."""
    message = dc.interaction(iid).original or {}
    return (any(str(a.get("filename", "")).endswith(".mp4") for a in message.get("attachments") or [])
            or "/files/" in content(message))


def first_patch_times(dc: FakeDiscord) -> dict[str, float]:
    """Token -> time of the first successful edit of a message with that interaction token."""
    out: dict[str, float] = {}
    for call in dc.calls:
        if call.method == "PATCH" and call.path.startswith("/webhooks/") and call.status == 200:
            token = call.path.split("/")[3]
            out.setdefault(token, call.time)
    return out


def peak_rate(times: list[float]) -> int:
    """The most requests in any one-second window."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--render-steps", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--serve", action="store_true", help="run as discord_load.py's stage")
    parser.add_argument("--profile", action="store_true", help="sample the stand-ins' loop thread")
    args = parser.parse_args()
    if not args.serve:
        print("discord_stage.py is the stand-ins' side of discord_load.py; run that instead.")
        return
    n = args.users

    async with FakeNemo(render_plan=RenderPlan(steps=args.render_steps)) as nemo, FakeDiscord() as dc:
        print(json.dumps({"event": "addresses", "env": dc.env(), "nemo": nemo.url}), flush=True)
        await dc.wait_ready(timeout=120)
        users = [dc.add_user(f"user{i}") for i in range(n)]
        for _ in range(n):  # a streamed reply: a tool call, a second of work, the answer
            nemo.script_chat(ToolCall("edit_multitrack", {"op": "cut"}), Sleep(1.0), Text(REPLY))

        lag = LoopLag()  # the stand-ins' own loop: a late stand-in would blame the bot for its lateness
        lag.start()
        sampler = StackSampler(own=("/tests/fakes/", "/bench/")) if args.profile else None
        if sampler is not None:
            sampler.start()
        cpu_before = cpu_seconds()
        started = time.monotonic()
        edits = [dc.invoke_slash("edit", {"prompt": "cut the pauses", "video": dc.attachment(CLIP, "clip.mp4")},
                                 user_id=u) for u in users]
        dispatched = time.monotonic() - started
        edited = await until(lambda: all(content(dc.interaction(i).original).startswith(REPLY) for i in edits),
                             args.timeout)
        edit_phase = time.monotonic() - started

        started2 = time.monotonic()
        exports = [dc.invoke_slash("export", user_id=u) for u in users]

        exported = await until(lambda: all(video_delivered(dc, i) for i in exports), args.timeout)
        export_phase = time.monotonic() - started2

        lag.stop()
        if sampler is not None:
            sampler.stop()
        stage_cpu = cpu_seconds() - cpu_before
        patches = first_patch_times(dc)
        ack, first_status = [], []
        for iid in edits + exports:
            record = dc.interaction(iid)
            if record.deferred_at is not None:
                ack.append(record.deferred_at - record.created_at)
            if record.token in patches:
                first_status.append(patches[record.token] - record.created_at)
        statuses = Counter(c.status for c in dc.calls)
        bot_token_calls = [c.time for c in dc.calls if c.authorized]
        result = {
            "event": "result",
            "users": n,
            "dispatch_seconds": round(dispatched, 3),
            "edits_final": sum(content(dc.interaction(i).original).startswith(REPLY) for i in edits),
            "edit_progress_edits": sum(len(dc.interaction(i).original_edits) for i in edits),
            "exports_done": sum(content(dc.interaction(i).original).startswith(READY) for i in exports),
            "videos_delivered": sum(video_delivered(dc, i) for i in exports),
            "all_edits": edited, "all_exports": exported,
            "edit_phase_seconds": round(edit_phase, 2), "export_phase_seconds": round(export_phase, 2),
            "ack_p50": percentile(ack, 50), "ack_p99": percentile(ack, 99), "ack_max": max(ack, default=0.0),
            "first_status_p50": percentile(first_status, 50), "first_status_p99": percentile(first_status, 99),
            "rest_calls": len(dc.calls), "status_counts": {str(k): v for k, v in sorted(statuses.items())},
            "count_429": dc.count_429, "bot_token_calls": len(bot_token_calls),
            "ack_late": sum(1 for a in ack if a > ACK_DEADLINE),
            "unacknowledged": sum(1 for i in edits + exports if dc.interaction(i).deferred_at is None),
            "refusals_by_scope": dict(Counter(scope for _, _, scope in dc.rest.limits.refusals)),
            "bot_token_peak_per_second": peak_rate(bot_token_calls),
            "cdn_downloads": len(dc.cdn_calls),
            "renders": len(nemo.renders),
            "stage_lag": lag.summary(), "stage_profile": sampler.report() if sampler is not None else "", "stage_cpu_seconds": round(stage_cpu, 1),
        }
        print(json.dumps(result), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


if __name__ == "__main__":
    asyncio.run(main())
