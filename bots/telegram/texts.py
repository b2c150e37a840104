"""What the Telegram front-end says on its own (EN and ZH), and its command menu.

Everything about the conversation itself is the core's (``core.i18n``); these are the texts only a
Telegram bot needs: the cloud Bot API's 20 MB download limit, the chat allowlist, the command
descriptions shown by ``setMyCommands``.
"""

from __future__ import annotations

from core.i18n import add_texts

CLOUD_DOWNLOAD_MB = 20  # getFile on api.telegram.org

TEXTS: dict[str, dict[str, str]] = {
    "tg_file_too_big": {
        "en": "“{name}” is {size} MB, but a bot on Telegram's cloud Bot API can only download files up to "
              f"{CLOUD_DOWNLOAD_MB} MB, so I can't read it. Ways through:\n"
              "• send me a link to the file (any http(s) address, e.g. a cloud drive) and I'll upload it from there;\n"
              f"• or trim or compress it below {CLOUD_DOWNLOAD_MB} MB and send it again.\n"
              "The bot's operator can raise the limit to 500 MB by running a self-hosted Telegram Bot API "
              "server in local mode (telegram-bot-api --local).",
        "zh": f"“{{name}}”有 {{size}} MB，但使用Telegram云端Bot API的机器人最多只能下载 {CLOUD_DOWNLOAD_MB} MB 的文件，"
              "所以我读取不了它。解决办法：\n"
              "• 发给我文件的链接（任意 http(s) 地址，例如网盘），我会从链接上传；\n"
              f"• 或者把它剪短、压缩到 {CLOUD_DOWNLOAD_MB} MB 以下再发送。\n"
              "机器人管理员也可以自建Telegram Bot API服务器并启用本地模式（telegram-bot-api --local），"
              "把上限提高到 500 MB。",
    },
    # raised from a download that only then learns the file is too big (its size was not announced)
    "tg_error_file_too_big": {
        "en": "“{detail}” is over the " + str(CLOUD_DOWNLOAD_MB) + " MB a bot can download from Telegram's "
              "cloud. Send me a link to the file instead, or trim it and send it again (the operator can lift "
              "the limit with a self-hosted Bot API server in local mode).",
        "zh": "“{detail}”超过了机器人能从Telegram云端下载的 " + str(CLOUD_DOWNLOAD_MB) + " MB。请改为发送文件链接，"
              "或剪短后重新发送（管理员可以自建本地模式的Bot API服务器来取消这个限制）。",
    },
    "tg_error_download": {
        "en": "I couldn't download “{detail}” from Telegram. Please send it again.",
        "zh": "无法从Telegram下载“{detail}”，请重新发送。",
    },
    "tg_not_allowed": {
        "en": "Sorry, this bot is not open to this chat.",
        "zh": "抱歉，此机器人未对该聊天开放。",
    },
    "tg_cmd_start": {"en": "What to send, with examples", "zh": "使用说明和示例"},
    "tg_cmd_help": {"en": "List the commands", "zh": "命令列表"},
    "tg_cmd_new": {"en": "Start a fresh timeline", "zh": "新的空白时间线"},
    "tg_cmd_mode": {"en": "Choose the editing mode", "zh": "选择编辑模式"},
    "tg_cmd_lang": {"en": "Language: /lang en or /lang zh", "zh": "语言：/lang en 或 /lang zh"},
    "tg_cmd_status": {"en": "Show the timeline", "zh": "查看时间线"},
    "tg_cmd_pictures": {"en": "Timeline pictures after edits: on or off", "zh": "修改后发时间线图：开或关"},
    "tg_cmd_preview": {"en": "A quick look at the draft (/preview on: after each edit)",
                       "zh": "快速预览草稿（/preview on：每次修改后发送）"},
    "tg_cmd_credits": {"en": "Show your credits", "zh": "查看积分"},
    "tg_cmd_export": {"en": "Render the MP4", "zh": "导出MP4"},
    "tg_cmd_cancel": {"en": "Stop the running job", "zh": "停止当前任务"},
}

# The command menu, in the order Telegram shows it.
COMMANDS: tuple[str, ...] = ("start", "help", "new", "mode", "lang", "status", "pictures", "preview", "credits",
                             "export", "cancel")

add_texts(TEXTS)
