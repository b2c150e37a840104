"""The language-model side of the engine's agent: the edit tools as functions a model can call, and
one model turn that either applies all it did or, when the model fails (no answer in time, an
unreadable answer, a broken tool call), takes every edit of the turn back and says so plainly.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.agents.invocation_context import InvocationContext
from google.adk.agents.readonly_context import ReadonlyContext
from google.adk.events import Event, EventActions
from google.adk.models import BaseLlm
from google.adk.tools import ToolContext
from google.genai import types

from . import draft as dr
from .planner import Op
from .tools import STATE_KEYS, EditTools

log = logging.getLogger(__name__)

MODEL_AGENT = "nemo_model"
MODEL_FAILED = {
    "en": "The language model behind this engine did not give a usable answer, so nothing was changed. "
    "Try again, or ask for one edit in plain words (say “help” to see them).",
    "zh": "引擎的语言模型没有给出可用的回答，所以没有做任何修改。"
    "请再试一次，或直接说出一个编辑（说“帮助”查看可做的编辑）。",
}


def state_dict(state: Any) -> dict[str, Any]:
    """The editing keys of an ADK state (session state or a tool's view of it) as a plain dict."""
    getter = getattr(state, "get", None)
    return {k: getter(k) for k in STATE_KEYS} if getter else {}


INSTRUCTION = """You are NEMO, a video editing agent. The user has uploaded footage; the session state
holds the timeline (draft). Use the tools to edit it, one call per edit, in the order asked. Times are in
seconds.
After editing, say in one or two short sentences what changed, in the user's language. If the request is
not an edit you can do, list what you can do: keep or cut time ranges, cut pauses, aspect 9:16/1:1/16:9,
titles and text, background music (an uploaded audio file or a library track by mood), speed, fades, transitions, mute and volume,
join clips, compress to a file size, highlight reels, an example clip, video prompt generation, colour looks
and brightness/contrast/saturation, reverse, rotate and flip, zoom, loop, resolution and frame rate, sound
fades, loudness and denoise, captions (the user's typed words timed to the speech, or words from the speech;
their size, position and word-by-word highlight, a word fixed, removed, the .srt file), subtitles from an
uploaded .srt or .vtt, a logo watermark, export as GIF, MP3 or a cover image, undo."""


def build_tool_functions(tools: EditTools, langs: dict[str, str]) -> list[Any]:
    """The edit tools as plain functions for an LlmAgent (ADK builds their schemas from the signatures).
    ``langs`` maps an invocation to the language of its message, so summaries answer in it."""

    async def _do(name: str, args: dict[str, Any], tool_context: ToolContext) -> dict[str, Any]:
        state = state_dict(tool_context.state)
        op = Op(name, {k: v for k, v in args.items() if v is not None})
        lang = langs.get(tool_context.invocation_id, "en")
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

    async def add_music(tool_context: ToolContext, volume: float = 0.3, mood: str = "") -> dict:
        """Add background music at volume (0-1): the uploaded audio file, or a music library track of mood
        (lofi, relaxed, upbeat, epic or sad)."""
        return await _do("add_music", {"volume": volume, **({"mood": mood} if mood else {})}, tool_context)

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

    async def set_look(name: str, tool_context: ToolContext) -> dict:
        """Colour look: bw (black and white), warm, cool, sepia, vintage or vivid; none removes it."""
        return await _do("look", {"name": name}, tool_context)

    async def adjust_picture(
        tool_context: ToolContext, brightness: float = 0.0, contrast: float = 0.0, saturation: float = 0.0
    ) -> dict:
        """Relative steps that add up: brightness +0.1 brighter, -0.1 darker; contrast and saturation
        +0.2 more, -0.2 less."""
        steps = {"brightness": brightness, "contrast": contrast, "saturation": saturation}
        return await _do("adjust", {k: v for k, v in steps.items() if v}, tool_context)

    async def reverse(tool_context: ToolContext) -> dict:
        """Play the video (and its sound) backwards; again plays it forwards."""
        return await _do("reverse", {}, tool_context)

    async def rotate(degrees: int, tool_context: ToolContext) -> dict:
        """Rotate the picture clockwise by 90, 180 or 270 degrees."""
        return await _do("rotate", {"degrees": degrees}, tool_context)

    async def flip(tool_context: ToolContext, axis: str = "horizontal") -> dict:
        """Mirror the picture: horizontal (left-right) or vertical (upside down)."""
        return await _do("flip", {"axis": axis}, tool_context)

    async def zoom(tool_context: ToolContext, factor: float = 1.3, mode: str = "punch") -> dict:
        """Zoom on the centre: mode punch (fixed) or kenburns (slowly from 1 to factor); 1 removes it."""
        return await _do("zoom", {"factor": factor, "mode": mode}, tool_context)

    async def loop_video(times: int, tool_context: ToolContext) -> dict:
        """Play the whole video this many times in a row."""
        return await _do("loop", {"times": times}, tool_context)

    async def set_resolution(height: int, tool_context: ToolContext) -> dict:
        """Export at this resolution (the short side in pixels: 480, 720, 1080)."""
        return await _do("resolution", {"height": height}, tool_context)

    async def set_frame_rate(fps: float, tool_context: ToolContext) -> dict:
        """Export at this frame rate (1-60 fps)."""
        return await _do("fps", {"fps": fps}, tool_context)

    async def fade_sound(tool_context: ToolContext, fade_in: float = 0.0, fade_out: float = 1.0) -> dict:
        """Fade the sound in at the start and out at the end (seconds; 0 for none)."""
        return await _do("audio_fade", {"in": fade_in or None, "out": fade_out or None}, tool_context)

    async def normalize_loudness(tool_context: ToolContext) -> dict:
        """Even out the loudness (EBU R128, -16 LUFS)."""
        return await _do("loudnorm", {}, tool_context)

    async def denoise_voice(tool_context: ToolContext) -> dict:
        """Reduce background noise under voices."""
        return await _do("denoise", {}, tool_context)

    async def add_subtitles(tool_context: ToolContext) -> dict:
        """Burn in the subtitles of the uploaded .srt or .vtt file."""
        return await _do("subtitles", {}, tool_context)

    async def add_captions(tool_context: ToolContext, text: str = "", word_by_word: bool = False) -> dict:
        """Captions of the speech, burned in two short lines at a time. text: the words the user typed (what is
        said), timed to where they are spoken; leave it empty to take the words from the speech (refused when
        they are unclear). word_by_word highlights the word being spoken."""
        return await _do("captions", {"text": text.strip() or None, "karaoke": word_by_word or None}, tool_context)

    async def caption_style(
        tool_context: ToolContext, position: str = "", size: float = 1.0, word_by_word: str = ""
    ) -> dict:
        """Change how the captions look: position top or bottom; size multiplies the current size (1.25 bigger,
        0.8 smaller, 1 unchanged); word_by_word on or off (the spoken word highlighted)."""
        karaoke = {"on": True, "off": False}.get(word_by_word.strip().lower())
        return await _do(
            "caption_style",
            {"pos": position.strip().lower() or None, "scale": size if size != 1 else None, "karaoke": karaoke},
            tool_context,
        )

    async def fix_caption(old: str, new: str, tool_context: ToolContext) -> dict:
        """Replace a misheard or mistyped word in the captions: old becomes new."""
        return await _do("caption_fix", {"old": old, "new": new}, tool_context)

    async def remove_captions(tool_context: ToolContext) -> dict:
        """Take the captions (and subtitles) off the video."""
        return await _do("remove_captions", {}, tool_context)

    async def export_captions(tool_context: ToolContext) -> dict:
        """Hand out the captions as a subtitles file (.srt), a link."""
        return await _do("export_captions", {}, tool_context)

    async def add_watermark(
        tool_context: ToolContext, corner: str = "bottom-right", opacity: float = 0.8, size: float = 0.15
    ) -> dict:
        """Put the uploaded image (a logo) in a corner (top-left, top-right, bottom-left, bottom-right) at an
        opacity (0-1) and a size (fraction of the video width)."""
        return await _do("watermark", {"corner": corner, "opacity": opacity, "size": size}, tool_context)

    async def export_as(format: str, tool_context: ToolContext, at: float = -1.0) -> dict:
        """What the next export makes: mp4, gif, mp3 (the sound only) or cover (a JPEG frame at `at` seconds,
        or a good frame when at is -1)."""
        return await _do("output", {"format": format, "at": at if at >= 0 else None}, tool_context)

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
        set_look,
        adjust_picture,
        reverse,
        rotate,
        flip,
        zoom,
        loop_video,
        set_resolution,
        set_frame_rate,
        fade_sound,
        normalize_loudness,
        denoise_voice,
        add_subtitles,
        add_captions,
        caption_style,
        fix_caption,
        remove_captions,
        export_captions,
        add_watermark,
        export_as,
    ]


