"""The Telegram front-end (python-telegram-bot 22): ``run_telegram(core, settings)``.

Modules: ``app`` (building and running the PTB Application, polling or webhook), ``updates``
(updates to ``Incoming``: commands, groups, albums, button presses, the allowlist), ``port`` (the
``ChatPort``), ``sender`` (per-chat ordered Bot API calls with flood-wait and network retries),
``request`` (PTB's networking on aiohttp), ``files`` (streamed downloads), ``albums``, ``lanes``,
``keyboard`` (inline buttons and callback data), ``texts`` (its own EN/ZH texts and the command menu).
"""
