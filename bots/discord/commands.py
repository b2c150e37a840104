"""The slash commands. Each one hands its interaction to the client's ``run_command``, which
defers it at once and turns it into an ``Incoming`` for the core.

    /edit prompt [video]   an instruction, optionally with the video to start from
    /upload video          a file for the timeline
    /export /status /credits /new /cancel /help
    /mode [name]           (choices: the five modes)
    /lang language         (en / zh)
    /pictures [choice]     (on / off: the timeline drawn after each edit)
    /preview [choice]      (a quick look at the draft now; on / off: one after each edit)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bots.discord.texts import TEXTS
from core.conversation import MAX_TEXT
from core.skills import SKILLS

if TYPE_CHECKING:
    from bots.discord.client import NemoBotMixin

_CHINESE = {discord.Locale.chinese, discord.Locale.taiwan_chinese}


def _text(key: str) -> locale_str:
    """A description: the English text, with the key the translator finds the Chinese by."""
    return locale_str(TEXTS[key]["en"], key=key)


def _bot(interaction: discord.Interaction[Any]) -> NemoBotMixin:
    return interaction.client  # type: ignore[return-value]


class CommandTranslator(app_commands.Translator):
    """Chinese command and option descriptions for Chinese Discord clients."""

    async def translate(self, string: locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        key = string.extras.get("key")
        if key is None or locale not in _CHINESE or key not in TEXTS:
            return None
        return TEXTS[key]["zh"][:100]


_contexts = app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
_installs = app_commands.allowed_installs(guilds=True, users=False)


@app_commands.command(name="edit", description=_text("discord_cmd_edit"))
@app_commands.describe(prompt=_text("discord_cmd_edit_prompt"), video=_text("discord_cmd_edit_video"))
@_contexts
@_installs
async def edit_command(interaction: discord.Interaction[Any], prompt: app_commands.Range[str, 1, MAX_TEXT],
                       video: discord.Attachment | None = None) -> None:
    # with a video, the video is the footage to edit: the core starts a fresh timeline from it
    await _bot(interaction).run_command(interaction, command="edit", args=prompt,
                                        attachments=[video] if video else [])


@app_commands.command(name="upload", description=_text("discord_cmd_upload"))
@app_commands.describe(video=_text("discord_cmd_upload_video"))
@_contexts
@_installs
async def upload_command(interaction: discord.Interaction[Any], video: discord.Attachment) -> None:
    await _bot(interaction).run_command(interaction, command="upload", attachments=[video])


def _simple(name: str, key: str) -> app_commands.Command[Any, ..., None]:
    async def callback(interaction: discord.Interaction[Any]) -> None:
        await _bot(interaction).run_command(interaction, command=name)

    callback.__name__ = f"{name}_command"
    command: app_commands.Command[Any, ..., None] = app_commands.Command(name=name, description=_text(key), callback=callback)
    return _installs(_contexts(command))


@app_commands.command(name="mode", description=_text("discord_cmd_mode"))
@app_commands.describe(name=_text("discord_cmd_mode_name"))
@app_commands.choices(name=[app_commands.Choice(name=f"{s.alias}: {s.about_en}"[:100], value=s.alias)
                            for s in SKILLS])
@_contexts
@_installs
async def mode_command(interaction: discord.Interaction[Any], name: str | None = None) -> None:
    await _bot(interaction).run_command(interaction, command="mode", args=name or "")


@app_commands.command(name="lang", description=_text("discord_cmd_lang"))
@app_commands.describe(language=_text("discord_cmd_lang_language"))
@app_commands.choices(language=[app_commands.Choice(name="English", value="en"),
                                app_commands.Choice(name="中文", value="zh")])
@_contexts
@_installs
async def lang_command(interaction: discord.Interaction[Any], language: str) -> None:
    await _bot(interaction).run_command(interaction, command="lang", args=language)


@app_commands.command(name="pictures", description=_text("discord_cmd_pictures"))
@app_commands.describe(choice=_text("discord_cmd_pictures_choice"))
@app_commands.choices(choice=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")])
@_contexts
@_installs
async def pictures_command(interaction: discord.Interaction[Any], choice: str | None = None) -> None:
    await _bot(interaction).run_command(interaction, command="pictures", args=choice or "")


@app_commands.command(name="preview", description=_text("discord_cmd_preview"))
@app_commands.describe(choice=_text("discord_cmd_preview_choice"))
@app_commands.choices(choice=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")])
@_contexts
@_installs
async def preview_command(interaction: discord.Interaction[Any], choice: str | None = None) -> None:
    await _bot(interaction).run_command(interaction, command="preview", args=choice or "")


def all_commands() -> list[app_commands.Command[Any, ..., None]]:
    simple = [_simple(name, f"discord_cmd_{name}") for name in ("export", "status", "credits", "new", "cancel", "help")]
    return [edit_command, upload_command, *simple, mode_command, lang_command, pictures_command, preview_command]
