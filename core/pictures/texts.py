"""The words drawn into pictures (EN and ZH), registered with the core's texts."""

from __future__ import annotations

from core.i18n import add_texts

TEXTS: dict[str, dict[str, str]] = {
    "pic_sheet_header": {"en": "{name}  ·  {duration}  ·  {width}×{height}",
                         "zh": "{name}  ·  时长 {duration}  ·  {width}×{height}"},
    "pic_sheet_header_audio": {"en": "{name}  ·  {duration}  ·  audio", "zh": "{name}  ·  时长 {duration}  ·  音频"},
    "pic_loudness": {"en": "loudness", "zh": "响度"},
    "pic_timeline_header": {"en": "Timeline  ·  {duration}  ·  {tracks}", "zh": "时间线  ·  {duration}  ·  {tracks}"},
    "pic_tracks": {"en": "{count} tracks", "zh": "{count} 条轨道"},
    "pic_track_one": {"en": "1 track", "zh": "1 条轨道"},
    "pic_track_video": {"en": "Video", "zh": "视频"},
    "pic_track_audio": {"en": "Music", "zh": "音乐"},
    "pic_track_text": {"en": "Titles", "zh": "标题"},
    "pic_track_captions": {"en": "Captions", "zh": "字幕"},
    "pic_track_mixed_text": {"en": "Text", "zh": "文字"},
    "pic_track_other": {"en": "Track", "zh": "轨道"},
    "pic_empty": {"en": "The timeline is empty", "zh": "时间线是空的"},
    "pic_highlights_header": {"en": "Highlights  ·  {count} moments  ·  {duration}",
                              "zh": "精彩片段  ·  {count} 个  ·  {duration}"},
    # the conversation's words about pictures
    "step_pictures": {"en": "drawing the pictures", "zh": "正在生成图片"},
    "pictures_on": {"en": "Pictures on: after each edit that changes the timeline you'll see it drawn. "
                          "/pictures off stops that.",
                    "zh": "图片已开启：每次修改时间线后都会发给你时间线图。/pictures off 可关闭。"},
    "pictures_off": {"en": "Pictures off: after an edit I answer in words only (/status still shows the "
                           "timeline drawn). /pictures on turns them on.",
                     "zh": "图片已关闭：修改后只用文字回复（/status 仍会显示时间线图）。/pictures on 可开启。"},
    "pictures_usage": {"en": "Say /pictures on or /pictures off.", "zh": "请发送 /pictures on 或 /pictures off。"},
}

add_texts(TEXTS)
