"""Station settings: one class, read from ``OPENINSPECT_*`` environment variables, built on demand."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings of a station process; recipes are workspace files, not settings."""

    model_config = SettingsConfigDict(env_prefix="OPENINSPECT_")

    home: Path = Path("openinspect-home")
    """The workspace folder: recipes, images, models and the SQLite database."""
    threads: int | None = None
    """CPU threads for model inference; by default all cores."""


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
