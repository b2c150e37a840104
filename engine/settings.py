"""Settings of the local engine (environment variables prefixed ``NEMOBOT_ENGINE_``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from core.nemo.limits import MAX_UPLOAD_BYTES
from core.settings import Section


class EngineSettings(Section):
    """Everything the engine can be told; defaults suit a developer machine."""

    model_config = SettingsConfigDict(env_prefix="NEMOBOT_ENGINE_", extra="ignore")
    toml_table: ClassVar[str] = "engine"

    host: str = "127.0.0.1"
    port: int = 8765
    data_dir: Path = Path("var/engine")
    music_dir: Path | None = Field(
        default=None,
        description="The music library: tracks (and their .json sidecars) offered as background music; "
        "default: <data_dir>/music, where the engine writes the tracks it makes at first use",
    )
    public_base_url: str | None = Field(
        default=None,
        description="Base of the URLs handed out for media and renders (a reverse proxy in front of the "
        "engine's /files/); default: the server's URL",
    )
    link_secret: SecretStr | None = Field(
        default=None, description="Key that signs file links; default: generated once, kept in the data dir"
    )
    link_ttl_hours: float = Field(default=168.0, gt=0, description="Hours a handed-out file link stays valid")
    editor_link_hours: float = Field(
        default=24.0, gt=0, description="Hours a link to the hand-editing page (engine/editor/) stays valid"
    )
    telegram_bot_token: SecretStr | None = Field(
        default=None,
        description="The Telegram bot's token, to check the editing page's Mini App initData (HMAC-SHA256 as "
        "Telegram specifies); the built-in engine takes the bot's own. Unset: no Mini App button",
    )
    telegram_init_max_age: float = Field(
        default=86400.0, gt=0, description="Seconds a Telegram Mini App's initData (its auth_date) stays valid"
    )
    retention_hours: float | None = Field(
        default=None,
        gt=0,
        description="Hours uploads, renders, analyses and covers are kept unless a queued render or a "
        "draft touched within that time needs them; default: link_ttl_hours",
    )
    disk_budget_gb: float | None = Field(
        default=None,
        gt=0,
        description="Gigabytes the data dir's files may take; the oldest unneeded go first past it. "
        "Default: half the size of the data dir's filesystem",
    )
    prune_interval_minutes: float = Field(
        default=10.0, gt=0, description="Minutes between two runs of the pruner (it also runs at start)"
    )
    static_token: str | None = Field(default=None, description="A bearer token that is always accepted")
    allow_private_urls: bool = Field(
        default=False, description="Allow URL uploads from private, loopback and link-local addresses"
    )
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    url_timeout: float = Field(default=120.0, description="Seconds allowed for one URL download")
    credits: int | None = Field(default=None, description="Credits of a new user; None means unlimited")
    message_cost: int = Field(
        default=1, description="Credits one chat message costs when credits are limited"
    )
    token_ttl_days: float = 7.0
    concurrent_renders: int = Field(default=1, ge=1, le=8, description="Renders one worker runs at once")
    role: Literal["api", "worker", "all"] = Field(
        default="all",
        description="api: the HTTP API only; worker: renders only; all: both (alone: no database needed)",
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://... shared by every engine instance (records, sessions, the render "
        "queue); the data dir must then be shared too. Default: SQLite files in the data dir, one process",
    )
    render_lease: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a render worker may go silent before another one takes its renders over",
    )
    render_order: Literal["fair", "arrival"] = Field(
        default="fair",
        description="fair: users' renders take turns (round-robin by user, arrival order within one "
        "user); arrival: first come, first served",
    )
    preview_proxies: bool = Field(
        default=True,
        description="Right after an upload, make its small copy for previews (niced to 19; the size of a "
        "preview, a few MB a minute), so the first preview takes a second instead of a decode of the footage",
    )
    render_ahead: bool = Field(
        default=True,
        description="Render a session's draft in the background after an edit while the engine is idle (lowest "
        "CPU priority, stopped by a newer edit or a real render), so an export of it answers at once",
    )
    render_ahead_idle_share: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description="Render-ahead starts only while at least this share of the cores is idle (and no real "
        "render is queued or running)",
    )
    smart_cut: bool = Field(
        default=True,
        description="Render a draft that keeps the source's picture (cuts, titles) by copying its untouched "
        "groups of pictures and re-encoding only around cut points and titles",
    )
    concurrent_analyses: int = Field(default=1, ge=1, le=8)
    agent: Literal["planner", "llm"] = Field(
        default="planner",
        description="planner: rules only; llm: the rules first, then a language model for what they miss",
    )
    llm_model: str = Field(
        default="gemini/gemini-2.5-flash",
        description="A LiteLLM model name: openai/<name> for an OpenAI-compatible server, gemini/<name>, ...",
    )
    llm_base_url: str | None = Field(
        default=None, description="Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1"
    )
    llm_api_key: SecretStr | None = Field(default=None, description="The model server's API key")
    llm_timeout: float = Field(default=60.0, gt=0, description="Seconds one model call may take")
    ffmpeg: str | None = Field(
        default=None, description="Path of the ffmpeg binary; default: imageio-ffmpeg's"
    )
    preset: str = Field(default="veryfast", description="libx264 preset of renders")
    crf: int = 23
    heartbeat_interval: float = Field(default=5.0, gt=0)
    silent_ops: list[str] = Field(
        default_factory=lambda: ["mute", "unmute"],
        description="Edits whose stream closes without a text event, as NEMO does for some edits",
    )
    font_latin: Path | None = None
    font_cjk: Path | None = None
    undo_depth: int = 30
    transcriber: Literal["auto", "pocketsphinx", "faster-whisper", "off"] = Field(
        default="auto",
        description="Words from speech: auto (faster-whisper when installed and whisper_model is set, else "
        "pocketsphinx for English), one of the two, or off",
    )
    whisper_model: str | None = Field(
        default=None,
        description="faster-whisper's model: a local directory, or a model name (small, large-v3, ...) "
        "downloaded once into the Hugging Face cache; unset: no multilingual transcription",
    )
    transcribe_min_confidence: float = Field(
        default=0.7, ge=0, le=1,
        description="Below this mean word confidence a transcript is not burned in; typed captions are offered",
    )

    @model_validator(mode="after")
    def _shared_roles_need_a_database(self) -> EngineSettings:
        if self.role != "all" and self.database_url is None:
            raise ValueError(
                f"role {self.role!r} shares work with other engine instances: set database_url "
                "(NEMOBOT_ENGINE_DATABASE_URL=postgresql://...)"
            )
        url = self.database_url.get_secret_value() if self.database_url else ""
        if url and not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("database_url must be a postgresql:// URL")
        return self

    def secrets(self) -> list[str]:
        """The secrets these settings hold, for the log redactor."""
        values = (
            self.llm_api_key.get_secret_value() if self.llm_api_key else None,
            self.static_token,
            self.database_url.get_secret_value() if self.database_url else None,
            self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None,
        )
        return [v for v in values if v]

    def shared_database(self) -> str | None:
        """The PostgreSQL URL the instances share, or None when this engine is alone."""
        return self.database_url.get_secret_value() if self.database_url else None

    def retention_seconds(self) -> float:
        return (self.retention_hours if self.retention_hours is not None else self.link_ttl_hours) * 3600

    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    def resolved_music_dir(self) -> Path:
        return (self.music_dir or self.data_dir / "music").expanduser().resolve()
