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
    "pic_track_video": {"en": "Video", "zh": "视频"},
    "pic_track_audio": {"en": "Music", "zh": "音乐"},
    "pic_track_text": {"en": "Titles", "zh": "字幕"},
    "pic_track_other": {"en": "Track", "zh": "轨道"},
    "pic_empty": {"en": "The timeline is empty", "zh": "时间线是空的"},
    "pic_highlights_header": {"en": "Highlights  ·  {count} moments  ·  {duration}",
                              "zh": "精彩片段  ·  {count} 个  ·  {duration}"},
}

add_texts(TEXTS)
