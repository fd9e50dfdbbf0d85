"""One typed settings object, read from ``custos.toml`` and ``CUSTOS_*`` variables.

A data directory holds everything an installation has: ``custos.toml``, the
SQLite database, the ledger signing key and the published checkpoints.
Relative paths in the file are relative to that directory.  An environment
variable ``CUSTOS_<NAME>`` overrides the key ``<name>`` in the file, so a
deployment can change one value without editing it.  Unknown keys are an
error, not silently ignored: a misspelt setting would otherwise fall back to
its default.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from custos.errors import ConfigError

CONFIG_FILE = "custos.toml"
DEFAULT_DATA_DIR = Path("custos-data")


class Settings(BaseSettings):
    """Every setting custos reads; each field's description is its documentation."""

    model_config = SettingsConfigDict(env_prefix="CUSTOS_", extra="forbid", frozen=True)

    data_dir: Path = Field(description="Directory holding the configuration, database and keys.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the state and ledger database; empty means "
        "sqlite:///<data_dir>/custos.db.",
    )
    ledger_origin: str = Field(
        default="custos.localhost/ledger/v1",
        description="Checkpoint origin line and signing key name; unique per log.",
    )
    ledger_key_file: Path = Field(
        default=Path("ledger-signing.key"),
        description="Ed25519 note signing key (mode 0600), kept outside the database.",
    )
    checkpoint_every_entries: int = Field(
        default=256, ge=1, description="Sign a checkpoint after this many new entries."
    )
    checkpoint_interval_seconds: int = Field(
        default=60, ge=1, description="Sign a checkpoint after this long if anything changed."
    )
    checkpoint_publish_dir: Path = Field(
        default=Path("published-checkpoints"),
        description="Where signed checkpoints are published (point at write-once storage).",
    )
    alarm_file: Path = Field(
        default=Path("ledger.alarm"),
        description="Written when stored history fails a check; the ledger is read-only while it exists.",
    )
    master_index: Path = Field(
        default=Path("master.idx"),
        description="The master index the decision pipeline matches against (built by 'custos master load').",
    )
    match_workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Worker processes deciding a submitted batch (1: in the submitting process).",
    )
    screen_key_file: Path = Field(
        default=Path("keys/screen.key"),
        description="Key for the keyed hashes of TINs on the 6103(i)(6) screen list (created on first use).",
    )
    api_public_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[^/?#\s]+$",
        description="Scheme and authority clients sign in @target-uri; the API rebuilds every request's "
        "target URI from it, never from Host or X-Forwarded-* headers.",
    )
    api_host: str = Field(default="127.0.0.1", description="Address 'custos serve' listens on.")
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port 'custos serve' listens on.")
    api_workers: int = Field(
        default=1, ge=1, le=64, description="Server processes 'custos serve' runs (uvicorn workers)."
    )
    api_max_body_bytes: int = Field(
        default=1024 * 1024 * 1024,
        ge=1024,
        description="Largest request body accepted (a batch file upload, spooled to disk as it arrives).",
    )
    api_rate_per_minute: int = Field(
        default=1200, ge=1, description="Requests one key may make per minute, per server process."
    )
    api_spool_dir: Path = Field(
        default=Path("spool"),
        description="Where uploaded batch files wait until processed (confidential; removed afterwards).",
    )
    api_trusted_proxies: tuple[str, ...] = Field(
        default=(),
        description="Addresses of TLS-terminating proxies whose client-certificate header is believed; "
        "from anyone else the header is ignored.",
    )
    api_client_cert_header: str = Field(
        default="x-client-cert-sha256",
        description="Header a trusted proxy sets to the verified client certificate's SHA-256 (mTLS).",
    )
    payload_retention_days: int = Field(
        default=2557,
        ge=1,
        description="Days a confidential payload is kept before it may be shredded (default 7 years).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment first, then the file's values (passed as init arguments)."""
        return env_settings, init_settings

    @classmethod
    def load(cls, data_dir: Path | None = None) -> Settings:
        """Read ``<data_dir>/custos.toml`` plus the environment.

        ``data_dir`` defaults to ``$CUSTOS_DATA_DIR`` or ``./custos-data``.
        """
        directory = resolve_data_dir(data_dir)
        path = directory / CONFIG_FILE
        try:
            values: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(
                f"no {CONFIG_FILE} in {directory}; create one with 'custos init --dir {directory}'"
            ) from exc
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        return cls.from_values(directory, values, source=str(path))

    @classmethod
    def from_values(cls, data_dir: Path, values: dict[str, Any], source: str = "settings") -> Settings:
        """Validate ``values`` for ``data_dir``, naming every bad key in one error."""
        if "data_dir" in values:
            raise ConfigError(f"{source}: data_dir is where the file lives; it cannot be set in it")
        try:
            settings = cls(data_dir=data_dir.resolve(), **values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or '(file)'}: {error['msg']}"
                for error in exc.errors()
            )
            raise ConfigError(f"{source}: {problems}") from exc
        # The directory named on the command line wins over CUSTOS_DATA_DIR.
        return settings.model_copy(update={"data_dir": data_dir.resolve()})

    def path(self, value: Path) -> Path:
        """Resolve a configured path against the data directory."""
        return value if value.is_absolute() else self.data_dir / value

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'custos.db'}"


def resolve_data_dir(data_dir: Path | None) -> Path:
    """The data directory from the argument, ``$CUSTOS_DATA_DIR`` or the default."""
    if data_dir is not None:
        return data_dir.resolve()
    return Path(os.environ.get("CUSTOS_DATA_DIR", str(DEFAULT_DATA_DIR))).resolve()
