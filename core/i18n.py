"""Everything the bot says, in English and Chinese. One place for each text.

``say(lang, key, **values)`` formats a text; front-ends add their own keys with ``add_texts``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from core.nemo.draft import (
    AUDIO,
    EFFECTS,
    TEXT,
    VIDEO,
    Change,
    Draft,
    Segment,
    effects_summary,
    percent,
    text_track_kind,
)
from core.nemo.limits import SUPPORTED_FORMATS

LANGUAGES = ("en", "zh")
_FORMATS = ", ".join(SUPPORTED_FORMATS)

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "en": "Send me a video and tell me what to do with it, for example:\n"
              "• “cut the pauses”\n• “make a 30-second highlight reel, 9:16, title 'Finals'”\n"
              "• “add the title 'Urban Dreams' for 3 seconds”\n"
              "Then say “export” to get the MP4. Mode: {mode}. /help lists the commands.",
        "zh": "发给我一个视频，告诉我要怎么剪，例如：\n• “去掉停顿”\n• “做一个30秒的精彩集锦，9:16，标题'决赛'”\n"
              "• “加上标题'Urban Dreams'，3秒”\n然后说“导出”获取MP4。当前模式：{mode}。/help 查看命令。",
    },
    "help": {
        "en": "Commands:\n/new: start a fresh timeline\n/mode [name]: editing mode ({modes})\n"
              "/lang en|zh: language\n/status: the timeline\n/pictures on|off: the timeline drawn after each edit\n"
              "/preview [on|off]: a quick look at the draft (on: after each edit)\n/credits: your balance\n/export: render the MP4\n"
              "/cancel: stop the running job\nAnything else is an editing instruction. "
              "Supported files: {formats}, up to {limit} MB.",
        "zh": "命令：\n/new：新的时间线\n/mode [名称]：编辑模式（{modes}）\n/lang en|zh：语言\n/status：时间线\n/pictures on|off：每次修改后发时间线图\n"
              "/preview [on|off]：快速预览草稿（on：每次修改后发送）\n"
              "/credits：积分余额\n/export：导出MP4\n/cancel：停止当前任务\n其它内容都会作为编辑指令。"
              "支持的文件：{formats}，最大{limit} MB。",
    },
    "connecting": {"en": "Setting things up…", "zh": "正在准备…"},
    "working": {"en": "⏳ Working… {elapsed}", "zh": "⏳ 处理中… {elapsed}"},
    "step": {"en": "⏳ {step}… {elapsed}", "zh": "⏳ {step}… {elapsed}"},
    "still_working": {"en": "⏳ Still working… {elapsed}", "zh": "⏳ 仍在处理… {elapsed}"},
    "step_tool": {"en": "applying {name}", "zh": "正在应用编辑"},
    "step_thinking": {"en": "thinking", "zh": "思考中"},
    "step_uploading": {"en": "uploading {name}", "zh": "正在上传 {name}"},
    "step_rendering": {"en": "rendering {progress}%", "zh": "正在渲染 {progress}%"},
    "step_queued_render": {"en": "waiting for a render slot", "zh": "等待渲染"},
    "queued": {"en": "Queued (position {position}). I'll start as soon as the current job is done.",
               "zh": "已排队（第{position}位），当前任务完成后开始。"},
    "queue_full": {"en": "You already have {limit} jobs waiting. Please wait for them or /cancel.",
                   "zh": "你已有{limit}个任务在等待，请稍候或使用 /cancel。"},
    "cancelled": {"en": "Cancelled.", "zh": "已取消。"},
    "interrupted": {"en": "⏸ The bot restarted while working on this. Say “status” to see what was applied.",
                    "zh": "⏸ 处理过程中机器人重启了。发送“状态”查看已生效的内容。"},
    "job_resumed": {"en": "▶️ The bot restarted while your request waited; it is being handled now.",
                    "zh": "▶️ 你的请求等待时机器人重启了，现在继续处理。"},
    "cancelled_queue": {"en": "Cancelled, and {count} waiting job(s) dropped.",
                        "zh": "已取消，并移除了{count}个排队任务。"},
    "nothing_to_cancel": {"en": "Nothing is running.", "zh": "当前没有任务。"},
    "failed": {"en": "❌ {message}", "zh": "❌ {message}"},
    "uploaded": {"en": "Uploaded {names}. Now tell me what to do with it.",
                 "zh": "已上传 {names}。请告诉我要怎么剪辑。"},
    "upload_nothing": {"en": "Send a file (or a link to one) to upload it.",
                       "zh": "请发送文件（或文件链接）来上传。"},
    "silent_changes": {"en": "Done. Changes: {changes}.\n{summary}", "zh": "完成。改动：{changes}。\n{summary}"},
    "silent_nothing": {"en": "Done. The timeline did not change.\n{summary}", "zh": "完成。时间线没有变化。\n{summary}"},
    "dropped_changes": {
        "en": "The connection dropped, but the edit went through: {changes}.\n{summary}",
        "zh": "连接中断了，但编辑已生效：{changes}。\n{summary}",
    },
    "dropped_nothing": {
        "en": "The connection dropped before the edit was applied. I did not resend it (that would cost "
              "credits twice): send it again if you still want it.\n{summary}",
        "zh": "编辑生效前连接中断了。为避免重复扣积分，我没有重发：如仍需要，请再发送一次。\n{summary}",
    },
    "failed_changes": {
        "en": "The editor stopped with an error partway, but this much went through: {changes}.\n{summary}",
        "zh": "编辑器中途出错停止了，但这些改动已生效：{changes}。\n{summary}",
    },
    "failed_nothing": {
        "en": "The editor stopped with an error before changing anything. I did not resend your message "
              "(that could cost credits twice): send it again in a moment if you still want it.\n{summary}",
        "zh": "编辑器出错停止了，没有做任何改动。为避免重复扣积分，我没有重发：如仍需要，请稍后再发送一次。\n{summary}",
    },
    "timeline": {"en": "{summary}", "zh": "{summary}"},
    "timeline_empty": {"en": "The timeline is empty: send a video first.", "zh": "时间线是空的：请先发送视频。"},
    "credits": {"en": "Credits: {available} available, {frozen} reserved, {total} in all.",
                "zh": "积分：可用 {available}，冻结 {frozen}，合计 {total}。"},
    "credits_unlimited": {"en": "Credits: unlimited (the built-in engine does not count them).",
                          "zh": "积分：不限（内置引擎不计积分）。"},
    "export_empty": {"en": "There is nothing to export yet: send a video first.",
                     "zh": "还没有可导出的内容：请先发送视频。"},
    "export_started": {"en": "Rendering your video…", "zh": "正在渲染视频…"},
    "export_done": {"en": "🎬 Your {thing} is ready: {url}", "zh": "🎬 {thing}已完成：{url}"},
    "export_done_size": {"en": "🎬 Your {thing} is ready ({size}): {url}", "zh": "🎬 {thing}已完成（{size}）：{url}"},
    "export_ready": {"en": "🎬 Your {thing} is ready.", "zh": "🎬 {thing}已完成。"},
    "export_ready_size": {"en": "🎬 Your {thing} is ready ({size}).", "zh": "🎬 {thing}已完成（{size}）。"},
    "export_too_big": {"en": "🎬 Your {thing} is ready, but at {size} it is over the {limit} I can send here, and it "
                             "has no public link. Press “{button}” for a version re-encoded to fit.",
                       "zh": "🎬 {thing}已完成，但它有{size}，超过了这里可发送的{limit}，而且没有公开链接。"
                             "点“{button}”获取重新压缩到限额内的版本。"},
    "export_too_big_alone": {"en": "🎬 Your {thing} is ready, but at {size} it is over the {limit} I can send here, "
                                   "and it has no public link. Say “compress to {limit}”, then export again.",
                             "zh": "🎬 {thing}已完成，但它有{size}，超过了这里可发送的{limit}，而且没有公开链接。"
                                   "说“压缩到{limit}”，然后再导出。"},
    "smaller_gone": {"en": "I no longer have that render, so I cannot make a smaller version of it. Say “export” to "
                           "render the timeline again.",
                     "zh": "那次导出的视频已经没有了，无法生成较小的版本。说“导出”即可重新导出时间线。"},
    # what a render is, by how a chat shows it (core.ports.Video.kind)
    "result_video": {"en": "video", "zh": "视频"},
    "result_animation": {"en": "GIF", "zh": "GIF 动图"},
    "result_audio": {"en": "audio (MP3)", "zh": "音频（MP3）"},
    "result_photo": {"en": "cover image", "zh": "封面图"},
    "links_howto": {"en": "(Links to videos appear here once the bot's operator sets a public address for them: "
                          "NEMOBOT_ENGINE_PUBLIC_BASE_URL, see the README.)",
                    "zh": "（机器人管理员设置视频的公开地址后，这里会显示视频链接：NEMOBOT_ENGINE_PUBLIC_BASE_URL，见 README。）"},
    "mode_set": {"en": "Mode: {mode}.", "zh": "模式：{mode}。"},
    "mode_list": {"en": "Mode: {mode}. Choose one: {modes}.", "zh": "当前模式：{mode}。可选：{modes}。"},
    "mode_unknown": {"en": "I don't know the mode “{mode}”. Choose one: {modes}.",
                     "zh": "没有“{mode}”这个模式。可选：{modes}。"},
    "lang_set": {"en": "Language: English.", "zh": "语言：中文。"},
    "lang_unknown": {"en": "Say /lang en or /lang zh.", "zh": "请输入 /lang en 或 /lang zh。"},
    "new_session": {"en": "Fresh start: a new, empty timeline.", "zh": "已重新开始：新的空白时间线。"},
    "fresh_from_files": {"en": "Starting a fresh timeline from {names}.", "zh": "用 {names} 开始新的时间线。"},
    "unknown_command": {"en": "I don't know the command /{command}.", "zh": "没有 /{command} 这个命令。"},
    "url_not_http": {"en": "I can only fetch http:// or https:// links. Send the file itself, or a public web link.",
                     "zh": "只能获取 http:// 或 https:// 链接。请直接发送文件，或发送公开的网页链接。"},
    "url_private": {"en": "I can't fetch that link: it points to a private or local address. Send the file itself, "
                          "or a public link.",
                    "zh": "无法获取该链接：它指向私有或本地地址。请直接发送文件，或发送公开链接。"},
    "edit_unconfirmed": {"en": "I sent your edit, but couldn't confirm what it changed: the video service isn't "
                               "answering. Say “status” in a moment to check before sending it again.",
                         "zh": "编辑已发送，但视频服务没有响应，无法确认改动。请稍后发送“状态”查看，再决定是否重发。"},
    "not_yours": {"en": "Only the person who asked can use these buttons.", "zh": "只有发起请求的人可以使用这些按钮。"},
    "stale_button": {"en": "That button is no longer valid.", "zh": "该按钮已失效。"},
    "empty_message": {"en": "Tell me what to do with your video, or send one.",
                      "zh": "请告诉我要怎么剪辑，或发送一个视频。"},
    "text_too_long": {"en": "That message is too long ({length} characters; at most {limit}). Please shorten it.",
                      "zh": "消息太长（{length}字符，最多{limit}）。请缩短。"},
    "slow_down": {"en": "You're sending messages too fast. Please wait a minute.",
                  "zh": "你发送得太快了，请稍等一分钟。"},
    "stats": {"en": "Conversations: {conversations} ({active} active now), jobs running: {running}, queued: "
                    "{queued}, renders open: {renders_open} of {renders}, uploads: {uploads}, own tokens: {own_tokens}, users at a quota today: {over_quota}.",
              "zh": "会话：{conversations}（活跃 {active}），运行中：{running}，排队：{queued}，未完成渲染：{renders_open}/"
                    "{renders}，上传：{uploads}，自带令牌：{own_tokens}，今日达到额度的用户：{over_quota}。"},
    "quota_render": {"en": "That export is {need} of video, and {left} of your {limit} a day is left. Your quota "
                           "starts again in {wait} (midnight UTC); nothing was started.",
                     "zh": "这次导出的视频长 {need}，你每天 {limit} 的额度只剩 {left}。额度将在 {wait} 后重置（UTC 午夜）；"
                           "本次没有开始渲染。"},
    "quota_uploads": {"en": "You have reached today's upload limit ({limit}). Your quota starts again in {wait} "
                            "(midnight UTC); this was not uploaded.",
                      "zh": "你今天已发送 {limit} 个文件，达到单日上限。额度将在 {wait} 后重置（UTC 午夜）；这次没有上传。"},
    "stats_engine": {"en": "Engine: renders queued {queued}, running {running}, {hour} in the last hour; disk {used} of "
                           "{budget}; files pruned {pruned}.",
                     "zh": "引擎：排队渲染 {queued}，进行中 {running}，最近一小时 {hour}；磁盘 {used}/{budget}；已清理文件 {pruned}。"},
    "operators_only": {"en": "That command is for the bot's operators.", "zh": "该命令仅限管理员使用。"},
    "token_private_only": {"en": "Send /token only in a private chat with me: never share a token in a group.",
                           "zh": "请只在与我的私聊中发送 /token：不要在群里分享令牌。"},
    "token_usage": {"en": "Send /token YOUR_NEMO_TOKEN to use your own NEMO account, or /token clear to stop.",
                    "zh": "发送 /token 你的NEMO令牌 以使用自己的NEMO账户，或 /token clear 取消。"},
    "token_saved": {"en": "Your NEMO token is saved and will be used for your edits. It will never be shown again.",
                    "zh": "你的NEMO令牌已保存，将用于你的编辑。它不会再被显示。"},
    "token_cleared": {"en": "Your own token is removed; I'm back to a free anonymous token.",
                      "zh": "已移除你的令牌，恢复使用免费匿名令牌。"},
    "token_invalid": {"en": "That doesn't look like a NEMO token.", "zh": "这看起来不是NEMO令牌。"},
    "error_auth_own": {"en": "NEMO rejected your own token. Send /token with a valid one, or /token clear.",
                       "zh": "NEMO拒绝了你的令牌。请用 /token 发送有效令牌，或 /token clear。"},
    "button_export": {"en": "Export", "zh": "导出"},
    "button_status": {"en": "Status", "zh": "状态"},
    "button_edit_by_hand": {"en": "✋ Edit by hand", "zh": "✋ 手动编辑"},
    "page_applied": {"en": "✋ Edited by hand: {changes}", "zh": "✋ 已手动编辑：{changes}"},
    "button_credits": {"en": "Credits", "zh": "积分"},
    "button_cancel": {"en": "Cancel", "zh": "取消"},
    "button_open": {"en": "Open video", "zh": "打开视频"},
    "button_smaller": {"en": "Smaller version", "zh": "较小的版本"},
    "gui_export_hint": {"en": "say “export” (or press Export)", "zh": "说“导出”（或点“导出”按钮）"},
    "gui_drag_hint": {"en": "tell me the change in words", "zh": "用文字告诉我要改什么"},
    "gui_click_hint": {"en": "say “{action}”", "zh": "发送“{action}”"},
    "gui_preview_hint": {"en": "ask for the status", "zh": "发送“状态”查看"},
    "gui_open_hint": {"en": "ask for the status", "zh": "发送“状态”查看"},
    # errors: one text per row of NEMO's error table, and for what can go wrong around it
    "error_generic": {"en": "Something went wrong on the video service. Please try again.",
                      "zh": "视频服务出错了，请重试。"},
    "error_auth": {"en": "The video service did not accept our credentials. I tried a fresh token; please try "
                         "again in a minute.",
                   "zh": "视频服务拒绝了凭证。已尝试新令牌，请稍后重试。"},
    "error_auth_configured": {"en": "The video service rejected the configured NEMO token. The operator needs "
                                    "to set a valid NEMO_TOKEN.",
                              "zh": "视频服务拒绝了配置的NEMO令牌，需要管理员设置有效的 NEMO_TOKEN。"},
    "error_session_restarted": {"en": "Your editing session had expired, so the timeline restarted: please "
                                      "send your video again.",
                                "zh": "编辑会话已过期，时间线已重新开始：请重新发送视频。"},
    "error_no_credits": {"en": "You are out of credits. Register to get more: {register_url}",
                         "zh": "积分已用完。注册以获得更多积分：{register_url}"},
    "error_no_credits_registered": {"en": "You are out of credits. Top up credits in your account.",
                                    "zh": "积分已用完，请在账户中充值。"},
    "error_unsupported_file": {"en": "I can't use that file. Supported formats: " + _FORMATS + ".",
                               "zh": "无法使用该文件。支持的格式：" + _FORMATS + "。"},
    "error_file_too_large": {"en": "That file is over the 500 MB limit. Please compress or trim it and send it again.",
                             "zh": "文件超过500 MB上限。请压缩或剪短后重新发送。"},
    "error_export_blocked": {"en": "Export is blocked on the free plan (this is not about credits). Register or "
                                   "upgrade your plan to unlock export.",
                             "zh": "免费计划无法导出（与积分无关）。请注册或升级计划以解锁导出。"},
    "error_rate_limited": {"en": "The video service is busy right now. Please try again in a minute.",
                           "zh": "视频服务繁忙，请一分钟后重试。"},
    "error_unavailable": {"en": "The video service can't be reached right now. Please try again in a moment.",
                          "zh": "暂时无法连接视频服务，请稍后重试。"},
    "error_stream": {"en": "The editor stopped with an error before changing anything. Please try again in a moment.",
                     "zh": "编辑器出错停止了，没有做任何改动。请稍后重试。"},
    "error_footage_expired": {"en": "The footage of this video has expired and was removed: please send the file "
                                    "again.",
                              "zh": "这段视频的素材已过期并被删除，请重新发送视频文件。"},
    "error_link_fetch": {"en": "I couldn't fetch the video at that link: the site didn't hand it over (it may be "
                               "private, removed, or need a login). Download it and send me the file itself.",
                         "zh": "无法获取该链接中的视频：网站没有提供它（可能是私密、已删除或需要登录）。请下载后直接把文件发给我。"},
    "error_stream_dropped": {"en": "The connection to the editor dropped.", "zh": "与编辑器的连接中断了。"},
    "error_stream_timeout": {"en": "The editor took too long (over 15 minutes).", "zh": "编辑器耗时过长（超过15分钟）。"},
    "error_render_failed": {"en": "The render failed on the video service. Say “export” to try again.",
                            "zh": "视频服务渲染失败。说“导出”重试。"},
    "error_render_timeout": {"en": "The render is taking far too long; I stopped waiting. Say “export” to try again.",
                             "zh": "渲染时间过长，已停止等待。说“导出”重试。"},
    "error_internal": {"en": "Sorry, something went wrong on my side. Nothing was lost; please try again.",
                       "zh": "抱歉，我这边出错了。没有丢失任何内容，请重试。"},
    "error_empty_file": {"en": "That file is empty (0 bytes). Please send it again.",
                         "zh": "该文件是空的（0字节），请重新发送。"},
    "error_file_unreadable": {"en": "I couldn't read that file ({detail}): it ended early or its download broke. "
                                    "Please send it again.",
                              "zh": "无法读取该文件（{detail}）：文件不完整或下载中断。请重新发送。"},
    "error_attachment": {"en": "I couldn't read that file: {detail}", "zh": "无法读取该文件：{detail}"},
}

CHANGE_VERBS = {
    "added": {"en": "added", "zh": "添加了"},
    "removed": {"en": "removed", "zh": "删除了"},
    "changed": {"en": "changed", "zh": "修改了"},
}
CHANGE_KINDS = {
    VIDEO: {"en": "clip", "zh": "片段"},
    AUDIO: {"en": "music", "zh": "音乐"},
    TEXT: {"en": "text", "zh": "文字"},
}

CHANGE_WORDS = {"was": {"en": "was", "zh": "原为"}, "volume": {"en": "volume", "zh": "音量"}}
SETTING_WORDS = {
    "cv": {"en": "canvas", "zh": "画布"},
    "out": {"en": "export format", "zh": "导出格式"},
    "maxMB": {"en": "size limit (MB)", "zh": "大小上限（MB）"},
    # the engine's whole-video effects (``fx``)
    "fx.look": {"en": "look", "zh": "滤镜"},
    "fx.adj": {"en": "colour adjustment", "zh": "色彩调整"},
    "fx.rot": {"en": "rotation", "zh": "旋转"},
    "fx.mirror": {"en": "mirror", "zh": "镜像"},
    "fx.zoom": {"en": "zoom", "zh": "缩放"},
    "fx.res": {"en": "resolution", "zh": "分辨率"},
    "fx.fps": {"en": "frame rate", "zh": "帧率"},
    "fx.fade_in": {"en": "fade-in", "zh": "淡入"},
    "fx.fade_out": {"en": "fade-out", "zh": "淡出"},
    "fx.afade_in": {"en": "sound fade-in", "zh": "声音淡入"},
    "fx.afade_out": {"en": "sound fade-out", "zh": "声音淡出"},
    "fx.loudnorm": {"en": "loudness normalisation", "zh": "响度统一"},
    "fx.denoise": {"en": "voice denoise", "zh": "人声降噪"},
    "fx.wm": {"en": "watermark", "zh": "水印"},
    "fx.bars": {"en": "black bars (picture ratio)", "zh": "黑边（画面比例）"},
    "safe": {"en": "caption safe area", "zh": "字幕安全区"},
}
# words inside a setting's value (``brightness=0.2``, ``bw``), read out in the user's language
VALUE_WORDS = {
    "bw": {"en": "black and white", "zh": "黑白"},
    "warm": {"en": "warm", "zh": "暖色"},
    "cool": {"en": "cool", "zh": "冷色"},
    "sepia": {"en": "sepia", "zh": "怀旧棕褐"},
    "vintage": {"en": "vintage", "zh": "复古"},
    "vivid": {"en": "vivid", "zh": "鲜艳"},
    "film": {"en": "film", "zh": "电影感"},
    "dreamy": {"en": "dreamy", "zh": "梦幻"},
    "moody": {"en": "moody", "zh": "暗调"},
    "platform": {"en": "platform", "zh": "平台"},
    "top": {"en": "top", "zh": "顶部"},
    "bottom": {"en": "bottom", "zh": "底部"},
    "left": {"en": "left", "zh": "左侧"},
    "right": {"en": "right", "zh": "右侧"},
    "brightness": {"en": "brightness", "zh": "亮度"},
    "contrast": {"en": "contrast", "zh": "对比度"},
    "saturation": {"en": "saturation", "zh": "饱和度"},
    "factor": {"en": "factor", "zh": "倍数"},
    "mode": {"en": "mode", "zh": "方式"},
    "punch": {"en": "centre punch-in", "zh": "中心放大"},
    "kenburns": {"en": "slow zoom", "zh": "缓慢推近"},
    "corner": {"en": "corner", "zh": "位置"},
    "opacity": {"en": "opacity", "zh": "不透明度"},
    "size": {"en": "size", "zh": "大小"},
    "top-left": {"en": "top left", "zh": "左上角"},
    "top-right": {"en": "top right", "zh": "右上角"},
    "bottom-left": {"en": "bottom left", "zh": "左下角"},
    "bottom-right": {"en": "bottom right", "zh": "右下角"},
    "gif": {"en": "GIF", "zh": "GIF动图"},
    "mp3": {"en": "MP3 audio", "zh": "MP3音频"},
    "cover": {"en": "cover image", "zh": "封面图片"},
    "mp4": {"en": "MP4 video", "zh": "MP4视频"},
}
TRACK_NAMES = {
    VIDEO: {"en": "Video", "zh": "视频"},
    AUDIO: {"en": "BGM", "zh": "背景音乐"},
    TEXT: {"en": "Title", "zh": "标题"},
}
# a text track named by what it holds (``core.nemo.draft.text_track_kind``)
TEXT_TRACK_NAMES = {
    "titles": TRACK_NAMES[TEXT],
    "captions": {"en": "Captions", "zh": "字幕"},
    "mixed": {"en": "Titles and captions", "zh": "标题和字幕"},
}
CAPTION_FIRST_WORDS = 6  # a caption in the timeline text: its first words (CJK: twice as many characters)
SUMMARY_WORDS = {
    "track": {"en": "Track", "zh": "轨道"},
    "timeline": {"en": "Timeline ({count} {noun}): ", "zh": "时间线（{count}条轨道）："},
    "one_track": {"en": "track", "zh": ""},
    "tracks": {"en": "tracks", "zh": ""},
    "empty": {"en": "empty", "zh": "空"},
    "more": {"en": "+{count} more", "zh": "另有{count}段"},
    "effects": {"en": "Effects: ", "zh": "效果："},
    "backwards": {"en": "backwards", "zh": "倒放"},
    "named": {"en": "{name}: ", "zh": "{name}："},
    "quoted": {"en": '"{text}"', "zh": "“{text}”"},
    "comma": {"en": ", ", "zh": "，"},
    "details": {"en": " ({details})", "zh": "（{details}）"},
}


def add_texts(texts: Mapping[str, Mapping[str, str]]) -> None:
    """Register a front-end's own texts (keys must be new)."""
    for key, value in texts.items():
        if key in TEXTS and TEXTS[key] != value:
            raise ValueError(f"text {key!r} is defined twice")
        TEXTS[key] = dict(value)


