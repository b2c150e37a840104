"""Buttons that keep working after a restart.

Every action button's ``custom_id`` names what it does and who may press it:

* ``nb:<action>:<owner id>``: ``OwnedAction``, a ``DynamicItem`` (the owner is in the id);
* ``nb:<action>``: ``SharedActions``, a persistent ``View(timeout=None)`` with fixed ids, for
  buttons anyone may press (acting on their own conversation).

Both are registered in ``setup_hook``, so no per-message state is kept: the views sent with
messages are stopped templates (``View.stop()`` before sending keeps discord.py from storing
them, which would grow without bound with ``timeout=None``). Any other ``custom_id`` is stale
or forged, and ``is_ours`` tells the client to answer it with an ephemeral "no longer valid".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import discord

from core.ports import BUTTON_ACTIONS, SMALLER_OF, Button, is_button_action
from core.routing import SAY

ACTIONS = tuple(sorted(BUTTON_ACTIONS))
PREFIX = "nb"
_ACTIONS_RE = "|".join(ACTIONS)
# an action ("smaller:<render id>" among them), or a choice the backend offered: "say:<words>" (the
# words may hold colons)
OWNED_TEMPLATE = rf"{PREFIX}:(?P<action>{_ACTIONS_RE}|{SMALLER_OF}|{SAY}[^\n]{{1,90}}?):(?P<owner>[0-9]{{1,20}})"
_SHARED = re.compile(rf"{PREFIX}:(?P<action>{_ACTIONS_RE})")
_OWNED = re.compile(OWNED_TEMPLATE)
_STYLES = {"export": discord.ButtonStyle.primary, "cancel": discord.ButtonStyle.danger}
MAX_LABEL = 80
MAX_BUTTONS = 25


class ButtonHandler(Protocol):
    async def on_button(self, interaction: discord.Interaction[Any], action: str, owner: str) -> None: ...


def handler_of(interaction: discord.Interaction[Any]) -> ButtonHandler:
    return interaction.client.buttons_handler  # type: ignore[attr-defined,no-any-return]


def owned_id(action: str, owner: str) -> str:
    return f"{PREFIX}:{action}:{owner}"


def shared_id(action: str) -> str:
    return f"{PREFIX}:{action}"


def is_ours(custom_id: str) -> bool:
    """Whether a registered button handles this ``custom_id`` (else it is stale or forged)."""
    return bool(_OWNED.fullmatch(custom_id) or _SHARED.fullmatch(custom_id))


class OwnedAction(discord.ui.DynamicItem[discord.ui.Button[Any]], template=OWNED_TEMPLATE):
    """An action button only its owner may press: ``nb:<action>:<owner id>``."""

    def __init__(self, action: str, owner: str, label: str = "") -> None:
        super().__init__(discord.ui.Button(
            label=(label or action)[:MAX_LABEL], custom_id=owned_id(action, owner),
            style=_STYLES.get(action, discord.ButtonStyle.secondary)))
        self.action = action
        self.owner = owner

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> OwnedAction:
        return cls(match["action"], match["owner"], getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await handler_of(interaction).on_button(interaction, self.action, self.owner)


def _shared_callback(action: str) -> Callable[[discord.Interaction[Any]], Awaitable[None]]:
    async def callback(interaction: discord.Interaction[Any]) -> None:
        await handler_of(interaction).on_button(interaction, action, "")

    return callback


class SharedActions(discord.ui.View):
    """The persistent view for buttons anyone may press: fixed ids ``nb:<action>``."""

    def __init__(self) -> None:
        super().__init__(timeout=None)
        for action in ACTIONS:
            button: discord.ui.Button[SharedActions] = discord.ui.Button(
                label=action, custom_id=shared_id(action), style=_STYLES.get(action, discord.ButtonStyle.secondary))
            # discord.py types the callback with the View's client generic; ours serves any client
            button.callback = _shared_callback(action)  # type: ignore[assignment]
            self.add_item(button)


def build_view(buttons: Sequence[Button]) -> discord.ui.View | None:
    """A view for the core's buttons: action buttons and links; ``None`` when there are none.

    The view is stopped before it is returned: it is a template for the message's components,
    the registered ``OwnedAction`` / ``SharedActions`` handle the presses. Templates are cached:
    a status message is edited with the same buttons many times.
    """
    return _view(tuple(buttons)) if buttons else None


@functools.lru_cache(maxsize=4096)
def _view(buttons: tuple[Button, ...]) -> discord.ui.View | None:
    items: list[discord.ui.Item[Any]] = []
    for button in buttons[:MAX_BUTTONS]:
        label = (button.label or "")[:MAX_LABEL] or "…"
        if button.url:
            items.append(discord.ui.Button(label=label, url=button.url, style=discord.ButtonStyle.link))
        elif button.action and is_button_action(button.action) and button.owner.isdigit():
            items.append(OwnedAction(button.action, button.owner, label))
        elif (button.action or "").startswith(SAY) and button.owner.isdigit() and _OWNED.fullmatch(
                owned_id(button.action or "", button.owner)) and len(owned_id(button.action or "", button.owner)) <= 100:
            items.append(OwnedAction(button.action or "", button.owner, label))  # longer: it stays in the text
        elif button.action in ACTIONS:
            items.append(discord.ui.Button(label=label, custom_id=shared_id(button.action),
                                           style=_STYLES.get(button.action, discord.ButtonStyle.secondary)))
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()
    return view
