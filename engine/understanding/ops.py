"""What the planner hands to the tools: operations, and the plan around them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Op:
    """One edit: ``name`` is the tool operation, ``args`` its JSON-able arguments."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """The edits a message asks for, in order, and an answer to show with them (or instead of them).

    ``choices`` are instructions the user may pick from (a question, or the closest things to a request
    that was not understood); the reply lists them as ``say “…”`` lines so a chat can offer them as
    buttons."""

    ops: list[Op]
    reply: str | None = None
    lang: str = "en"
    choices: list[str] = field(default_factory=list)
    understood: bool = True  # False: nothing in the message was read (help, or "I didn't understand")

    @property
    def is_help(self) -> bool:
        return not self.ops
