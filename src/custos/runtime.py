"""Building the running system from settings: one place that wires the parts.

``initialize`` creates a data directory; ``Runtime.open`` opens an existing
one, checking the database's durability settings and schema first, so every
command and server starts through the same checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from custos.config import CONFIG_FILE, Settings
from custos.errors import ConfigError
from custos.ledger.confidential import ConfidentialStore
from custos.ledger.events import Actor, AuditEvent, EventType, Outcome
from custos.ledger.models import CheckpointPolicy, Clock, SystemClock
from custos.ledger.note import NoteSigner
from custos.ledger.publish import CheckpointPublisher, IntegrityAlarm
from custos.ledger.service import Ledger
from custos.storage.database import Database, create_sqlite_file, sqlite_path
from custos.storage.schema import check_schema, create_schema


@dataclass(frozen=True, slots=True)
class Runtime:
    """The opened parts of one installation."""

    settings: Settings
    database: Database
    ledger: Ledger
    confidential: ConfidentialStore

    @classmethod
    def open(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        """Open the database (refusing unsafe modes), the signing key and the ledger."""
        database = Database(settings.resolved_database_url)
        with database.read() as connection:
            check_schema(connection)
        clock = clock or SystemClock()
        ledger = Ledger(
            database,
            NoteSigner.load(settings.path(settings.ledger_key_file)),
            policy=CheckpointPolicy(
                settings.checkpoint_every_entries,
                timedelta(seconds=settings.checkpoint_interval_seconds),
            ),
            publisher=CheckpointPublisher(settings.path(settings.checkpoint_publish_dir)),
            alarm=IntegrityAlarm(settings.path(settings.alarm_file), clock),
            clock=clock,
        )
        if ledger.signer.name != settings.ledger_origin:
            raise ConfigError(
                f"the signing key is for origin {ledger.signer.name!r} but ledger_origin is "
                f"{settings.ledger_origin!r}"
            )
        ledger.publish_pending()
        confidential = ConfidentialStore(ledger, timedelta(days=settings.payload_retention_days))
        return cls(settings, database, ledger, confidential)

    def close(self) -> None:
        """Release database connections."""
        self.database.dispose()


def initialize(data_dir: Path, origin: str | None = None, clock: Clock | None = None) -> Settings:
    """Create a data directory: config, WAL database with schema, signing key, first entry."""
    data_dir = data_dir.resolve()
    config_path = data_dir / CONFIG_FILE
    if config_path.exists():
        raise ConfigError(f"{config_path} already exists; custos init never overwrites an installation")
    data_dir.mkdir(parents=True, exist_ok=True)
    values = {"ledger_origin": origin} if origin else {}
    settings = Settings.from_values(data_dir, dict(values), source="custos init")
    key_path = settings.path(settings.ledger_key_file)
    if key_path.exists():
        raise ConfigError(f"{key_path} already exists; refusing to replace a signing key")
    database_file = sqlite_path(settings.resolved_database_url)
    if database_file is not None:
        create_sqlite_file(database_file)
    database = Database(settings.resolved_database_url)
    try:
        with database.write() as connection:
            create_schema(connection)
    finally:
        database.dispose()
    NoteSigner.generate(settings.ledger_origin).save(key_path)
    lines = ["# custos configuration; CUSTOS_<NAME> environment variables override these keys.\n"]
    lines += [f'ledger_origin = "{settings.ledger_origin}"\n']
    config_path.write_text("".join(lines), encoding="utf-8")
    runtime = Runtime.open(settings, clock)
    try:
        runtime.ledger.append(
            AuditEvent(
                EventType.SYSTEM_START,
                Actor.system("init"),
                "ledger_created",
                Outcome.SUCCESS,
                details={"origin": settings.ledger_origin},
            )
        )
    finally:
        runtime.close()
    return settings
