"""A stand-in Discord (REST + gateway + CDN on 127.0.0.1) for testing the real discord.py client.

    async with FakeDiscord() as dc:
        with dc.point_discord_py_here():
            ...  # discord.Client(...).start(dc.bot_token); await dc.wait_ready(); dc.invoke_slash(...)
"""

from .models import CdnCall, FakeAttachment, GatewayFrame, InteractionRecord, RestCall
from .server import DiscordPyPatch, FakeDiscord
from .state import ApiError

__all__ = [
    "ApiError",
    "CdnCall",
    "DiscordPyPatch",
    "FakeAttachment",
    "FakeDiscord",
    "GatewayFrame",
    "InteractionRecord",
    "RestCall",
]