def pick_language(locale: str | None, default: str = "en") -> str:
    """``zh`` for any Chinese locale (zh, zh-CN, zh_TW ...), else ``en`` or the default."""
    if not locale:
        return default
    head = locale.replace("_", "-").split("-")[0].lower()
    return head if head in LANGUAGES else default


def say(lang: str, key: str, **values: object) -> str:
    entry = TEXTS.get(key) or TEXTS["error_internal"]
    template = entry.get(lang) or entry["en"]
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def describe_change(lang: str, change: Change) -> str:
    """``added text 'Urban Dreams' 0-3s``."""
    verb = CHANGE_VERBS[change.verb].get(lang, change.verb)
    if change.kind is None:
        what = SETTING_WORDS.get(change.label, {}).get(lang, change.label)
    else:
        what = CHANGE_KINDS.get(change.kind, {}).get(lang) or f"{SUMMARY_WORDS['track'][lang].lower()} {change.kind}"
        if change.label:
            what += f" '{change.label}'"
    words = [verb, what]
    if change.span:
        words.append(in_seconds(lang, change.span))
    if change.was:
        words.append(f"({CHANGE_WORDS['was'][lang]} {in_seconds(lang, change.was)})")
    if change.volume is not None:
        words.append(f"({CHANGE_WORDS['volume'][lang]} {change.volume}%)")
    if change.value:
        words.append(f"({in_seconds(lang, _value_words(lang, change.value))})")
    return " ".join(words)


