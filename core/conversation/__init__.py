"""The conversation core every surface drives.

``Core.handle(incoming)`` returns at once: quick requests (help, mode, language, credits,
status, cancel) are answered straight away; work that changes the timeline (upload, edit,
export, new session) runs one at a time per conversation, later requests wait in a queue
whose position the user sees, and ``/cancel`` stops the running one.

Where things are:
  dispatch.py  ``Core``: lifecycle, and ``handle`` dispatching each user action
  context.py   what every part shares: settings, store, NEMO session, ports, reply/notify, error texts
  state.py     ``Conversation`` and ``Operation``
  queue.py     one operation at a time per conversation, queue positions, ``/cancel``
  commands.py  slash commands and buttons
  quick.py     quick answers: credits, timeline status
  page_events.py  what the hand-editing page did (applied, exported), told in its chat
  upload.py    uploads (files, links) and the caption that follows them
  chat.py      the chat stream, and the state diff after a silent close or a dropped stream
  export.py    submitting a render and following it
  delivery.py  a finished render handed to its surface
  text.py      cleaning a user's text, the length limit
"""

from .dispatch import Core
from .state import Conversation, Operation
from .text import MAX_TEXT, clean_text

__all__ = ["MAX_TEXT", "Conversation", "Core", "Operation", "clean_text"]
