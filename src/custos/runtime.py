"""Building the running system from settings: one place that wires the parts.

``initialize`` creates a data directory; ``Runtime.open`` opens an existing
one, checking the database's durability settings and schema first, so every
command and server starts through the same checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from custos.config import CONFIG_FILE, Settings
from custos.errors import ConfigError
from custos.ledger.confidential import ConfidentialStore
from custos.ledger.events import Actor, AuditEvent, EventType, Outcome
from custos.ledger.models import CheckpointPolicy, Clock, SystemClock
from custos.ledger.note import NoteSigner
from custos.ledger.publish import CheckpointPublisher, IntegrityAlarm
from custos.ledger.service import Ledger
from custos.storage.database import Database, create_sqlite_file, sqlite_path
from custos.storage.postgres import grant_application_role, safe_url
from custos.storage.schema import check_schema, create_schema, current_revision


@dataclass(frozen=True, slots=True)
class DatabaseTarget:
    """Where an installation keeps its state and ledger.

    ``url`` is what custos connects as.  On PostgreSQL the schema belongs to
    another role, ``owner_url``, which runs the migrations and grants the
    application role (the user of ``url``) only what it needs.
    """

    url: str
    owner_url: str | None = None


def default_database(data_dir: Path) -> DatabaseTarget:
    """The embedded default: SQLite inside the data directory, which stays relocatable."""
    return DatabaseTarget(f"sqlite:///{data_dir / 'custos.db'}")


def migrate(target: DatabaseTarget, *, fresh: bool = False) -> None:
    """Bring the schema to the newest revision and, on PostgreSQL, grant the application role.

    ``fresh`` (custos init) refuses a database that already holds a schema.
    """
    database = Database(target.owner_url or target.url)
    try:
        with database.write() as connection:
            if fresh and current_revision(connection) is not None:
                raise ConfigError(
                    f"{safe_url(target.url)} already holds a custos schema; custos init never "
                    "overwrites an installation (use 'custos db upgrade' to migrate one)"
                )
            create_schema(connection)
            application_role = make_url(target.url).username
            if database.is_postgres and target.owner_url and application_role:
                grant_application_role(connection, application_role)
    finally:
        database.dispose()


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
        try:
            return cls._open_on(settings, database, clock or SystemClock())
        except BaseException:
            database.dispose()  # a refused start-up leaves no connection behind
            raise

    @classmethod
    def _open_on(cls, settings: Settings, database: Database, clock: Clock) -> Runtime:
        with database.read() as connection:
            check_schema(connection)
        database.check_privileges()
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


def initialize(
    data_dir: Path,
    origin: str | None = None,
    clock: Clock | None = None,
    database: DatabaseTarget | None = None,
) -> Settings:
    """Create a data directory: config, database with schema, signing key, first entry.

    Without ``database`` the state lives in SQLite inside the directory; a
    PostgreSQL target must be an empty database whose owner is ``owner_url``.
    """
    data_dir = data_dir.resolve()
    config_path = data_dir / CONFIG_FILE
    if config_path.exists():
        raise ConfigError(f"{config_path} already exists; custos init never overwrites an installation")
    data_dir.mkdir(parents=True, exist_ok=True)
    values: dict[str, str] = {"ledger_origin": origin} if origin else {}
    settings = Settings.from_values(data_dir, dict(values), source="custos init")
    target = database or (
        DatabaseTarget(settings.database_url) if settings.database_url else default_database(data_dir)
    )
    embedded = target.url == default_database(data_dir).url
    if not embedded:
        values["database_url"] = target.url
        settings = Settings.from_values(data_dir, dict(values), source="custos init")
    key_path = settings.path(settings.ledger_key_file)
    if key_path.exists():
        raise ConfigError(f"{key_path} already exists; refusing to replace a signing key")
    database_file = sqlite_path(target.url)
    if database_file is not None:
        create_sqlite_file(database_file)
    migrate(target, fresh=True)
    NoteSigner.generate(settings.ledger_origin).save(key_path)
    lines = ["# custos configuration; CUSTOS_<NAME> environment variables override these keys.\n"]
    lines += [f'ledger_origin = "{settings.ledger_origin}"\n']
    if "database_url" in values:
        lines += [f"database_url = {_toml_string(target.url)}\n"]
    config_path.write_text("".join(lines), encoding="utf-8")
    if "database_url" in values:  # it may carry the application role's password
        config_path.chmod(0o600)
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


def _toml_string(value: str) -> str:
    """A TOML basic string (URLs may hold quotes or backslashes only escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