def _value_words(lang: str, value: str) -> str:
    """``brightness=0.2, contrast=0.1`` -> ``亮度=0.2，对比度=0.1``; numbers and unknown words stay."""
    sep = "，" if lang == "zh" else ", "
    parts = []
    for part in value.split(", "):
        key, eq, rest = part.partition("=")
        words = [VALUE_WORDS.get(w, {}).get(lang, w) for w in (key, rest)]
        parts.append(f"{words[0]}={words[1]}" if eq else words[0])
    return sep.join(parts)


def timeline_summary(draft: Draft, lang: str) -> str:
    """``Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) ...``"""
    words = {key: value.get(lang) or value["en"] for key, value in SUMMARY_WORDS.items()}
    tracks = [track for track in draft.joined().tracks if track.segments]
    noun = words["one_track"] if len(tracks) == 1 else words["tracks"]
    head = words["timeline"].format(count=len(tracks), noun=noun)
    if not tracks:
        return head + words["empty"]
    parts = []
    for number, track in enumerate(tracks, 1):
        shown = [_segment_text(track.kind, seg, words, lang) for seg in track.segments[:6]]
        more = len(track.segments) - len(shown)
        if more > 0:
            shown.append(words["more"].format(count=more))
        names = TRACK_NAMES.get(track.kind) if track.kind is not None else None
        if track.kind == TEXT:
            names = TEXT_TRACK_NAMES[text_track_kind(track)]
        name = names[lang] if names else " ".join(w for w in (words["track"], _kind(track.kind)) if w)
        parts.append(f"{number}. {words['named'].format(name=name)}{words['comma'].join(shown)}")
    effects = [(SETTING_WORDS.get(f"{EFFECTS}.{key}") or SETTING_WORDS.get(key) or {}).get(lang, key)
               + (words["details"].format(details=in_seconds(lang, _value_words(lang, value))) if value else "")
               for key, value in effects_summary(draft)]
    if effects:
        parts.append(words["effects"] + words["comma"].join(effects))
    return head + " ".join(parts)


