"""Station settings: one class, read from ``OPENINSPECT_*`` environment variables, built on demand."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from openinspect.imaging.decode import MAX_PIXELS


class Role(StrEnum):
    """What a bearer token may do on the station's HTTP API."""

    OPERATOR = "operator"
    """Trigger inspections and view everything."""
    ENGINEER = "engineer"
    """Everything: recipes, labels, training, the active recipe."""


class TokenOwner(BaseModel):
    """Who holds a bearer token: the name the audit trail and recipe revisions show, and the role."""

    name: str = Field(min_length=1, max_length=100)
    role: Role


class Settings(BaseSettings):
    """Settings of a station process; recipes are workspace files, not settings."""

    model_config = SettingsConfigDict(env_prefix="OPENINSPECT_")

    @field_validator("tokens", mode="before")
    @classmethod
    def _role_only_tokens(cls, value: Any) -> Any:
        """``{"<token>": "engineer"}``: a token named after its role."""
        if isinstance(value, dict):
            return {token: {"name": str(owner), "role": owner} if isinstance(owner, str) else owner
                    for token, owner in value.items()}
        return value

    home: Path = Path("openinspect-home")
    """The workspace folder: recipes, images, models and the SQLite database."""
    threads: int | None = None
    """CPU threads for model inference; by default all cores."""

    host: str = "127.0.0.1"
    """Address the station's HTTP server binds; only loopback unless set."""
    port: int = Field(default=8800, ge=0, le=65535)
    """TCP port of the station's HTTP server (0: any free port)."""
    recipe: str | None = None
    """The recipe active at start; by default the first stored recipe with trained models."""
    tokens: dict[str, TokenOwner] = Field(default_factory=dict)
    """Bearer tokens with their holder's name and role, as JSON: ``{"<token>": {"name": "alice", "role":
    "engineer"}}``; ``{"<token>": "operator"}`` names the holder after the role. None on a loopback address: the
    station makes an engineer token at first start, prints it once and keeps its hash in ``<home>/station-token``."""
    database_url: str | None = None
    """Results store URL (SQLAlchemy), e.g. ``postgresql+psycopg://user@host/db``; by default the workspace's
    SQLite file."""
    ray_address: str | None = None
    """The Ray cluster that ``inspect --ray`` (without an address) joins, e.g. ``10.0.0.5:6379``; by default
    ``--ray`` starts a local Ray instance. Only batch jobs use it (the ``cluster`` extra), never the station."""
    queue_limit: int = Field(default=8, ge=0)
    """Triggers that may wait behind the running inspection; more are answered busy and stored as skipped."""
    max_upload_mb: float = Field(default=32.0, gt=0)
    """Largest accepted request body (a capture, mask or recipe), in MiB; recipe archives have ``max_archive_mb``."""
    max_archive_mb: float = Field(default=2048.0, gt=0)
    """Largest recipe archive accepted (``openinspect recipe import``, ``POST /api/v1/recipes/import``), compressed
    and unpacked, in MiB: archives carry model versions of tens of MB each, and the cap refuses zip bombs."""
    max_pixels: int = Field(default=MAX_PIXELS, ge=1)
    """Largest capture decoded, width x height, checked from the file's header before decoding (decompression
    bombs): 80 MP covers 65 and 71 MP cameras. A larger capture gives an error result."""
    keep_pass_every: int = Field(default=10, ge=0)
    """Archive the capture of every N-th passing part (0: none); failing and unjudged captures are all kept."""
    archive_budget_mb: float = Field(default=2048.0, gt=0)
    """Disk budget of archived captures in MiB; over it, the oldest passing captures are removed first."""
    capture: str | None = None
    """Capture source for triggers without an uploaded image: a folder (replayed in order, looping), a camera
    index (``0``) or a stream URL (``rtsp://...``, ``http://...``)."""
    capture_width: int | None = None
    """Camera frame width to request, where the camera supports it."""
    capture_height: int | None = None
    """Camera frame height to request, where the camera supports it."""
    capture_exposure: float | None = None
    """Camera exposure to request (driver units), where the camera supports it."""
    trigger_interval_s: float | None = Field(default=None, gt=0)
    """Trigger an inspection from the capture source every this many seconds (a timer trigger)."""

    mqtt_host: str | None = None
    """MQTT broker to publish every result to; none: no MQTT output."""
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    """The MQTT broker's TCP port."""
    mqtt_topic: str = "openinspect/results"
    """Topic each result is published on, as one JSON message."""
    mqtt_qos: int = Field(default=1, ge=0, le=2)
    """MQTT quality of service: 0 at most once, 1 at least once, 2 exactly once."""
    mqtt_retain: bool = False
    """Publish retained, so the broker hands the last result to every new subscriber."""
    mqtt_username: str | None = None
    """User to log in to the broker as; none: connect anonymously."""
    mqtt_password: SecretStr | None = None
    """That user's password."""
    modbus_port: int | None = Field(default=None, ge=1, le=65535)
    """TCP port of the Modbus server for PLCs (502 is the standard, it needs privileges); none: no Modbus."""
    modbus_host: str | None = None
    """Address the Modbus server binds; none: the HTTP server's ``host`` (loopback unless set). Modbus TCP has no
    authentication: bind it to the PLC network's interface (or ``0.0.0.0``) deliberately."""
    webhook_urls: list[str] = Field(default_factory=list)
    """URLs each result is POSTed to as JSON, given as a JSON list: ``["http://mes.local/hook"]``."""
    output_queue_limit: int = Field(default=1000, ge=1)
    """Results an output (MQTT, each webhook URL) holds while its peer is unreachable; beyond, the oldest go."""

    @property
    def max_archive_bytes(self) -> int:
        """``max_archive_mb`` in bytes."""
        return int(self.max_archive_mb * 2**20)


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
