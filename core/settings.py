"""Settings: environment variables over an optional TOML file over defaults.

Each section is its own pydantic-settings class with its own environment prefix
(``NEMO_TOKEN``, ``TELEGRAM_TOKEN``, ``NEMOBOT_DB_PATH`` ...) and its own TOML table
(``[nemo]``, ``[telegram]``, ``[bot]`` ...). ``Settings.load()`` reads the file named by
``--config`` or ``NEMOBOT_CONFIG``. ``config/nemobot.example.toml`` documents every key.
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

_config_file: ContextVar[Path | None] = ContextVar("nemobot_config_file", default=None)

DEFAULT_SKILL = "free-editing-with-ai"


class _TomlTable(PydanticBaseSettingsSource):
    """One table of the TOML config file; ranks below environment variables."""

    def __init__(self, settings_cls: type[BaseSettings], table: str) -> None:
        super().__init__(settings_cls)
        self._values: dict[str, Any] = {}
        path = _config_file.get()
        if path is not None:
            with path.open("rb") as fh:
                section = tomllib.load(fh).get(table, {})
            if isinstance(section, dict):
                self._values = section

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._values.items() if k in self.settings_cls.model_fields}


class Section(BaseSettings):
    """A settings section: its own environment prefix, then its table of the TOML file."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)
    toml_table: ClassVar[str] = ""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlTable(settings_cls, cls.toml_table))


class NemoSettings(Section):
    """The NEMO API (cloud or local engine) and how to talk to it."""

    model_config = SettingsConfigDict(env_prefix="NEMO_", extra="ignore")
    toml_table: ClassVar[str] = "nemo"

    base_url: str = "https://mega-api-prod.nemovideo.ai"
    # a self-hosted engine in a process of its own: its public_base_url (NEMOBOT_ENGINE_PUBLIC_BASE_URL); the
    # bot reads the file links under it at base_url, the inside way. Unset (NEMO's cloud): links as they are
    public_base_url: str | None = None
    token: SecretStr | None = None
    skill_version: str = "1.0.0"
    skill_platform: str = "unknown"
    register_url: str = "https://nemovideo.ai/register"
    request_timeout: float = 60.0
    stream_timeout: float = 900.0
    render_poll_interval: float = 30.0
    render_deadline: float = 1800.0
    rate_limit_wait: float = 30.0
    token_renew_margin: float = 3600.0


class BotSettings(Section):
    """Everything about the bot process that is not one platform's."""

    model_config = SettingsConfigDict(env_prefix="NEMOBOT_", extra="ignore")
    toml_table: ClassVar[str] = "bot"

    backend: Literal["engine", "cloud"] = "engine"
    db_path: Path = Path("var/nemobot.db")
    database_url: SecretStr | None = None  # postgresql://… for several bot processes; unset: SQLite at db_path
    language: Literal["en", "zh"] = "en"
    mode: str = DEFAULT_SKILL
    status_interval: float = 5.0
    still_working_interval: float = 120.0
    queue_limit: int = 5
    rate_per_minute: int = 20
    pictures: bool = False  # the timeline drawn after each edit, unless a conversation said /pictures on|off
    log_level: str = "INFO"
    log_json: bool = False
    log_file: Path | None = None  # default: stderr; the console in a terminal: console.log beside db_path
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    operators: list[str] = Field(default_factory=list)
    # a day's quota per user on the built-in engine (UTC days; operators exempt; 0: none): seconds of video
    # rendered, files uploaded. On NEMO's cloud credits decide.
    quota_render_seconds: float = 3600.0
    quota_uploads: int = 100
    keep_records_days: float = 7.0  # delivered renders and uploads are forgotten after this (the links expire)


class TelegramSettings(Section):
    """The Telegram front-end."""

    model_config = SettingsConfigDict(env_prefix="TELEGRAM_", extra="ignore")
    toml_table: ClassVar[str] = "telegram"

    token: SecretStr | None = None
    api_base_url: str = "https://api.telegram.org/bot"
    file_base_url: str = "https://api.telegram.org/file/bot"
    local_mode: bool = False
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: SecretStr | None = None
    allowed_chats: list[int] = Field(default_factory=list)
    attach_video: bool = True
    upload_limit_mb: float = 50
    sends_per_second: float = Field(default=25.0, gt=0)  # the bot's overall budget (Telegram allows about 30)
    group_sends_per_minute: int = Field(default=18, gt=0)  # per group chat (Telegram allows 20)


class DiscordSettings(Section):
    """The Discord front-end."""

    model_config = SettingsConfigDict(env_prefix="DISCORD_", extra="ignore")
    toml_table: ClassVar[str] = "discord"

    token: SecretStr | None = None
    dev_guilds: list[int] = Field(default_factory=list)
    api_base_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
    allowed_guilds: list[int] = Field(default_factory=list)
    allowed_users: list[int] = Field(default_factory=list)
    sharded: bool = False
    shard_count: int | None = Field(
        default=None, ge=1, description="Shards of the whole bot, when several processes split them"
    )
    shard_ids: list[int] | None = Field(
        default=None, description="The shards this process runs (0 .. shard_count-1); needs shard_count"
    )
    message_content: bool = False
    interaction_lifetime: float = 900.0
    attach_video: bool = True

    @model_validator(mode="after")
    def _shards_of_the_whole_bot(self) -> DiscordSettings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("discord shard_ids needs shard_count (the shards of the whole bot)")
            if not self.shard_ids or any(not 0 <= i < self.shard_count for i in self.shard_ids):
                raise ValueError(f"discord shard_ids must be some of 0..{self.shard_count - 1}")
        return self


class Settings(BaseModel):
    """All settings, one section per concern."""

    bot: BotSettings = Field(default_factory=BotSettings)
    nemo: NemoSettings = Field(default_factory=NemoSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    config: Path | None = None

    @classmethod
    def load(cls, config: Path | None = None) -> Settings:
        """Read the environment and the TOML file (``config`` or ``$NEMOBOT_CONFIG``)."""
        path = config or (Path(os.environ["NEMOBOT_CONFIG"]) if os.environ.get("NEMOBOT_CONFIG") else None)
        return cls(bot=load_section(BotSettings, path), nemo=load_section(NemoSettings, path),
                   telegram=load_section(TelegramSettings, path), discord=load_section(DiscordSettings, path),
                   config=path)


S = TypeVar("S", bound=Section)


def load_section(cls: type[S], config: Path | None, **overrides: Any) -> S:
    """One section from the environment and the TOML file (``overrides`` win over both)."""
    token = _config_file.set(config)
    try:
        return cls(**overrides)
    finally:
        _config_file.reset(token)


def settings_secrets(settings: Settings) -> list[str]:
    """Every secret the settings hold, for the redactors."""
    values = (settings.nemo.token, settings.telegram.token, settings.telegram.webhook_secret, settings.discord.token,
              settings.bot.database_url)
    return [v.get_secret_value() for v in values if v is not None]
