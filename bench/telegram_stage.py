"""The stage for the Telegram figures: FakeTelegram and FakeNemo, and the users' side, in a process of
their own (so the bot process's CPU and RSS are the bot's). Used by ``telegram_overhead.py`` and
``telegram_load.py``; on its own it only says so.

Protocol (``--serve``): prints one JSON line with the stand-ins' addresses, then reads one JSON command
a line from stdin and answers each with one JSON line:
  {"cmd": "overhead", "chats": [..], "messages": K, "text": "/help", "think": s}   closed loop, K messages
                                           a chat, each s seconds after the previous answer
  {"cmd": "load", "chats": [..]}           video + caption (streamed edit), then "export", in every chat
  {"cmd": "stop"}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import itertools

from bench.measure import percentile
from tests.fakes.nemo import FakeNemo, RenderPlan, Sleep, Text, ToolCall
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram import server as tg_server

SENDS = {"sendMessage", "sendVideo", "sendDocument", "sendPhoto"}
EDITS = {"editMessageText", "editMessageCaption"}
CAPTION = "add the title 'Finals'"
FINAL_REPLY = "Title added."



class Watch:
    """What the bot did, per chat, as it happens (a wrapper around the fake's method dispatch)."""

    def __init__(self) -> None:
        self.events: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self.sent: dict[int, list[tuple[str, Any]]] = defaultdict(list)  # chat -> (method, result)
        self.times: dict[int, list[float]] = defaultdict(list)  # chat -> times of sends and edits
        self.all_times: list[float] = []
        original = tg_server.dispatch

        async def dispatch(state: Any, method: str, params: dict[str, Any], uploads: Any, files_dir: Any) -> Any:
            result = await original(state, method, params, uploads, files_dir)
            if method in SENDS or method in EDITS:
                chat = int(params.get("chat_id") or 0)
                now = time.monotonic()
                self.times[chat].append(now)
                self.all_times.append(now)
                self.sent[chat].append((method, result))
                self.events[chat].set()
            return result

        tg_server.dispatch = dispatch

    async def until(self, chat: int, predicate: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            event = self.events[chat]
            event.clear()
            if predicate():
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"chat {chat}: timed out")
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                raise TimeoutError(f"chat {chat}: timed out") from None


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best, start = 0, 0
    for end in range(len(times)):
        while times[end] - times[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def overhead(tg: FakeTelegram, watch: Watch, chats: list[int], messages: int, text: str,
                   think: float) -> dict[str, Any]:
    """Each chat sends ``messages`` texts, the next one ``think`` seconds after the answer."""
    latencies: list[float] = []
    unanswered = 0
    refused_before = len(tg.flood.refusals)

    async def one_chat(chat: int) -> None:
        nonlocal unanswered
        for n in range(messages):
            if n:
                await asyncio.sleep(think)
            before = len(watch.sent[chat])
            started = time.perf_counter()
            tg.user_sends(chat, chat, text)
            try:
                await watch.until(chat, lambda before=before: len(watch.sent[chat]) > before, 30)
            except TimeoutError:  # a lost answer is counted, and the chat goes on
                unanswered += 1
                continue
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one_chat(c) for c in chats))
    wall = time.perf_counter() - started
    refused = Counter(r.reason for r in tg.flood.refusals[refused_before:])
    return {"n": len(latencies), "wall": wall, "mean": statistics.fmean(latencies) if latencies else 0.0,
            "p50": percentile(latencies, 50), "p99": percentile(latencies, 99), "unanswered": unanswered,
            "refused": dict(refused)}