def _kind(kind: int | None) -> str:
    return "" if kind is None else str(kind)


def _segment_text(kind: int | None, seg: Segment, words: Mapping[str, str], lang: str) -> str:
    label = seg.label
    if kind == TEXT and seg.is_caption:
        label = first_words(label)
    if kind == TEXT:
        label = words["quoted"].format(text=label)
    details = [in_seconds(lang, seg.span())]
    if kind == AUDIO and seg.volume is not None:
        details.append(f"{percent(seg.volume)}%")
    if kind == VIDEO and seg.speed != 1:
        details.append(f"{seg.speed:g}×")
    if kind == VIDEO and seg.meta.get("rev"):
        details.append(words["backwards"])
    shown = words["details"].format(details=words["comma"].join(details))
    return label + shown if label else shown.lstrip()


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def first_words(text: str, count: int = CAPTION_FIRST_WORDS) -> str:
    """The start of a caption: its first ``count`` words (``2 * count`` Chinese characters), then "…"."""
    if _HAN.search(text):
        return text if len(text) <= 2 * count else text[: 2 * count] + "…"
    shown = text.split()
    return text if len(shown) <= count else " ".join(shown[:count]) + "…"


_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|‘[^’]*’|「[^」]*」|『[^』]*』|《[^》]*》")
_LINK = re.compile(r"\b[a-z][a-z0-9+.\-]*://\S*", re.IGNORECASE)


def detect_language(text: str) -> str | None:
    """The language a message is written in, ``zh`` or ``en``; ``None`` when it has no words
    (emoji, numbers, a bare link). Quoted titles and links do not count when there is other text.
    Mixed text is Chinese when it has at least two Chinese characters per Latin word (a Chinese
    word is one to three characters): ``加上标题 Urban Dreams`` is Chinese, ``add the title 你好`` English."""
    bare = _LINK.sub(" ", text)
    unquoted = _QUOTED.sub(" ", bare)
    for candidate in (unquoted, bare):
        han = len(_HAN.findall(candidate))
        words = len(_LATIN_WORD.findall(candidate))
        if han or words:
            return "zh" if han >= 2 * words else "en"
    return None


def elapsed_text(seconds: float, lang: str = "en") -> str:
    """``12s`` / ``12秒``, and ``1:05`` from a minute on."""
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else in_seconds(lang, f"{seconds}s")


_SECONDS = re.compile(r"(\d)s\b")


def in_seconds(lang: str, text: str) -> str:
    """The draft's language-free spans (``0-3s``) with the unit of ``lang``: ``0-3秒`` in Chinese."""
    return _SECONDS.sub(r"\1秒", text) if lang == "zh" else text
