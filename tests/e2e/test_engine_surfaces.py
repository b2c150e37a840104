"""The console and Telegram front-ends end to end against the real local engine: a generated clip
goes in, an instruction is planned and applied, the export renders a real MP4 that comes back."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bots.app import running_core
from bots.console.app import run_console
from bots.telegram.app import running_bot
from core.settings import BotSettings, Settings, TelegramSettings
from core.sizes import MB
from engine.probe import probe
from engine.sample import make_sample_clip
from tests.fakes.openai import FakeOpenAI, call, garbage, text
from tests.fakes.telegram import FakeTelegram
from tests.renders import exported

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_clip(tmp_path_factory.mktemp("clips") / "sample.mp4", 20, (320, 180))


def engine_settings(tmp_path: Path) -> Settings:
    return Settings(
        bot=BotSettings(backend="engine", db_path=tmp_path / "bot.db"))


async def lines(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item + "\n"


async def test_console_makes_a_real_highlight_reel_with_the_engine(sample: Path, tmp_path: Path) -> None:
    out = io.StringIO()
    async with running_core(engine_settings(tmp_path), engine_dir=tmp_path / "engine", engine_port=0) as core:
        await run_console(core, lines(f"/upload {sample}", "make a 6-second highlight reel, 9:16, with the title 'Test'",
                                      "status", "export"), out, user="tester")
        printed = out.getvalue()
        link = next(word for word in printed.split() if word.startswith("http") and ".mp4" in word)
        async with httpx.AsyncClient() as http:
            (tmp_path / "out.mp4").write_bytes((await http.get(link)).content)
    assert "Uploaded sample.mp4" in printed
    assert 'Title: "Test"' in printed                      # the timeline summary after the edit
    info = await probe(tmp_path / "out.mp4")
    assert abs(info.duration - 6) < 1.0
    assert info.height > info.width and abs(info.width / info.height - 9 / 16) < 0.02
    assert info.has_audio


async def test_telegram_cuts_the_pauses_with_the_engine_and_sends_the_video(sample: Path, tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        settings = engine_settings(tmp_path)
        settings.telegram = TelegramSettings(token=SecretStr(tg.token), api_base_url=tg.base_url,
                                             file_base_url=tg.base_file_url)
        async with running_core(settings, engine_dir=tmp_path / "engine", engine_port=0) as core, \
                running_bot(core, settings):
            video = tg.add_file(path=sample, name="talk.mp4", mime="video/mp4")
            tg.user_sends(7, 7, caption="cut the pauses", video=video)
            await tg.wait_for(lambda: any("pause" in (m.text or "").lower() and not (m.text or "").startswith("⏳")
                                          for m in tg.chat_log(7)), timeout=60)
            tg.user_sends(7, 7, "export")
            await tg.wait_for(lambda: tg.calls_to("sendVideo"), timeout=120)
            await core.idle(timeout=60)
            ready = next(m.text or "" for m in tg.chat_log(7) if "Your video is ready" in (m.text or ""))
            assert "http" not in ready  # the engine's loopback address opens nowhere on a phone: the file alone
        sent = tg.last_message(7)
    render = exported(tmp_path / "engine")
    render.rename(tmp_path / "cut.mp4")
    assert sent is not None and sent.kind == "video" and sent.file_size == (tmp_path / "cut.mp4").stat().st_size
    # the sample is silent 2 s in every 10 s: without its pauses the 20 s clip is about 4 s shorter
    info = await probe(tmp_path / "cut.mp4")
    assert 13.0 < info.duration < 18.5 and info.has_audio


async def test_a_link_the_engine_cannot_fetch_says_so_not_that_the_service_is_down(tmp_path: Path) -> None:
    out = io.StringIO()
    settings = Settings(bot=BotSettings(backend="engine", db_path=tmp_path / "bot.db"))
    async with running_core(settings, engine_dir=tmp_path / "engine", engine_port=0) as core:
        await run_console(core, lines("https://video.invalid/clip.mp4"), out, user="tester")   # a link alone
    printed = out.getvalue()
    assert "I couldn't fetch the video at that link" in printed
    assert "can't be reached" not in printed and "download failed" not in printed


async def test_telegram_on_the_engine_says_unlimited_credits_and_the_surface_size_limit(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        settings = engine_settings(tmp_path)
        settings.telegram = TelegramSettings(token=SecretStr(tg.token), api_base_url=tg.base_url,
                                             file_base_url=tg.base_file_url)
        async with running_core(settings, engine_dir=tmp_path / "engine", engine_port=0) as core, \
                running_bot(core, settings):

            async def answer(chat: int, starts: str) -> str:
                found = await tg.wait_for(lambda: [m.text for m in tg.chat_log(chat) if (m.text or "").startswith(starts)])
                return str(found[-1])

            tg.user_command(7, 7, "/credits")
            tg.user_command(8, 8, "/credits", language_code="zh-hans")
            tg.user_command(9, 9, "/help")
            edge = tg.add_file(size=20 * MB + 40 * 1024, name="edge.mp4", mime="video/mp4")  # 20.04 MB
            tg.user_sends(9, 9, video=edge)
            english, chinese = await answer(7, "Credits:"), await answer(8, "积分")
            help_text = await answer(9, "Commands:")
            too_big = await answer(9, "“edge.mp4”")
            await core.idle()
    assert "unlimited" in english and "999" not in english
    assert "不限" in chinese and "999" not in chinese
    assert "up to 20 MB" in help_text and "500 MB" not in help_text     # the cloud Bot API's limit, not NEMO's
    assert too_big.startswith("“edge.mp4” is 20.1 MB") and "up to 20 MB" in too_big


@pytest.mark.parametrize(("language", "ask", "question", "choices", "done"), [
    ("en", "cut 5 seconds", "from the start or from the end", ("cut the first 5 seconds", "cut the last 5 seconds"),
     ("now 15 s", "Cut 15-20 s")),
    ("zh", "剪掉5秒", "从开头剪掉5秒，还是从结尾剪掉", ("剪掉前5秒", "剪掉最后5秒"), ("现在15秒", "已剪掉15-20秒")),
])
async def test_telegram_asks_keep_or_cut_with_buttons_and_a_press_applies_the_choice(
        sample: Path, tmp_path: Path, language: str, ask: str, question: str, choices: tuple[str, str],
        done: tuple[str, str]) -> None:
    async with FakeTelegram() as tg:
        settings = engine_settings(tmp_path)
        settings.telegram = TelegramSettings(token=SecretStr(tg.token), api_base_url=tg.base_url,
                                             file_base_url=tg.base_file_url)
        async with running_core(settings, engine_dir=tmp_path / "engine", engine_port=0) as core, \
                running_bot(core, settings):
            video = tg.add_file(path=sample, name="talk.mp4", mime="video/mp4")
            tg.user_sends(7, 7, caption=ask, video=video, language_code=language)
            await tg.wait_for(lambda: any(d.startswith("a:say:") for m in tg.chat_log(7) for d in m.button_data),
                              timeout=60)
            asked = next(m for m in tg.chat_log(7) if any(d.startswith("a:say:") for d in m.button_data))
            assert question in (asked.text or "")
            assert asked.button_data[:2] == [f"a:say:{choice}:7" for choice in choices]
            tg.user_presses(7, 7, asked.message_id, f"a:say:{choices[1]}:7", language_code=language)
            await tg.wait_for(lambda: any(done[0] in (m.text or "") for m in tg.chat_log(7)), timeout=60)
            await core.idle(timeout=30)
        reply = next(m.text or "" for m in tg.chat_log(7) if done[0] in (m.text or ""))
    assert done[1] in reply  # the end went, as pressed; nothing was cut before the answer



async def test_console_free_talk_goes_to_the_configured_model_and_the_render_shows_it(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeOpenAI() as llm:
        for name, value in {"AGENT": "llm", "LLM_MODEL": "openai/editor-7b", "LLM_BASE_URL": llm.base_url,
                            "LLM_API_KEY": "sk-console-test-0a1b2c"}.items():
            monkeypatch.setenv(f"NEMOBOT_ENGINE_{name}", value)
        llm.script(call(("keep_range", {"start": 2, "end": 6})), text("Kept seconds 2 to 6."), garbage())
        out = io.StringIO()
        async with running_core(engine_settings(tmp_path), engine_dir=tmp_path / "engine", engine_port=0) as core:
            await run_console(core, lines(f"/upload {sample}", "do what my friend Sam suggested",
                                          "and now the thing Sam said after that", "export"), out, user="tester")
            printed = out.getvalue()
            link = next(word for word in printed.split() if word.startswith("http") and ".mp4" in word)
            async with httpx.AsyncClient() as http:
                (tmp_path / "out.mp4").write_bytes((await http.get(link)).content)
    assert "Kept seconds 2 to 6." in printed
    assert "did not give a usable answer, so nothing was changed" in printed      # the second turn failed
    assert "sk-console-test" not in printed and "Traceback" not in printed
    info = await probe(tmp_path / "out.mp4")
    assert abs(info.duration - 4) < 0.3                    # the model's edit stands; the failed turn left no trace