async def load(tg: FakeTelegram, nemo: FakeNemo, watch: Watch, chats: list[int]) -> dict[str, Any]:
    for _ in chats:
        nemo.script_chat(ToolCall("edit_multitrack", {"op": "add_text"}), Sleep(1.0),
                         ToolCall("edit_multitrack", {"op": "style"}), Sleep(1.0), Text(FINAL_REPLY))
    timings: dict[str, list[float]] = defaultdict(list)
    failures: list[str] = []

    def status_text(chat: int) -> str:
        """The current text of the chat's first bot message (the status message of the edit)."""
        first = next((r for m, r in watch.sent[chat] if m == "sendMessage"), None)
        if first is None:
            return ""
        return tg.messages[(chat, first["message_id"])].text or ""

    async def one_chat(chat: int) -> None:
        started = time.monotonic()
        file_id = tg.add_file(b"\x00\x00\x00\x18ftypmp42" + b"v" * 20_000, name=f"clip{chat}.mp4")
        tg.user_sends(chat, chat, caption=CAPTION, video=file_id)
        await watch.until(chat, lambda: bool(watch.sent[chat]), 600)
        timings["first_status"].append(time.monotonic() - started)
        await watch.until(chat, lambda: status_text(chat).startswith(FINAL_REPLY), 600)
        timings["edit_done"].append(time.monotonic() - started)
        export_at = time.monotonic()
        tg.user_sends(chat, chat, "export")
        await watch.until(chat, lambda: any(m == "sendVideo" for m, _ in watch.sent[chat]), 600)
        timings["export_to_video"].append(time.monotonic() - export_at)
        timings["whole_flow"].append(time.monotonic() - started)

    async def guarded(chat: int) -> None:
        try:
            await one_chat(chat)
        except Exception as exc:  # noqa: BLE001  (counted and shown)
            failures.append(f"{chat}: {exc}")

    started = time.monotonic()
    await asyncio.gather(*(guarded(c) for c in chats))
    wall = time.monotonic() - started
    links = sum(1 for c in chats if any("Your video is ready" in (m.text or "") for m in tg.chat_log(c)))
    videos = sum(1 for c in chats if any(m.kind == "video" for m in tg.chat_log(c)))
    # the edit's answer takes its status message's place (no "✅ Done" line above a second message)
    finished = sum(1 for c in chats if status_text(c).startswith(FINAL_REPLY))
    edits = [len(tg.chat_log(c)[0].edits) for c in chats if tg.chat_log(c)]
    edit_calls = [c for c in tg.calls if c.method in EDITS]
    lost = [c for c in tg.calls if c.method in SENDS | EDITS and c.status not in (200, 400)]
    not_modified = sum(1 for c in edit_calls if c.status == 400)
    per_chat_peak = max((max_in_window(watch.times[c]) for c in chats), default=0)
    gaps = status_gaps(watch, chats)
    all_times = sorted(watch.all_times)
    seconds = (all_times[-1] - all_times[0]) if len(all_times) > 1 else 1.0
    return {
        "chats": len(chats), "wall": wall, "failures": failures[:5], "failed": len(failures),
        "links": links, "videos": videos, "finished": finished,
        "status_edits_mean": statistics.fmean(edits) if edits else 0, "edit_calls": len(edit_calls),
        "edits_not_modified": not_modified, "lost_calls": len(lost), "count_429": tg.count_429,
        "per_chat_peak_per_s": per_chat_peak, "global_peak_per_s": max_in_window(all_times),
        "flood_refusals": len(tg.flood.refusals),
        "status_gap": {"p50": percentile(gaps, 50), "p99": percentile(gaps, 99), "n": len(gaps)},
        "global_mean_per_s": len(all_times) / max(seconds, 1e-9),
        "timings": {k: {"p50": percentile(v, 50), "p99": percentile(v, 99)} for k, v in timings.items()},
    }


def status_gaps(watch: Watch, chats: list[int]) -> list[float]:
    """Seconds between the visible updates of each status message (its sending, then each edit)."""
    gaps: list[float] = []
    for chat in chats:
        shown: dict[int, list[float]] = defaultdict(list)
        for (method, result), at in zip(watch.sent[chat], watch.times[chat]):
            if method in ("sendMessage", "editMessageText") and isinstance(result, dict):
                shown[result["message_id"]].append(at)
        for times in shown.values():
            gaps.extend(b - a for a, b in itertools.pairwise(times))
    return gaps


class Lag:
    """How late the stage's own event loop runs (if it is busy, latencies are the stage's, not the bot's)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            self.samples.append(time.perf_counter() - started - 0.01)

    def take(self) -> dict[str, float]:
        samples, self.samples = self.samples, []
        return {"p50_ms": percentile(samples, 50) * 1000, "p99_ms": percentile(samples, 99) * 1000}


async def serve() -> None:
    watch = Watch()
    lag = Lag()
    loop = asyncio.get_running_loop()
    async with FakeTelegram() as tg, FakeNemo(credits=10**6, render_plan=RenderPlan(steps=3)) as nemo:
        print(json.dumps({"token": tg.token, "base_url": tg.base_url, "file_base_url": tg.base_file_url,
                          "nemo": nemo.url}), flush=True)
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            command = json.loads(line)
            if command["cmd"] == "stop":
                return
            if command["cmd"] == "overhead":
                result = await overhead(tg, watch, command["chats"], command["messages"], command["text"],
                                        command.get("think", 0.0))
            elif command["cmd"] == "load":
                result = await load(tg, nemo, watch, command["chats"])
            else:
                result = {"error": f"unknown command {command['cmd']}"}
            result["stage_lag"] = lag.take()
            print(json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", action="store_true", help="run the stage (for the telegram_* benches)")
    if not parser.parse_args().serve:
        print("telegram_stage.py: the stand-ins for telegram_overhead.py and telegram_load.py; run those.")
        return
    asyncio.run(serve())


class Stage:
    """The stage as a child process, driven from a bench script."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, __file__, "--serve"], cwd=ROOT, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.info: dict[str, str] = json.loads(self.process.stdout.readline())

    async def run(self, **command: Any) -> dict[str, Any]:
        return await asyncio.to_thread(self._run, command)

    def _run(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps({"cmd": "stop"}) + "\n")
            self.process.stdin.flush()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


if __name__ == "__main__":
    main()
