"""The ADK agents behind ``/run_sse``.

``PlannerAgent`` needs no model: it plans from the instruction text (``engine.planner``) and emits real
ADK events for each edit (function call, function response whose ``actions.state_delta`` carries the new
draft) and then a text. ``build_agent("llm", ...)`` gives an ADK ``LlmAgent`` on a configured model with the
same tools instead.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Any

from google.adk.agents import BaseAgent, LlmAgent
from google.adk.agents.invocation_context import InvocationContext
from google.adk.events import Event, EventActions
from google.adk.tools import ToolContext
from google.genai import types
from pydantic import Field

from . import planner
from .planner import Op
from .tools import STATE_KEYS, EditTools

APP_NAME = "nemo_agent"
EDIT_TOOL = "edit_multitrack"
ANALYSE_TOOL = "analyze_media"
PROMPT_TOOL = "generate_video_prompt"
TAIL_EN = " Say export when you are ready."
TAIL_ZH = "准备好后说“导出”即可。"


def _call_id() -> str:
    return "adk-" + uuid.uuid4().hex[:12]


def message_text(content: types.Content | None) -> str:
    if content is None or not content.parts:
        return ""
    return "\n".join(p.text for p in content.parts if getattr(p, "text", None))


def _state_dict(state: Any) -> dict[str, Any]:
    getter = getattr(state, "get", None)
    return {k: getter(k) for k in STATE_KEYS} if getter else {}


class PlannerAgent(BaseAgent):
    """A model-free agent: rules turn the message into edits, each streamed as a tool call and response."""

    tools: Any = None  # EditTools
    silent_ops: list[str] = []
    recent: dict[str, list[Op]] = Field(default_factory=dict)  # per session: the last message's edits ("a bit more" repeats them)

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        text = message_text(ctx.user_content)
        state = _state_dict(ctx.session.state)
        last = self.recent.get(ctx.session.id, [])
        p = planner.plan(text, state.get("draft"), state.get("video_infos") or [], last=last)
        if p.is_help:
            yield self._text(ctx, p.reply or "")
            return
        if not any(op.name == "undo" for op in p.ops):
            self.recent[ctx.session.id] = list(p.ops)
        summaries: list[str] = []
        all_silent = True
        changed = False
        for op in p.ops:
            if EditTools.needs_analysis(op):
                cid = _call_id()
                yield self._call(
                    ctx, cid, ANALYSE_TOOL, {"op": op.name, "files": self.tools.analysis_targets(op, state)}
                )
                outcome = await self.tools.analyze_for(op, state, p.lang)
                state.update(outcome.delta)
                yield self._response(ctx, cid, ANALYSE_TOOL, outcome.response, outcome.delta)
                if not outcome.ok:
                    summaries.append(outcome.summary)
                    all_silent = False
                    continue
            tool = PROMPT_TOOL if op.name == "video_prompt" else EDIT_TOOL
            cid = _call_id()
            yield self._call(ctx, cid, tool, {"op": op.name, **op.args})
            outcome = await self.tools.execute(op, state, ctx.session.id, ctx.invocation_id, p.lang)
            state.update(outcome.delta)
            changed = changed or bool(outcome.delta)
            yield self._response(ctx, cid, tool, outcome.response, outcome.delta)
            if outcome.summary:
                summaries.append(outcome.summary)
            if not (outcome.ok and op.name in self.silent_ops):
                all_silent = False
        if p.reply:  # what was not understood, or a question, beside what was done
            summaries.append(p.reply)
            all_silent = False
        if all_silent:
            return  # as NEMO does for some edits: the stream closes without text
        tail = ""
        if (
            changed
            and not any(op.name == "video_prompt" for op in p.ops)
            and dict(state.get("draft") or {}).get("t")
        ):
            tail = TAIL_ZH if p.lang == "zh" else TAIL_EN
        yield self._text(ctx, (" " if p.lang == "en" else "").join(summaries) + tail)

    def _event(
        self, ctx: InvocationContext, role: str, part: types.Part, delta: dict[str, Any] | None = None
    ) -> Event:
        return Event(
            invocation_id=ctx.invocation_id,
            author=self.name,
            branch=ctx.branch,
            content=types.Content(role=role, parts=[part]),
            actions=EventActions(state_delta=delta or {}),
        )

    def _call(self, ctx: InvocationContext, call_id: str, name: str, args: dict[str, Any]) -> Event:
        return self._event(
            ctx, "model", types.Part(function_call=types.FunctionCall(id=call_id, name=name, args=args))
        )

    def _response(
        self, ctx: InvocationContext, call_id: str, name: str, response: dict[str, Any], delta: dict[str, Any]
    ) -> Event:
        return self._event(
            ctx,
            "user",
            types.Part(function_response=types.FunctionResponse(id=call_id, name=name, response=response)),
            delta,
        )

    def _text(self, ctx: InvocationContext, text: str) -> Event:
        return self._event(ctx, "model", types.Part(text=text))


LLM_INSTRUCTION = """You are NEMO, a video editing agent. The user has uploaded footage; the session state
holds the timeline (draft). Use the tools to edit it, one call per edit, in the order asked. Times are in
seconds.
After editing, say in one or two short sentences what changed, in the user's language. If the request is
not an edit you can do, list what you can do: keep or cut time ranges, cut pauses, aspect 9:16/1:1/16:9,
titles and text, background music from an uploaded audio file, speed, fades, transitions, mute and volume,
join clips, highlight reels, an example clip, video prompt generation, undo."""


def build_tool_functions(tools: EditTools) -> list[Any]:
    """The edit tools as plain functions for an LlmAgent (ADK builds their schemas from the signatures)."""

    async def _do(name: str, args: dict[str, Any], tool_context: ToolContext) -> dict[str, Any]:
        state = _state_dict(tool_context.state)
        op = Op(name, {k: v for k, v in args.items() if v is not None})
        lang = "zh" if planner.is_chinese(str(args)) else "en"
        if EditTools.needs_analysis(op):
            pre = await tools.analyze_for(op, state, lang)
            state.update(pre.delta)
            for k, v in pre.delta.items():
                tool_context.state[k] = v
        outcome = await tools.execute(op, state, tool_context.session.id, tool_context.invocation_id, lang)
        for k, v in outcome.delta.items():
            tool_context.state[k] = v
        return {**outcome.response, "summary": outcome.summary}

    async def keep_range(start: float, end: float, tool_context: ToolContext) -> dict:
        """Keep only the part of the video between start and end seconds."""
        return await _do("keep_range", {"start": start, "end": end}, tool_context)

    async def cut_range(start: float, end: float, tool_context: ToolContext) -> dict:
        """Remove the part of the video between start and end seconds."""
        return await _do("cut_range", {"start": start, "end": end}, tool_context)

    async def cut_pauses(tool_context: ToolContext, min_silence: float = 0.5) -> dict:
        """Remove pauses (silences longer than min_silence seconds)."""
        return await _do("cut_pauses", {"min_silence": min_silence}, tool_context)

    async def set_aspect(aspect: str, tool_context: ToolContext, fit: str = "crop") -> dict:
        """Set the aspect ratio '9:16', '1:1' or '16:9'; fit 'crop' or 'blur' (pad, blurred background)."""
        return await _do("set_aspect", {"aspect": aspect, "fit": fit}, tool_context)

    async def add_text(
        text: str,
        tool_context: ToolContext,
        start: float = 0.0,
        duration: float = 3.0,
        position: str = "center",
        kind: str = "title",
    ) -> dict:
        """Add a title or text overlay from start for duration seconds; position top, center or bottom."""
        return await _do(
            "add_text",
            {"text": text, "start": start, "duration": duration, "pos": position, "kind": kind},
            tool_context,
        )

    async def add_music(tool_context: ToolContext, volume: float = 0.3) -> dict:
        """Add the uploaded audio file as background music at volume (0-1)."""
        return await _do("add_music", {"volume": volume}, tool_context)

    async def set_speed(factor: float, tool_context: ToolContext) -> dict:
        """Play the video at factor times normal speed (0.25-4)."""
        return await _do("speed", {"factor": factor}, tool_context)

    async def add_fades(tool_context: ToolContext, fade_in: float = 1.0, fade_out: float = 1.0) -> dict:
        """Fade in from and out to black (seconds; 0 for none)."""
        return await _do("fades", {"fade_in": fade_in or None, "fade_out": fade_out or None}, tool_context)

    async def add_transitions(tool_context: ToolContext, kind: str = "fade", duration: float = 0.5) -> dict:
        """Put transitions between segments: fade, dissolve, wipeleft or slideleft."""
        return await _do("transitions", {"kind": kind, "duration": duration}, tool_context)

    async def set_volume(volume: float, tool_context: ToolContext) -> dict:
        """Set the clip sound volume (0 mutes, 1 is normal)."""
        return await _do("volume" if volume > 0 else "mute", {"volume": volume}, tool_context)

    async def compress(mb: float, tool_context: ToolContext) -> dict:
        """Make the exported file at most this many megabytes (lowers quality where needed)."""
        return await _do("compress", {"mb": mb}, tool_context)

    async def join_clips(tool_context: ToolContext) -> dict:
        """Join all uploaded clips in upload order."""
        return await _do("join", {}, tool_context)

    async def highlight_reel(seconds: float, tool_context: ToolContext) -> dict:
        """Make a highlight reel of about this many seconds from the footage."""
        return await _do("highlights", {"seconds": seconds}, tool_context)

    async def example_clip(tool_context: ToolContext, seconds: float = 15.0) -> dict:
        """Make a short 9:16 example clip of the footage's best moments."""
        return await _do("example_clip", {"seconds": seconds}, tool_context)

    async def generate_video_prompt(
        description: str, tool_context: ToolContext, seconds: float = 30.0, aspect: str = "16:9"
    ) -> dict:
        """Write a detailed structured video prompt and put its storyboard on the timeline."""
        return await _do(
            "video_prompt", {"description": description, "seconds": seconds, "aspect": aspect}, tool_context
        )

    async def undo(tool_context: ToolContext, steps: int = 1) -> dict:
        """Undo the last edits."""
        return await _do("undo", {"steps": steps}, tool_context)

    return [
        keep_range,
        cut_range,
        cut_pauses,
        set_aspect,
        add_text,
        add_music,
        set_speed,
        add_fades,
        add_transitions,
        set_volume,
        compress,
        join_clips,
        highlight_reel,
        example_clip,
        generate_video_prompt,
        undo,
    ]


def build_agent(kind: str, tools: EditTools, silent_ops: list[str], model: Any = None) -> BaseAgent:
    """The root agent: the planner, or an LlmAgent on ``model`` (a model name or an ADK BaseLlm)."""
    if kind == "llm":
        return LlmAgent(
            name=APP_NAME,
            model=model,
            instruction=LLM_INSTRUCTION,
            description="Edits video by chat",
            tools=build_tool_functions(tools),
        )
    return PlannerAgent(
        name=APP_NAME,
        description="Edits video by chat (rules, no model)",
        tools=tools,
        silent_ops=list(silent_ops),
    )
