"""The Discord front-end's own texts (English and Chinese), registered with the core's ``say``.

Command and option descriptions are here too: ``CommandTranslator`` serves their Chinese versions
to Discord (``description_localizations``), the English ones are the defaults.
"""

from __future__ import annotations

from core.i18n import add_texts

TEXTS: dict[str, dict[str, str]] = {
    "discord_not_allowed": {"en": "Sorry, this bot isn't available here.",
                            "zh": "抱歉，此处无法使用本机器人。"},
    "discord_moved": {"en": "⏬ This job takes a while: I continue in a new message below.",
                      "zh": "⏬ 任务耗时较长：我将在下方的新消息中继续更新。"},
    "discord_link_only": {"en": "(The MP4 is larger than Discord lets me upload here ({limit}), so use the link.)",
                          "zh": "（MP4 超过了 Discord 在此处允许的上传大小（{limit}），请使用链接。）"},
    # slash commands: descriptions shown in Discord's command picker (at most 100 characters)
    "discord_cmd_edit": {"en": "Tell the editor what to do with your video (optionally attach one)",
                 "zh": "告诉编辑器要怎么剪辑视频（可附带一个视频）"},
    "discord_cmd_edit_prompt": {"en": "What to do, e.g. “cut the pauses, add the title 'Finals'”",
                        "zh": "要做什么，例如“去掉停顿，加上标题'决赛'”"},
    "discord_cmd_edit_video": {"en": "A video to edit: starts a fresh timeline from it (mp4, mov, webm, mkv…)",
                               "zh": "要剪辑的视频：用它开始新的时间线（mp4、mov、webm、mkv…）"},
    "discord_cmd_upload": {"en": "Upload a video (or an image or audio file) to the timeline",
                   "zh": "上传视频（或图片、音频）到时间线"},
    "discord_cmd_upload_video": {"en": "The file to upload", "zh": "要上传的文件"},
    "discord_cmd_export": {"en": "Render the timeline to an MP4", "zh": "把时间线导出为 MP4"},
    "discord_cmd_status": {"en": "Show the timeline", "zh": "查看时间线"},
    "discord_cmd_credits": {"en": "Show your credit balance", "zh": "查看积分余额"},
    "discord_cmd_new": {"en": "Start a fresh, empty timeline", "zh": "开始新的空白时间线"},
    "discord_cmd_mode": {"en": "Show or choose the editing mode", "zh": "查看或选择编辑模式"},
    "discord_cmd_mode_name": {"en": "The mode to switch to", "zh": "要切换到的模式"},
    "discord_cmd_lang": {"en": "Choose the bot's language", "zh": "选择机器人的语言"},
    "discord_cmd_lang_language": {"en": "English or Chinese", "zh": "英文或中文"},
    "discord_cmd_pictures": {"en": "The timeline drawn after each edit: on or off",
                             "zh": "每次修改后发时间线图：开或关"},
    "discord_cmd_pictures_choice": {"en": "On or off (empty: show the setting)", "zh": "开或关（不填：查看当前设置）"},
    "discord_cmd_preview": {"en": "A quick look at the draft; on / off: one after each edit",
                            "zh": "快速预览草稿；开/关：每次修改后发送"},
    "discord_cmd_preview_choice": {"en": "On or off (empty: a preview now)", "zh": "开或关（不填：立即预览）"},
    "discord_cmd_cancel": {"en": "Stop the running job and drop the waiting ones", "zh": "停止当前任务并清空排队任务"},
    "discord_cmd_help": {"en": "What the bot can do", "zh": "机器人能做什么"},
}

add_texts(TEXTS)