def instruction(ctx: ReadonlyContext) -> str:
    """The instruction plus a one-line picture of the timeline, so the model knows what it edits."""
    state = ctx.state
    draft = state.get("draft") or dr.empty_draft()
    clips = len(state.get("video_infos") or [])
    now = f"Uploaded files: {clips}. Timeline length: {dr.total_ms(draft) / 1000:g} s. {dr.summary(draft)}"
    return INSTRUCTION + "\n\n" + now


class ModelTurn:
    """Runs the model agent for one message; its edits stand only if the whole turn succeeds."""

    def __init__(self, tools: EditTools, model: BaseLlm | str) -> None:
        self.tools = tools
        self.langs: dict[str, str] = {}
        self.agent = LlmAgent(
            name=MODEL_AGENT,
            model=model,
            instruction=instruction,
            description="Edits video by chat through a language model",
            tools=build_tool_functions(tools, self.langs),
            # the next message starts at the rules again, never straight at the model
            disallow_transfer_to_parent=True,
            disallow_transfer_to_peers=True,
        )

    async def run(self, ctx: InvocationContext, lang: str) -> AsyncGenerator[Event, None]:
        before = state_dict(ctx.session.state)
        self.langs[ctx.invocation_id] = lang
        failure: str | None = None
        try:
            async for event in self.agent.run_async(ctx):
                if event.error_code:
                    failure = f"{event.error_code}: {event.error_message}"
                    break
                yield event
        except Exception as exc:  # noqa: BLE001 - every provider fails its own way; the user gets one answer
            failure = f"{type(exc).__name__}: {exc}"
        finally:
            self.langs.pop(ctx.invocation_id, None)
        if failure is None:
            return
        log.warning("the model's turn failed and was taken back: %s", failure[:500])
        await self.tools.forget(ctx.session.id, ctx.invocation_id)
        after = state_dict(ctx.session.state)
        restore = {k: v for k, v in before.items() if after.get(k) != v}
        yield Event(
            invocation_id=ctx.invocation_id,
            author=self.agent.name,
            branch=ctx.branch,
            content=types.Content(
                role="model", parts=[types.Part(text=MODEL_FAILED.get(lang, MODEL_FAILED["en"]))]
            ),
            actions=EventActions(state_delta=restore),
        )
