"""The editing tools: one operation applied to a session's state (shared by the planner agent and the
LLM agent). Pure draft edits come from ``engine.draft``; this module adds what needs I/O: analysis,
file lookup and the undo history."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.locks import KeyedLocks
from core.recent import Recent

from . import draft as dr
from . import effects as fx
from . import promptgen
from .analysis import Analysis, analyze, pick_highlights, silences
from .effect_ops import EFFECT_OPS, Refused, apply_effect
from .music import choice as music_choice
from .music.library import Library
from .planner import Op
from .retention import expired_footage, footage_expired_text
from .settings import EngineSettings
from .store import Store
from .subtitles import MAX_BYTES as MAX_SUBTITLE_BYTES
from .understanding.edits.recipes import BY_NAME as PLATFORMS

SESSION_LANGUAGE = "language"  # session state: "en" or "zh" when the session was created with one
STATE_KEYS = ("draft", "video_infos", "generated_media", "canvas_config", "video_analyses")
HIGHLIGHT_XFADE = 0.3
SESSIONS_KEPT = 10_000  # sessions whose last message (undo mark, correction) is remembered here, newest kept
MIN_COMPRESS_MB, MAX_COMPRESS_MB = 0.1, 2000.0


def initial_state() -> dict[str, Any]:
    return {
        "draft": dr.empty_draft(),
        "video_infos": [],
        "generated_media": [],
        "canvas_config": {},
        "video_analyses": {},
    }


@dataclass
class Outcome:
    """What one operation did: the state keys it changed, the function response, a sentence for the user."""

    ok: bool
    summary: str
    delta: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)


def _t(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


def _s(ms: float) -> str:
    return f"{ms / 1000:.1f}".rstrip("0").rstrip(".")


def _many(n: int, one: str, many: str) -> str:
    """``1 pause``, ``2 pauses``: English counts read as words, not ``pause(s)``."""
    return f"{n} {one if n == 1 else many}"


class EditTools:
    """Applies operations to session state; analyses footage (cached per file) when an edit needs it."""

    def __init__(self, store: Store, settings: EngineSettings, analysis_dir: Path) -> None:
        self.store = store
        self.settings = settings
        self.analysis_dir = analysis_dir
        self._sem = asyncio.Semaphore(settings.concurrent_analyses)
        self._locks = KeyedLocks()  # one per file analysed, while in use
        self._history_marks: Recent[str, str] = Recent(SESSIONS_KEPT)
        self.music = Library(settings.resolved_music_dir(), settings.ffmpeg)  # made at first use
        self._last_invocation: Recent[str, str] = Recent(SESSIONS_KEPT)  # per session: whose edits ran last
        self.exports_dir: Path = analysis_dir.parent / "renders"  # files handed out as links (the .srt)
        self.public_url: Callable[[str], str] | None = None  # a served path as a signed link (set by the server)

    # analysis ---------------------------------------------------------------------------------
    async def analysis_of(self, file_id: str, *, video: bool) -> Analysis | None:
        rec = await self.store.get_file(file_id)
        if rec is None or rec.file_type != "video" or not rec.path.exists():
            return None
        full = self.analysis_dir / f"{file_id}.av.json"
        audio_only = self.analysis_dir / f"{file_id}.a.json"
        for p in (full,) if video else (full, audio_only):
            if p.exists():
                try:
                    return Analysis.from_json(await asyncio.to_thread(p.read_text))
                except (ValueError, TypeError):
                    p.unlink(missing_ok=True)
        lock = self._locks(file_id + str(video))
        async with lock:
            target = full if video else audio_only
            if target.exists():
                return Analysis.from_json(await asyncio.to_thread(target.read_text))
            async with self._sem:
                an = await analyze(
                    rec.path,
                    float(rec.info.get("duration") or 0),
                    has_video=rec.info.get("has_video", True),
                    has_audio=bool(rec.info.get("has_audio")),
                    video=video,
                    ffmpeg=self.settings.ffmpeg,
                )
            self.analysis_dir.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            await asyncio.to_thread(tmp.write_text, an.to_json())
            tmp.replace(target)
            return an

    async def read_file(self, file_id: str) -> bytes | None:
        """The bytes of a small uploaded file (subtitles), or None if it is gone or too big."""
        rec = await self.store.get_file(file_id)
        if rec is None or not rec.path.exists() or rec.size > MAX_SUBTITLE_BYTES:
            return None
        return await asyncio.to_thread(rec.path.read_bytes)

    @staticmethod
    def needs_analysis(op: Op) -> bool:
        return op.name in ("cut_pauses", "highlights", "example_clip")

    def analysis_targets(self, op: Op, state: dict[str, Any]) -> list[str]:
        """File ids an operation will analyse."""
        media = [m for m in state.get("video_infos") or [] if isinstance(m, dict)]
        if op.name == "cut_pauses":
            d = dr.ensure_footage(state.get("draft"), media)
            ids = [s["m"].get("src") for s in dr.segments(d, dr.VIDEO) if not s["m"].get("still")]
            return [i for i in dict.fromkeys(ids) if i]
        return [m["id"] for m in media if m.get("file_type") == "video" and m.get("id")]

    async def analyze_for(self, op: Op, state: dict[str, Any], lang: str) -> Outcome:
        """Run (or reuse) the analysis an operation needs; its summary goes to ``video_analyses``."""
        video = op.name != "cut_pauses"
        analyses = dict(state.get("video_analyses") or {})
        done = []
        for fid in self.analysis_targets(op, state):
            an = await self.analysis_of(fid, video=video)
            if an is not None:
                analyses[fid] = an.summary()
                done.append(fid)
        if not done:
            return Outcome(
                False,
                _t(lang, "There is no video with sound or pictures to analyse.", "没有可以分析的视频。"),
                response={"ok": False, "error": "nothing to analyse"},
            )
        return Outcome(
            True,
            "",
            {"video_analyses": analyses},
            {"ok": True, "analysed": done, "cuts": {f: len(analyses[f]["cuts"]) for f in done}},
        )

    # undo history -----------------------------------------------------------------------------
    async def remember(self, session_id: str, invocation_id: str, current: dict[str, Any]) -> None:
        """Save the draft before the first edit of an invocation (one undo step per message)."""
        if self._history_marks.get(session_id) == invocation_id:
            return
        self._history_marks[session_id] = invocation_id
        await self.store.push_history(session_id, current, self.settings.undo_depth)

    async def forget(self, session_id: str, invocation_id: str) -> None:
        """Drop the undo step an invocation saved, when its edits are taken back as a whole."""
        if self._history_marks.get(session_id) != invocation_id:
            return
        del self._history_marks[session_id]
        await self.store.pop_history(session_id, 1)

    # operations -------------------------------------------------------------------------------
    async def execute(
        self, op: Op, state: dict[str, Any], session_id: str, invocation_id: str, lang: str = "en"
    ) -> Outcome:
        previous = self._last_invocation.get(session_id)
        self._last_invocation[session_id] = invocation_id
        try:
            if op.name == "undo":
                return await self._undo(op, state, session_id, lang)
            if op.name == "revise":
                return await self._revise(state, session_id, previous, lang)
            if await expired_footage(self.store, state.get("draft")):
                text = footage_expired_text(lang)
                return Outcome(False, text, response={"ok": False, "error": "footage expired"})
            outcome = await self._apply(op, state, lang)
        except (KeyError, TypeError, ValueError) as exc:
            return Outcome(
                False,
                _t(lang, f"I could not apply that edit ({exc}).", f"无法完成这个编辑（{exc}）。"),
                response={"ok": False, "error": str(exc)},
            )
        if outcome.ok and "draft" in outcome.delta and outcome.delta["draft"] != state.get("draft"):
            await self.remember(session_id, invocation_id, state.get("draft") or dr.empty_draft())
            cv = outcome.delta["draft"].get("cv")
            if isinstance(cv, dict) and cv != state.get("canvas_config"):
                outcome.delta.setdefault("canvas_config", cv)
        return outcome

    async def _undo(self, op: Op, state: dict[str, Any], session_id: str, lang: str) -> Outcome:
        steps = int(op.args.get("steps", 1))
        previous = await self.store.pop_history(session_id, max(1, min(steps, 20)))
        self._history_marks.pop(session_id, None)
        if previous is None:
            return Outcome(
                False,
                _t(lang, "Nothing to undo.", "没有可以撤销的操作。"),
                response={"ok": False, "error": "nothing to undo"},
            )
        delta = {
            "draft": previous,
            "canvas_config": previous.get("cv", {}) if isinstance(previous, dict) else {},
        }
        return Outcome(True, _t(lang, "Undone.", "已撤销。"), delta, {"ok": True, "undone": steps})

    async def _revise(
        self, state: dict[str, Any], session_id: str, previous: str | None, lang: str
    ) -> Outcome:
        """A correction ("no wait, 6"): the last message's edits are taken back, so the revised edit that
        follows starts from where they started and the two make one undo step. Only when that message's
        step is the newest in the history; otherwise the revised edit applies to the draft as it is."""
        said = _t(lang, "Instead:", "改为：")
        if previous is None or self._history_marks.get(session_id) != previous:
            return Outcome(True, said, {}, {"ok": True, "op": "revise", "undone": 0})
        before = await self.store.pop_history(session_id, 1)
        self._history_marks.pop(session_id, None)
        if before is None:
            return Outcome(True, said, {}, {"ok": True, "op": "revise", "undone": 0})
        delta = {"draft": before, "canvas_config": before.get("cv", {}) if isinstance(before, dict) else {}}
        return Outcome(True, said, delta, {"ok": True, "op": "revise", "undone": 1})

    async def _apply(self, op: Op, state: dict[str, Any], lang: str) -> Outcome:
        media = [m for m in state.get("video_infos") or [] if isinstance(m, dict)]
        d = dr.ensure_footage(state.get("draft"), media)
        a = op.args
        name = op.name

        def ok(new: dr.Draft, en: str, zh: str, **extra: Any) -> Outcome:
            return Outcome(True, _t(lang, en, zh), {"draft": new}, {"ok": True, "op": name, **extra})

        def fail(en: str, zh: str) -> Outcome:
            return Outcome(False, _t(lang, en, zh), {}, {"ok": False, "op": name, "error": en})

        if name in ("captions", "export_captions"):
            return await self._captions(op, state, d, lang)
        if name in EFFECT_OPS:
            try:
                done = await apply_effect(name, dict(a), d, media, self.read_file)
            except Refused as exc:
                return fail(exc.en, exc.zh)
            return ok(done.draft, done.en, done.zh)
        total = dr.total_ms(d)
        if name in ("keep_range", "cut_range"):
            s, e = int(float(a["start"]) * 1000), int(float(a["end"]) * 1000)
            if total and s >= total:
                return fail(f"The video is only {_s(total)} s long.", f"视频只有{_s(total)}秒。")
            e = min(e, total) if total else e
            if name == "keep_range":
                new = dr.keep_range(d, s, e)
                return ok(
                    new,
                    f"Kept {_s(s)}-{_s(e)} s; the video is now {_s(dr.total_ms(new))} s.",
                    f"已保留{_s(s)}-{_s(e)}秒，视频现在{_s(dr.total_ms(new))}秒。",
                )
            new = dr.cut_range(d, s, e)
            if not dr.segments(new, dr.VIDEO):
                return fail("That would remove the whole video.", "这样会删除整个视频。")
            return ok(
                new,
                f"Cut {_s(s)}-{_s(e)} s; the video is now {_s(dr.total_ms(new))} s.",
                f"已剪掉{_s(s)}-{_s(e)}秒，视频现在{_s(dr.total_ms(new))}秒。",
            )
        if name == "cut_pauses":
            min_sil = float(a.get("min_silence", 0.5))
            holes: dict[str, list[tuple[int, int]]] = {}
            for fid in self.analysis_targets(op, {**state, "draft": d}):
                an = await self.analysis_of(fid, video=False)
                if an is not None:
                    holes[fid] = [
                        (int(x * 1000), int(y * 1000)) for x, y in silences(an, min_silence=min_sil)
                    ]
            n = sum(len(v) for v in holes.values())
            if n == 0:
                return Outcome(
                    True,
                    _t(lang, "I found no pauses to cut.", "没有发现需要剪掉的停顿。"),
                    {},
                    {"ok": True, "op": name, "removed": 0},
                )
            new = dr.remove_source_ranges(d, holes)
            saved = total - dr.total_ms(new)
            return ok(
                new,
                f"Cut {_many(n, 'pause', 'pauses')} ({_s(saved)} s); the video is now {_s(dr.total_ms(new))} s.",
                f"已剪掉{n}处停顿（{_s(saved)}秒），视频现在{_s(dr.total_ms(new))}秒。",
                removed=n,
            )
        if name == "set_aspect":
            aspect, fit = str(a.get("aspect", "9:16")), str(a.get("fit", "crop"))
            if aspect not in dr.ASPECTS:
                return fail(
                    f"I can make 9:16, 1:1 or 16:9, not {aspect}.",
                    f"我可以做9:16、1:1或16:9，不支持{aspect}。",
                )
            how = {
                "crop": ("cropped", "裁剪"),
                "blur": ("blurred background", "模糊背景"),
                "pad": ("padded", "留边"),
            }
            en_how, zh_how = how.get(fit, how["crop"])
            w, h = dr.ASPECTS[aspect]
            new = fx.refit_bars(dr.set_canvas(d, aspect, fit), w / h)
            new.pop("safe", None)
            platform = PLATFORMS.get(str(a.get("platform", "")))
            if platform is None:
                return ok(new, f"Canvas is now {aspect} ({en_how}).", f"画面已改为{aspect}（{zh_how}）。")
            new["safe"] = {"platform": platform.name, **platform.safe}  # where captions may go
            en = f"Canvas is now {aspect} ({en_how}) for {platform.label_en}."
            zh = f"画面已改为{aspect}（{zh_how}），适合{platform.label_zh}。"
            limit = int((platform.max_seconds or 0) * 1000)
            if limit and dr.total_ms(new) > limit:
                new = dr.keep_range(new, 0, limit)
                en += f" {platform.label_en} takes up to {_s(limit)} s: kept the first {_s(limit)} s."
                zh += f"{platform.label_zh}最长{_s(limit)}秒：已保留前{_s(limit)}秒。"
            return ok(new, en, zh)
        if name == "add_text":
            text = str(a.get("text", "")).strip()[:200]
            if not text:
                return fail("What should the text say?", "文字内容是什么？")
            st, du = int(float(a.get("start", 0)) * 1000), int(float(a.get("duration", 3)) * 1000)
            new = dr.add_text(d, text, st, du, str(a.get("pos", "center")), str(a.get("kind", "title")))
            seg = dr.segments(new, dr.TEXT)[-1]
            label = ("Title", "标题") if a.get("kind", "title") == "title" else ("Text", "文字")
            return ok(
                new,
                f'{label[0]} "{text}" added ({_s(seg["st"])}-{_s(seg["st"] + seg["d"])} s).',
                f"已添加{label[1]}“{text}”（{_s(seg['st'])}-{_s(seg['st'] + seg['d'])}秒）。",
            )
        if name == "clear_text":
            return ok(dr.clear_text(d), "Text removed.", "已删除文字。")
        if name in ("add_music", "change_music"):  # an upload, or a library track by mood
            playing = dr.segments(d, dr.AUDIO)
            kept = dr._num(playing[0]["m"].get("vol"), 0.3) if playing and name == "change_music" else 0.3
            vol = max(0.0, min(float(a.get("volume", kept)), 2.0))
            chosen = await music_choice.choose(name, dict(a), d, media, self.music, vol)
            if chosen.info is None:
                return fail(chosen.en, chosen.zh)
            return ok(dr.add_music(d, chosen.info, vol), chosen.en, chosen.zh)
        if name == "music_volume":
            vol = max(0.0, min(float(a.get("volume", 0.3)), 2.0))
            if not dr.segments(d, dr.AUDIO):
                return fail("There is no background music yet.", "还没有背景音乐。")
            return ok(
                dr.set_music_volume(d, vol),
                f"Music volume set to {round(vol * 100)}%.",
                f"背景音乐音量已设为{round(vol * 100)}%。",
            )
        if name == "remove_music":
            return ok(dr.remove_music(d), "Background music removed.", "已删除背景音乐。")
        if name == "speed":
            f = float(a.get("factor", 1.0))
            new = dr.set_speed(d, f)
            return ok(
                new,
                f"Speed set to {f:g}x; the video is now {_s(dr.total_ms(new))} s.",
                f"已设为{f:g}倍速，视频现在{_s(dr.total_ms(new))}秒。",
            )
        if name == "fades":
            fi, fo = a.get("fade_in"), a.get("fade_out")
            new = dr.set_fades(
                d, int(float(fi) * 1000) if fi else None, int(float(fo) * 1000) if fo else None
            )
            parts_en = [p for p, on in (("fade-in", fi), ("fade-out", fo)) if on]
            parts_zh = [p for p, on in (("淡入", fi), ("淡出", fo)) if on]
            return ok(new, f"Added {' and '.join(parts_en)}.", f"已添加{'和'.join(parts_zh)}。")
        if name == "transitions":
            if len(dr.segments(d, dr.VIDEO)) < 2:
                return fail(
                    "Transitions need at least two segments: join clips or cut a part out first.",
                    "转场需要至少两个片段：请先合并视频或剪掉一段。",
                )
            kind, dur = str(a.get("kind", "fade")), float(a.get("duration", 0.5))
            new = dr.set_transitions(d, kind, int(dur * 1000))
            n = len(dr.segments(new, dr.VIDEO)) - 1
            return ok(new, f"Added {_many(n, f'{kind} transition', f'{kind} transitions')} of {dur:g} s.", f"已添加{n}个转场（{dur:g}秒）。")
        if name in ("mute", "unmute", "volume"):
            vol = (
                0.0 if name == "mute" else 1.0 if name == "unmute" else max(0.0, min(float(a["volume"]), 4.0))
            )
            new = dr.set_clip_volume(d, vol)
            if name == "mute":
                return ok(new, "Muted the clip sound.", "已静音。")
            return ok(new, f"Clip volume set to {round(vol * 100)}%.", f"原声音量已设为{round(vol * 100)}%。")
        if name == "compress":
            mb = float(a["mb"])
            if not MIN_COMPRESS_MB <= mb <= MAX_COMPRESS_MB:
                return fail(
                    f"I can compress to between {MIN_COMPRESS_MB:g} and {MAX_COMPRESS_MB:g} MB.",
                    f"可以压缩到{MIN_COMPRESS_MB:g}到{MAX_COMPRESS_MB:g} MB之间。",
                )
            return ok(
                dr.set_max_mb(d, mb),
                f"The export will be at most {mb:g} MB (lower quality where needed).",
                f"导出的视频将不超过{mb:g} MB（必要时降低画质）。",
                mb=mb,
            )
        if name == "join":
            visual = dr.visual_media(media)
            if not visual:
                return fail("Upload clips first.", "请先上传视频。")
            new = dr.join(d, media)
            return ok(
                new,
                f"Joined {_many(len(visual), 'clip', 'clips')} into {_s(dr.total_ms(new))} s.",
                f"已合并{len(visual)}个片段，共{_s(dr.total_ms(new))}秒。",
            )
        if name in ("highlights", "example_clip"):
            return await self._highlights(op, d, media, lang)
        if name == "video_prompt":
            vp = promptgen.generate(
                str(a.get("description", "")),
                float(a.get("seconds", 30)),
                str(a.get("aspect", "16:9")),
                str(a.get("lang", lang)),
            )
            cards = [(f"{s.title}\n{s.action[:42]}", int(s.duration * 1000)) for s in vp.scenes]
            board = dr.storyboard(cards, vp.aspect)
            gm = list(state.get("generated_media") or [])
            gm.append(
                {
                    "type": "video_prompt",
                    "subject": vp.subject,
                    "prompt": vp.text,
                    "seconds": vp.seconds,
                    "aspect": vp.aspect,
                    "scenes": [s.__dict__ for s in vp.scenes],
                }
            )
            tail = _t(
                lang,
                "\n\nThe storyboard is on the timeline: say export to get it as an MP4.",
                "\n\n分镜已放到时间线上：说“导出”即可得到MP4。",
            )
            return Outcome(
                True,
                vp.text + tail,
                {"draft": board, "generated_media": gm},
                {"ok": True, "op": name, "prompt": vp.text, "scenes": len(vp.scenes)},
            )
        return fail(f"Unknown operation {name}.", f"未知操作 {name}。")

    async def _captions(self, op: Op, state: dict[str, Any], d: dr.Draft, lang: str) -> Outcome:
        """Captions from typed words (timed to the speech) or from the speech itself, and the .srt export."""
        from .captions_ops import export_srt, make_captions

        if op.name == "export_captions":
            done = await export_srt(d, self.exports_dir, self.public_url)
        else:
            done = await make_captions(op.args, d, self.store, self.settings, lang)
        if done.draft is None:
            return Outcome(done.ok, _t(lang, done.en, done.zh), {}, {"ok": done.ok, "op": op.name, **done.extra})
        return Outcome(
            True, _t(lang, done.en, done.zh), {"draft": done.draft}, {"ok": True, "op": op.name, **done.extra}
        )

    async def _highlights(self, op: Op, d: dr.Draft, media: list[dict[str, Any]], lang: str) -> Outcome:
        videos = [m for m in media if m.get("file_type") == "video" and m.get("id")]
        if not videos:
            return Outcome(
                False,
                _t(lang, "Upload a video first.", "请先上传视频。"),
                {},
                {"ok": False, "op": op.name, "error": "no video"},
            )
        analyses, infos = [], []
        for m in videos:
            an = await self.analysis_of(m["id"], video=True)
            if an is not None:
                analyses.append(an)
                infos.append(m)
        footage = sum(an.duration for an in analyses)
        target = float(op.args.get("seconds", 30))
        if op.name == "example_clip":
            target = min(target, max(3.0, footage * 0.5))
        picks = pick_highlights(analyses, target, transition=HIGHLIGHT_XFADE)
        if not picks:
            return Outcome(
                False,
                _t(lang, "I could not find anything to use.", "没有找到可用的片段。"),
                {},
                {"ok": False, "op": op.name},
            )
        trans = {"type": "fade", "d": int(HIGHLIGHT_XFADE * 1000)} if len(picks) > 1 else None
        new = dr.set_video_ranges(
            d, [(infos[p.source], int(p.start * 1000), int(p.end * 1000)) for p in picks], trans
        )
        spans = ", ".join(f"{p.start:.1f}-{p.end:.1f}s" for p in picks)
        resp = {
            "ok": True,
            "op": op.name,
            "segments": [[infos[p.source]["id"], p.start, p.end] for p in picks],
        }
        if op.name == "example_clip":
            new = dr.set_fades(dr.set_canvas(new, "9:16", "crop"), 300, 500)
            return Outcome(
                True,
                _t(
                    lang,
                    f"Here is an example clip: {_s(dr.total_ms(new))} s of the best moments ({spans}), 9:16 "
                    "with fades. Say export to get the MP4.",
                    f"示例片段已生成：精选{_s(dr.total_ms(new))}秒（{spans}），9:16竖屏并带淡入淡出。说“导出”即可获得MP4。",
                ),
                {"draft": new},
                resp,
            )
        return Outcome(
            True,
            _t(
                lang,
                f"Highlight reel of {_s(dr.total_ms(new))} s from {_many(len(picks), 'moment', 'moments')}: {spans}.",
                f"已生成{_s(dr.total_ms(new))}秒的精彩集锦，共{len(picks)}段：{spans}。",
            ),
            {"draft": new},
            resp,
        )
