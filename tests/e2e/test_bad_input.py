"""Bad input: every case gets a clear answer in the user's language, nothing crashes, nothing is lost.

One table drives the core through a recording surface against the stand-in NEMO. Each row says what
the user sends, in which language, what they must read, and what NEMO may (not) have received. After
each row the same conversation still works (its credits are answered), and no message carries a
traceback, JSON or a token. A few more cases go through the console front-end.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bots.console.app import run_console
from core.conversation import MAX_TEXT, Core
from core.nemo.limits import MAX_UPLOAD_BYTES
from core.ports import Attachment, Incoming, Target
from tests.e2e.test_faults import assert_all_clear, requests_to
from tests.fakes.nemo import FakeNemo
from tests.recording import RecordingPort

ANN = Target("test", "chat-1", "ann")
INTERNAL_EN = "something went wrong on my side"
INTERNAL_ZH = "我这边出错了"


def attachment(name: str, data: bytes = b"\x00\x00\x00\x18ftypmp42" + b"v" * 990, *, size: int | None = -1,
               fail_after: int | None = None) -> Attachment:
    """A file as a surface hands it over: ``size`` is what the platform declared (-1: the real size);
    ``fail_after`` makes reading break after that many bytes (a download that fails midway)."""

    async def chunks() -> AsyncIterator[bytes]:
        if fail_after is not None:
            yield data[:fail_after]
            raise OSError("connection reset while downloading")
        for start in range(0, len(data), 400):
            yield data[start:start + 400]

    return Attachment(name, len(data) if size == -1 else size, "application/octet-stream", open=chunks)


Send = Callable[[Target, str | None], list[Incoming]]


def file_(name: str, data: bytes | None = None, **kw: object) -> Send:
    if data is not None:
        kw["data"] = data
    return lambda t, loc: [
        Incoming(t, attachments=[attachment(name, **kw)], locale=loc)]  # type: ignore[arg-type]


def say_(message: str) -> Send:
    return lambda t, loc: [Incoming(t, text=message, locale=loc)]


def cmd(command: str, args: str = "") -> Send:
    return lambda t, loc: [Incoming(t, command=command, args=args, locale=loc)]


def press(action: str, owner: str | None = None) -> Send:
    return lambda t, loc: [Incoming(t, button=action, button_owner=owner, locale=loc)]


@dataclass(frozen=True)
class Case:
    id: str
    send: Send
    expect: str                       # what the user reads (in the last message, or a notice)
    zh: bool = False
    chat: Sequence[str] | None = ()   # what NEMO's chat must have received (None: not checked)
    upload: bool | None = False       # whether an upload request reached NEMO (None: not checked)
    uploaded_as: str | None = None    # the file name NEMO received
    notice: bool = False              # the answer is a notice (a button press answered privately)
    extra: Callable[[FakeNemo, RecordingPort], None] = field(default=lambda nemo, port: None)
    setup: Callable[[FakeNemo], None] = field(default=lambda nemo: None)


EMOJI = "add the title 'Party 🎉👨‍👩‍👧‍👦 🇯🇵 👍🏽 🫨'"
ARABIC = "أضف العنوان 'مرحبا بالعالم' لمدة ثلاث ثوان"
HEBREW = "\u200fהוסף את הכותרת 'שלום עולם'\u200f"
CJK = "给视频加上标题“决赛之夜”，持续三秒"
MIXED = "add the title 'שלום abc مرحبا 决赛' with \u2066isolated\u2069 text"
UNSUPPORTED_EN = "I can't use that file. Supported formats: mp4, mov"
UNSUPPORTED_ZH = "无法使用该文件。支持的格式：mp4, mov"
UNREADABLE_EN = "I couldn't read that file"
UNREADABLE_ZH = "无法读取该文件"
PRIVATE_EN = "it points to a private or local address"
PRIVATE_ZH = "指向私有或本地地址"
NOT_HTTP_EN = "I can only fetch http:// or https:// links"
NOT_HTTP_ZH = "只能获取 http:// 或 https:// 链接"


def _sent(expected: str) -> Callable[[FakeNemo, RecordingPort], None]:
    def check(nemo: FakeNemo, port: RecordingPort) -> None:
        assert nemo.chat_messages == [expected]

    return check


CASES: list[Case] = [
    # -- files: formats ---------------------------------------------------------------------------
    Case("exe", file_("setup.exe"), UNSUPPORTED_EN),
    Case("exe-zh", file_("setup.exe"), UNSUPPORTED_ZH, zh=True),
    Case("txt", file_("notes.txt"), UNSUPPORTED_EN),
    Case("no-extension", file_("clip"), UNSUPPORTED_EN),
    Case("no-extension-zh", file_("视频"), UNSUPPORTED_ZH, zh=True),
    Case("double-extension-exe", file_("clip.mp4.exe"), UNSUPPORTED_EN),
    Case("upper-case-MP4-is-fine", file_("CLIP.MP4"), "Uploaded CLIP.MP4", upload=True,
         uploaded_as="CLIP.MP4"),
    Case("mixed-case-Mov-is-fine-zh", file_("Beach.Mov"), "已上传 Beach.Mov", zh=True, upload=True),
    Case("lying-extension-mp4-holding-an-exe", file_("movie.mp4", b"MZ\x90\x00" + b"\x00" * 500),
         "Uploaded movie.mp4", upload=True),
    Case("lying-extension-refused-by-nemo", file_("fake.mov", b"<html>not a video</html>"), UNSUPPORTED_EN,
         upload=True,
         setup=lambda nemo: nemo.fail_next("upload", code=4001, message="cannot decode fake.mov")),
    Case("lying-extension-refused-by-nemo-zh", file_("假的.mp4", b"%PDF-1.4"), UNSUPPORTED_ZH, zh=True,
         upload=True, setup=lambda nemo: nemo.fail_next("upload", code=4001)),
    Case("lying-extension-mp3-holding-text", file_("song.mp3", b"just some text, not audio\n" * 20),
         "Uploaded song.mp3", upload=True),
    # -- files: sizes -----------------------------------------------------------------------------
    Case("zero-bytes", file_("empty.mp4", b""), "That file is empty"),
    Case("zero-bytes-zh", file_("empty.mp4", b""), "该文件是空的", zh=True),
    Case("zero-bytes-size-unknown", file_("empty.mp4", b"", size=None), "That file is empty", upload=None),
    Case("truncated-declared-more-than-read", file_("cut.mp4", b"x" * 400, size=1000), UNREADABLE_EN,
         upload=None),
    Case("truncated-zh", file_("cut.mp4", b"x" * 400, size=1000), UNREADABLE_ZH, zh=True, upload=None),
    Case("longer-than-declared", file_("long.mp4", b"x" * 1000, size=100), UNREADABLE_EN, upload=None),
    Case("download-breaks-midway", file_("net.mp4", b"x" * 1000, fail_after=300), UNREADABLE_EN, upload=None),
    Case("over-500-MB-declared", file_("huge.mp4", b"x", size=MAX_UPLOAD_BYTES + 1), "over the 500 MB limit"),
    Case("over-500-MB-declared-zh", file_("huge.mov", b"x", size=2 * MAX_UPLOAD_BYTES), "文件超过500 MB上限",
         zh=True),
    # -- texts ------------------------------------------------------------------------------------
    Case("empty-text", say_(""), "Tell me what to do with your video, or send one."),
    Case("empty-text-zh", say_(""), "请告诉我要怎么剪辑，或发送一个视频。", zh=True),
    Case("blank-and-zero-width-only", say_(" \t\u200b\u200d\ufeff \n"), "Tell me what to do with your video"),
    Case("control-characters-only", say_("\x00\x07\x1b\x7f\r"), "Tell me what to do with your video"),
    Case("huge-text-100kB", say_("x" * 100_000),
         f"That message is too long (100000 characters; at most {MAX_TEXT})"),
    Case("huge-text-100kB-zh", say_("剪" * 100_000), "消息太长（100000字符", zh=True),
    Case("huge-edit-argument", cmd("edit", "cut " * 25_000), "That message is too long"),
    Case("control-characters-inside-an-instruction", say_("add the title\x00 'Bell\x07' \x1b[31mnow"),
         "Added text 'Bell'", chat=None, extra=_sent("add the title 'Bell' [31mnow")),
    Case("emoji-kept-intact", say_(EMOJI), "Added text 'Party 🎉", chat=[EMOJI]),
    Case("arabic-kept-intact", say_(ARABIC), "'مرحبا بالعالم'", chat=[ARABIC]),  # NEMO closed it silently
    Case("hebrew-with-rtl-marks-kept-intact", say_(HEBREW), "Added text", chat=[HEBREW.strip()]),
    Case("cjk-kept-intact-zh", say_(CJK), "Added text '决赛之夜'", zh=True, chat=[CJK]),
    Case("mixed-scripts-and-bidi-isolates", say_(MIXED), "Added text", chat=[MIXED]),
    # -- hostile file names -----------------------------------------------------------------------
    Case("path-traversal-name", file_("../../etc/passwd.mp4"), "Uploaded passwd.mp4", upload=True,
         uploaded_as="passwd.mp4"),
    Case("windows-path-name", file_("..\\..\\Windows\\clip.mp4"), "Uploaded clip.mp4", upload=True,
         uploaded_as="clip.mp4"),
    Case("quotes-in-name", file_('my "best" clip";name="x.mp4'), "Uploaded", upload=True,
         uploaded_as="my 'best' clip',name='x.mp4"),
    Case("crlf-header-injection-in-name", file_("a\r\nContent-Type: text/html\r\n\r\nb.mp4"),
         "Uploaded htmlb.mp4", upload=True, uploaded_as="htmlb.mp4"),
    Case("nul-in-name", file_("evil.exe\x00.mp4"), "Uploaded evil.exe.mp4", upload=True,
         uploaded_as="evil.exe.mp4"),
    Case("backslash-before-the-closing-quote", file_("clip.mp4\\"), UNSUPPORTED_EN),
    Case("300-character-name", file_("a" * 296 + ".mp4"), "Uploaded aaaa", upload=True,
         uploaded_as="a" * 196 + ".mp4"),
    Case("unicode-name-zh", file_("决赛 🎬 ملف.mp4"), "已上传 决赛 🎬 ملف.mp4", zh=True, upload=True,
         uploaded_as="决赛 🎬 ملف.mp4"),
    Case("rtl-override-in-name", file_("clip\u202egnp.mp4"), "Uploaded clipgnp.mp4", upload=True,
         uploaded_as="clipgnp.mp4"),
    Case("empty-name", file_(""), UNSUPPORTED_EN),
    # -- links ------------------------------------------------------------------------------------
    Case("loopback-link", say_("upload http://127.0.0.1/x.mp4"), PRIVATE_EN),
    Case("loopback-link-zh", say_("上传 http://127.0.0.1:8080/x.mp4"), PRIVATE_ZH, zh=True),
    Case("cloud-metadata-link", say_("upload http://169.254.169.254/latest/meta-data/"), PRIVATE_EN),
    Case("localhost-link", say_("upload https://localhost/x.mp4"), PRIVATE_EN),
    Case("private-10-link", say_("upload http://10.1.2.3/x.mp4"), PRIVATE_EN),
    Case("private-192-168-link", say_("upload http://192.168.0.10/x.mp4"), PRIVATE_EN),
    Case("ipv6-loopback-link", say_("upload http://[::1]:8000/x.mp4"), PRIVATE_EN),
    Case("ipv4-mapped-ipv6-link", say_("upload http://[::ffff:127.0.0.1]/x.mp4"), PRIVATE_EN),
    Case("decimal-ip-link", say_("upload http://2130706433/x.mp4"), PRIVATE_EN),
    Case("hex-ip-link", say_("upload http://0x7f.0.0.1/x.mp4"), PRIVATE_EN),
    Case("userinfo-before-a-private-host", say_("upload http://example.com@127.0.0.1/x.mp4"), PRIVATE_EN),
    Case("internal-name-link", say_("upload http://metadata.google.internal/x.mp4"), PRIVATE_EN),
    Case("upload-command-with-a-private-link", cmd("upload", "http://0.0.0.0/x.mp4"), PRIVATE_EN),
    Case("file-scheme", say_("upload file:///etc/passwd"), NOT_HTTP_EN),
    Case("file-scheme-zh", say_("上传 file:///etc/passwd"), NOT_HTTP_ZH, zh=True),
    Case("ftp-scheme", say_("upload ftp://example.com/x.mp4"), NOT_HTTP_EN),
    Case("gopher-scheme", cmd("upload", "gopher://127.0.0.1:70/x.mp4"), NOT_HTTP_EN),
    # a public host is out of a test's reach and the bot refuses loopback links: NEMO's fetch is
    # relaxed, as this row is about the bot passing a public link on
    Case("public-link-is-fine", say_("upload https://example.com/media/clip.mp4"), "Uploaded clip.mp4",
         upload=True, setup=lambda nemo: setattr(nemo, "fetch_urls", False)),
    # -- buttons ----------------------------------------------------------------------------------
    Case("forged-button-rm-rf", press("rm -rf"), "That button is no longer valid.", notice=True),
    Case("forged-button-with-extra-words", press("export; drop table"), "That button is no longer valid.",
         notice=True),
    Case("unknown-action-zh", press("delete_everything"), "该按钮已失效。", zh=True, notice=True),
    Case("someone-elses-button", press("export", owner="bob"), "Only the person who asked can use these buttons.",
         notice=True),
    Case("someone-elses-button-zh", press("credits", owner="bob"), "只有发起请求的人可以使用这些按钮。", zh=True,
         notice=True),
    Case("cancel-button-with-nothing-running", press("cancel", owner="ann"), "Nothing is running."),
    # -- commands ---------------------------------------------------------------------------------
    Case("mode-nonsense", cmd("mode", "nonsense"),
         "I don't know the mode “nonsense”. Choose one: edit, highlights"),
    Case("mode-nonsense-zh", cmd("mode", "胡说八道"), "没有“胡说八道”这个模式。", zh=True),
    Case("mode-1k-characters", cmd("mode", "x" * 1_000), "I don't know the mode “" + "x" * 40 + "”"),
    Case("mode-10k-characters", cmd("mode", "x" * 10_000), "That message is too long (10000 characters"),
    Case("lang-xx", cmd("lang", "xx"), "Say /lang en or /lang zh."),
    Case("lang-xx-zh", cmd("lang", "xx"), "请输入 /lang en 或 /lang zh。", zh=True),
    Case("export-with-extra-words", cmd("export", "now please in 8k with fireworks"),
         "There is nothing to export yet: send a video first."),
    Case("cancel-with-nothing-running", cmd("cancel"), "Nothing is running."),
    Case("cancel-with-nothing-running-zh", cmd("cancel", "everything"), "当前没有任务。", zh=True),
    Case("unknown-command", cmd("frobnicate", "--all"), "I don't know the command /frobnicate."),
    Case("unknown-command-zh", cmd("删除"), "没有 /删除 这个命令。", zh=True),
    Case("unknown-command-10k", cmd("x" * 10_000), "I don't know the command /" + "x" * 32 + "…."),
    Case("token-garbage", cmd("token", "'; DROP TABLE tokens; --"), "That doesn't look like a NEMO token."),
    Case("edit-without-words", cmd("edit"), "Tell me what to do with your video, or send one."),
    Case("upload-without-anything", cmd("upload"), "Send a file (or a link to one) to upload it."),
    Case("upload-without-anything-zh", say_("上传"), "请发送文件（或文件链接）来上传。", zh=True),
]


def _ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]


_ids_are_unique()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_bad_input_gets_a_clear_answer(
    core: Core, port: RecordingPort, nemo: FakeNemo, case: Case
) -> None:
    locale = "zh-CN" if case.zh else "en-US"
    case.setup(nemo)
    for incoming in case.send(ANN, locale):
        await core.handle(incoming)
        await core.idle(timeout=10)
    shown = port.notices[-1] if case.notice else port.last()
    assert case.expect in shown, shown
    if case.zh:                                                    # answered in the user's language
        assert re.search(r"[\u4e00-\u9fff]", shown), shown
    everything = port.texts() + port.notices
    assert not any(INTERNAL_EN in t or INTERNAL_ZH in t for t in everything), everything   # nothing crashed
    assert_all_clear(port)
    if case.chat is not None:
        assert nemo.chat_messages == list(case.chat)
    if case.upload is False and case.chat == ():                 # refused by the bot itself
        assert nemo.requests == [], [r.path for r in nemo.requests]
    uploads = requests_to(nemo, "/api/upload-video/")
    if case.upload is not None:
        assert bool(uploads) == case.upload, uploads
    if case.uploaded_as is not None:
        assert [name for r in uploads for _, name, _ in r.files] == [case.uploaded_as]
    case.extra(nemo, port)
    # nothing is lost: the conversation goes on
    await core.handle(Incoming(ANN, text="积分" if case.zh else "credits", locale=locale))
    assert port.last().startswith("积分：" if case.zh else "Credits:"), port.last()


def test_the_table_has_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert sum(c.zh for c in CASES) >= 10


@pytest.mark.parametrize(("locale", "slow_down"), [
    ("en", "You're sending messages too fast. Please wait a minute."),
    ("zh-CN", "你发送得太快了，请稍等一分钟。"),
])
async def test_a_flood_from_one_user_gets_one_slow_down_and_others_are_unaffected(
    core: Core, port: RecordingPort, nemo: FakeNemo, locale: str, slow_down: str
) -> None:
    core.rate.limit = 5
    for n in range(40):
        await core.handle(Incoming(ANN, text=f"add the title 'Flood {n}'", locale=locale))
    await core.handle(Incoming(ANN, command="cancel", locale=locale))   # /cancel always gets through
    await core.idle(timeout=20)
    texts = port.texts()
    assert texts.count(slow_down) == 1
    assert len(nemo.chat_messages) <= 5                                 # the flood did not reach NEMO
    assert len(nemo.chat_messages) == len(set(nemo.chat_messages))
    bob = Target("test", "chat-2", "bob")
    await core.handle(Incoming(bob, text="credits"))
    assert port.last().startswith("Credits:")
    assert_all_clear(port)


# -- through the console front-end ------------------------------------------------------------------


async def lines(items: list[str]) -> AsyncIterator[str]:
    for item in items:
        yield item + "\n"


async def test_console_bad_files_and_paths(core: Core, nemo: FakeNemo, tmp_path: Path) -> None:
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ" + b"\x00" * 100)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    odd = tmp_path / "my clip (final) 'v2'.mp4"
    odd.write_bytes(b"o" * 300)
    out = io.StringIO()
    await run_console(core, lines([
        str(exe), f"/upload {empty}", f"/upload {tmp_path}/missing.mp4", f"/upload \"{odd}\"",
        "/upload file:///etc/passwd", "upload http://127.0.0.1:22/", "/frobnicate", "credits",
    ]), out, tty=False, user="tester")
    printed = out.getvalue()
    assert UNSUPPORTED_EN in printed
    assert "That file is empty" in printed
    assert "Send a file (or a link to one) to upload it." in printed
    assert "Uploaded my clip (final) 'v2'.mp4" in printed
    assert NOT_HTTP_EN in printed and PRIVATE_EN in printed
    assert "I don't know the command /frobnicate." in printed
    assert "Credits:" in printed
    assert "Traceback" not in printed and INTERNAL_EN not in printed
    assert [name for r in requests_to(nemo, "/api/upload-video/") for _, name, _ in r.files] == [odd.name]
