"""The hand-editing page (issue 21): a timeline to drag, served by the engine, opened from the chat
(a Telegram Mini App, a Discord link button, a printed URL in the console).

``access`` (who may open it), ``edits`` (the page's edits of the draft, pure), ``proxy`` (small footage),
``routes`` (the HTTP side), ``static/`` (the page: HTML, CSS and a script, no framework, no build)."""

from .routes import EditorPages, page_weight

__all__ = ["EditorPages", "page_weight"]
