"""Settings: environment over the TOML file over defaults; the example file documents every key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.settings import BotSettings, DiscordSettings, NemoSettings, Settings, TelegramSettings, load_section
from engine.settings import EngineSettings

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "nemobot.example.toml"
SECTIONS = {"bot": BotSettings, "nemo": NemoSettings, "telegram": TelegramSettings, "discord": DiscordSettings,
            "engine": EngineSettings}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith(("NEMO", "TELEGRAM_", "DISCORD_")):
            monkeypatch.delenv(key)


def test_example_config_loads_and_documents_every_setting() -> None:
    settings = Settings.load(EXAMPLE)
    assert settings.bot.backend == "engine"
    text = EXAMPLE.read_text()
    for table, cls in SECTIONS.items():
        body = re.split(rf"^\[{table}\]", text, flags=re.MULTILINE)[1].split("\n[", 1)[0]
        for name in cls.model_fields:
            assert re.search(rf"^#?\s*{name}\s*=", body, re.MULTILINE), f"[{table}] {name} is not in the example file"


def test_environment_wins_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('[nemo]\nbase_url = "http://from-file"\nrender_poll_interval = 5\n[bot]\nlanguage = "zh"\n')
    monkeypatch.setenv("NEMO_BASE_URL", "http://from-env")
    monkeypatch.setenv("NEMO_TOKEN", "nmv_usr_secret")
    settings = Settings.load(config)
    assert settings.nemo.base_url == "http://from-env"
    assert settings.nemo.render_poll_interval == 5
    assert settings.bot.language == "zh"
    assert settings.nemo.token is not None and settings.nemo.token.get_secret_value() == "nmv_usr_secret"
    assert "nmv_usr_secret" not in repr(settings)


def test_config_path_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "bot.toml"
    config.write_text("[telegram]\nallowed_chats = [1, -100]\n")
    monkeypatch.setenv("NEMOBOT_CONFIG", str(config))
    assert Settings.load().telegram.allowed_chats == [1, -100]


def test_engine_settings_come_from_the_same_file(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('[engine]\npreset = "ultrafast"\nconcurrent_renders = 2\n')
    engine = load_section(EngineSettings, Settings.load(config).config, port=0)
    assert (engine.preset, engine.concurrent_renders, engine.port) == ("ultrafast", 2, 0)


def test_discord_shards_split_across_processes() -> None:
    from bots.discord.app import build_client
    from bots.discord.client import ShardedNemoBot

    with pytest.raises(ValueError, match="shard_count"):
        DiscordSettings(shard_ids=[0])
    with pytest.raises(ValueError, match=r"0\.\.3"):
        DiscordSettings(shard_ids=[4], shard_count=4)
    settings = Settings(discord=DiscordSettings(shard_ids=[2, 3], shard_count=4))
    client = build_client(None, settings)  # type: ignore[arg-type]  # the core is not touched here
    assert isinstance(client, ShardedNemoBot)
    assert (client.shard_ids, client.shard_count) == ([2, 3], 4)  # this process identifies as shards 2 and 3
    whole = build_client(None, Settings(discord=DiscordSettings(shard_count=2)))  # type: ignore[arg-type]
    assert (whole.shard_ids, whole.shard_count) == ([0, 1], 2)  # type: ignore[attr-defined]
