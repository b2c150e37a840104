"""The Discord front-end (discord.py): slash commands, persistent buttons, DMs and mentions.

``bots.discord.app.run_discord(core, settings)`` runs it; ``port.DiscordPort`` is its ``ChatPort``.
"""
