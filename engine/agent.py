"""The ADK agent behind ``/run_sse``.

``PlannerAgent`` needs no model: it plans from the instruction text (``engine.planner``) and emits real
ADK events for each edit (function call, function response whose ``actions.state_delta`` carries the new
draft) and then a text. With ``agent = "llm"`` the rules still go first (instant, free); a message they
cannot read goes to a language model with the same tools (``engine.model_agent``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Any

from google.adk.agents import BaseAgent
from google.adk.agents.invocation_context import InvocationContext
from google.adk.events import Event, EventActions
from google.adk.models import BaseLlm
from google.genai import types
from pydantic import Field

from core.recent import Recent

from . import planner
from .model_agent import ModelTurn, state_dict
from .planner import Op
from .tools import SESSION_LANGUAGE, SESSIONS_KEPT, EditTools

APP_NAME = "nemo_agent"
EDIT_TOOL = "edit_multitrack"
ANALYSE_TOOL = "analyze_media"
PROMPT_TOOL = "generate_video_prompt"
TAIL_EN = " Say “export” (or press Export) when you are ready."  # the words the bot uses for it too
TAIL_ZH = "准备好后说“导出”（或点“导出”按钮）即可。"


def _call_id() -> str:
    return "adk-" + uuid.uuid4().hex[:12]


def message_text(content: types.Content | None) -> str:
    if content is None or not content.parts:
        return ""
    return "\n".join(p.text for p in content.parts if p.text)


class PlannerAgent(BaseAgent):
    """A model-free agent: rules turn the message into edits, each streamed as a tool call and response."""

    tools: Any = None  # EditTools
    silent_ops: list[str] = Field(default_factory=list)
    model_turn: Any = None  # ModelTurn: where what the rules cannot read goes, when a model is configured
    # per session: the last message's edits ("a bit more" repeats them), for the newest sessions only
    recent: dict[str, list[Op]] = Field(default_factory=lambda: Recent(SESSIONS_KEPT))

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        text = message_text(ctx.user_content)
        state = state_dict(ctx.session.state)
        last = self.recent.get(ctx.session.id, [])
        lang = ctx.session.state.get(SESSION_LANGUAGE)
        p = planner.plan(text, state.get("draft"), state.get("video_infos") or [], lang=lang, last=last)
        if not p.understood and self.model_turn is not None:
            async for event in self.model_turn.run(ctx, p.lang):
                yield event
            return
        if p.is_help:
            yield self._text(ctx, p.reply or "")
            return
        if not any(op.name == "undo" for op in p.ops):  # a correction's "revise" is not an edit to repeat
            self.recent[ctx.session.id] = [op for op in p.ops if op.name != "revise"]
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


def build_agent(tools: EditTools, silent_ops: list[str], model: BaseLlm | str | None = None) -> BaseAgent:
    """The root agent: the rules, and behind them the model when one is given."""
    turn = ModelTurn(tools, model) if model is not None else None
    return PlannerAgent(
        name=APP_NAME,
        description="Edits video by chat",
        tools=tools,
        silent_ops=list(silent_ops),
        model_turn=turn,
        sub_agents=[turn.agent] if turn is not None else [],
    )
