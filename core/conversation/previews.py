"""Previews in the conversation: a small, quick look at the current draft before exporting it ("preview",
the Preview button, and after each edit that changes the picture once the chat said ``/preview on``).

Only a backend that announces them makes previews (the built-in engine's ``X-Preview``; ``NemoClient.previews``);
elsewhere (NEMO's cloud) "preview" says so and points to the export, and no button is offered. The file goes
as the surface shows a quick look: an animation on Telegram (no sound), an attachment on Discord, a file
whose path is printed in the console; the bot reads it the inside way (``Context.inside``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.i18n import add_texts, elapsed_text, say
from core.nemo.draft import AUDIO, Draft, draft_changes
from core.nemo.errors import NemoError
from core.ports import Button, MessageRef, Target, Video
from core.status import StatusMessage

from .state import Conversation

if TYPE_CHECKING:
    from .context import Context

log = logging.getLogger(__name__)

ON, OFF = ("on", "true", "yes", "1", "开", "开启", "打开"), ("off", "false", "no", "0", "关", "关闭")
SILENT_SURFACES = frozenset({"telegram"})  # an animation there has no sound: the preview is made without
SOUND_ONLY = frozenset({"fx.afade_in", "fx.afade_out", "fx.loudnorm", "fx.denoise", "mute"})

TEXTS: dict[str, dict[str, str]] = {
    "button_preview": {"en": "Preview", "zh": "预览"},
    "step_preview": {"en": "making a preview", "zh": "正在生成预览"},
    "preview_caption": {"en": "👀 Preview of the draft ({duration}, {size}, low resolution). Say “export” for the "
                              "full video.",
                        "zh": "👀 草稿预览（{duration}，{size}，低分辨率）。说“导出”获取完整视频。"},
    "preview_longer": {"en": " It shows the first {seconds} seconds.", "zh": "仅显示前 {seconds} 秒。"},
    "preview_unavailable": {"en": "This backend makes no previews: say “export” to render the video and watch it.",
                            "zh": "当前后端不支持预览：说“导出”渲染视频后观看。"},
    "preview_nothing": {"en": "Nothing to preview yet: send me a video first.",
                        "zh": "还没有可预览的内容：请先发一个视频。"},
    "preview_failed": {"en": "The preview could not be made ({detail}). Say “export” for the video.",
                       "zh": "无法生成预览（{detail}）。说“导出”获取视频。"},
    "preview_on": {"en": "Previews on: after each edit that changes the picture you'll get a quick look at it. "
                         "/preview off stops that.",
                   "zh": "预览已开启：每次修改画面后都会发给你一个快速预览。/preview off 可关闭。"},
    "preview_off": {"en": "Previews off: say “preview” (or press Preview) when you want one. /preview on sends "
                          "one after each edit.",
                    "zh": "预览已关闭：需要时说“预览”（或点预览按钮）。/preview on 可在每次修改后发送。"},
}
add_texts(TEXTS)


def changes_picture(before: Draft, after: Draft) -> bool:
    """Whether an edit changed what the video shows (not only its sound: music, volumes, audio effects)."""
    return any(c.kind != AUDIO and c.volume is None and c.label not in SOUND_ONLY
               for c in draft_changes(before, after))


class ConversationPreviews:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    def offered(self) -> bool:
        """Whether the backend said it makes previews."""
        return self.ctx.client.previews is True

    def after_edits(self, conv: Conversation) -> bool:
        """Does this conversation want a preview after each edit that changes the picture?"""
        return bool(conv.record.previews) and self.offered

    def button(self, lang: str, owner: str) -> list[Button]:
        """The Preview button, where the backend makes previews."""
        return [Button(say(lang, "button_preview"), action="preview", owner=owner)] if self.offered else []

    async def command(self, conv: Conversation, args: str, target: Target, lang: str) -> None:
        """``/preview on|off``: one after each edit, or not (``/preview`` alone is queued as one now)."""
        choice = args.strip().lower()
        if choice not in ON and choice not in OFF:
            await self.ctx.reply(target, say(lang, "preview_off" if not conv.record.previews else "preview_on"))
            return
        conv.record.previews = choice in ON
        await self.ctx.store.save_conversation(conv.record, only=("previews",))
        if conv.record.previews and self.ctx.client.previews is False:
            key = "preview_unavailable"
        else:
            key = "preview_on" if conv.record.previews else "preview_off"
        await self.ctx.reply(target, say(lang, key))

    async def show(self, conv: Conversation, target: Target, lang: str, status: StatusMessage | None = None,
                   buttons: Sequence[Button] = ()) -> None:
        """Make the draft's preview and hand it to the surface, ``status`` (when given) becoming its caption;
        a preview that cannot be made is said in words, never as a trace."""
        from .delivery import size_text  # here: delivery needs the context, which holds this

        ctx = self.ctx
        nemo = ctx.nemo(conv, lang)
        owner = target.user_id
        buttons = list(buttons) or ctx.main_buttons(lang, owner)
        message: MessageRef | None = None
        try:
            if ctx.client.previews is False:  # the backend's answers said nothing of previews
                text = say(lang, "preview_unavailable")
            elif not conv.record.session_id:
                text = say(lang, "preview_nothing")
            else:
                state = await nemo.call(lambda t, s: nemo.client.state(t, s, skill=nemo.skill))  # learns `previews`
                if not self.offered:
                    text = say(lang, "preview_unavailable")
                elif not state.draft.ready:
                    text = say(lang, "preview_nothing")
                else:
                    if status is not None:
                        status.set_step(say(lang, "step_preview"), "upload_video")
                    else:
                        await ctx.port(target).working(target, "upload_video")
                    audio = target.platform not in SILENT_SURFACES
                    made = await nemo.call(lambda t, s: nemo.client.preview(t, s, skill=nemo.skill, audio=audio))
                    video = Video(made.url, made.size, made.duration, inside_url=ctx.inside(made.url), preview=True)
                    text = say(lang, "preview_caption", duration=elapsed_text(round(made.duration), lang),
                               size=size_text(made.size))
                    if state.draft.duration_ms / 1000 > made.duration + 1:
                        text += say(lang, "preview_longer", seconds=round(made.duration))
                    if status is not None:
                        await status.stop()
                        message = status.message
                    await ctx.port(target).deliver(target, text, video, buttons, message)
                    return
        except NemoError as exc:
            log.info("no preview in %s: %s", conv.record.key, exc)
            text = say(lang, "preview_failed", detail=(exc.message or type(exc).__name__)[:120])
        except Exception:
            log.exception("preview failed in %s", conv.record.key)
            text = say(lang, "preview_failed", detail="?")
        if status is not None:
            await status.finish(text, buttons)
        else:
            await ctx.reply(target, text, buttons)


