"""PostgreSQL as production runs it: durable server, least-privilege role, append-only ledger."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from tests import backend
from typer.testing import CliRunner

from custos.cli import app
from custos.config import Settings
from custos.errors import ConfigError, StorageConfigError, StorageError
from custos.runtime import DatabaseTarget, Runtime, initialize
from custos.storage import postgres
from custos.storage.database import Database

pytestmark = pytest.mark.postgres_only


def owner_url(runtime: Runtime) -> str:
    """The schema owner's URL for the runtime's database."""
    name = make_url(runtime.settings.resolved_database_url).database
    assert name is not None
    return backend.url(backend.OWNER, name)


class TestDurability:
    def test_synchronous_commit_off_is_refused_with_the_fix(self, runtime: Runtime) -> None:
        """A database whose sessions default to synchronous_commit=off is refused at start-up."""
        database = make_url(runtime.settings.resolved_database_url).database
        with backend.admin().connect() as connection:
            connection.execute(text(f"ALTER DATABASE {database} SET synchronous_commit = off"))
        runtime.database.dispose()
        with pytest.raises(StorageConfigError, match=r"synchronous_commit=off.*ALTER SYSTEM SET"):
            Runtime.open(runtime.settings)

    @pytest.mark.parametrize("setting", ["fsync", "full_page_writes"])
    def test_server_without_fsync_or_full_page_writes_is_refused(
        self, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, setting: str
    ) -> None:
        """Server-wide settings (not changeable per database): the check reads what the server says."""
        original = postgres.check_durability

        def lowered(connection: Connection, url: str) -> None:
            original(_Reporting(connection, setting), url)  # type: ignore[arg-type]

        monkeypatch.setattr(postgres, "check_durability", lowered)
        with pytest.raises(StorageConfigError, match=f"{setting}=off"):
            Database(runtime.settings.resolved_database_url)

    def test_the_running_server_is_durable(self, runtime: Runtime) -> None:
        """The CI server itself passes: every write in this suite was durable."""
        with runtime.database.read() as connection:
            values = {s: connection.exec_driver_sql(f"SHOW {s}").scalar() for s in postgres.DURABLE_SETTINGS}
        assert values == {"fsync": "on", "full_page_writes": "on", "synchronous_commit": "on"}


class _Reporting:
    """A connection whose SHOW of one setting answers 'off' (as a misconfigured server would)."""

    def __init__(self, connection: Connection, setting: str) -> None:
        self._connection, self._setting = connection, setting

    def exec_driver_sql(self, sql: str) -> _Scalar:
        if sql == f"SHOW {self._setting}":
            return _Scalar("off")
        return _Scalar(self._connection.exec_driver_sql(sql).scalar_one())


class _Scalar:
    def __init__(self, value: object) -> None:
        self.value = value

    def scalar_one(self) -> object:
        return self.value


class TestApplicationRole:
    @pytest.mark.parametrize("table", postgres.APPEND_ONLY_TABLES)
    @pytest.mark.parametrize(
        "statement", ["UPDATE {t} SET {c} = {c}", "DELETE FROM {t}", "TRUNCATE {t}", "DROP TABLE {t}"]
    )
    def test_application_role_cannot_rewrite_the_ledger(
        self, runtime: Runtime, table: str, statement: str
    ) -> None:
        """custos's own role is refused by privileges, before any trigger runs."""
        runtime.ledger.checkpoint()
        column = {"ledger_entry": "leaf", "ledger_node": "hash", "ledger_checkpoint": "note"}[table]
        with (
            pytest.raises(StorageError, match=r"permission denied|must be owner"),
            runtime.database.write() as connection,
        ):
            connection.exec_driver_sql(statement.format(t=table, c=column))
        assert runtime.ledger.audit().ok

    def test_application_role_cannot_drop_the_triggers(self, runtime: Runtime) -> None:
        """Only the owner could switch the triggers off, and custos does not run as the owner."""
        with pytest.raises(StorageError, match="must be owner"), runtime.database.write() as connection:
            connection.exec_driver_sql("ALTER TABLE ledger_entry DISABLE TRIGGER USER")

    def test_owner_truncate_is_refused_by_the_statement_trigger(self, runtime: Runtime) -> None:
        """TRUNCATE fires no row trigger; the statement-level one refuses it even for the owner."""
        runtime.ledger.checkpoint()
        hands = backend.OwnerHands(runtime.settings.data_dir)
        try:
            for table in postgres.APPEND_ONLY_TABLES:
                with pytest.raises(
                    psycopg.errors.InsufficientPrivilege, match=f"{table} is append-only: TRUNCATE refused"
                ):
                    hands.execute(f"TRUNCATE {table} CASCADE")
        finally:
            hands.close()
        assert runtime.ledger.audit().ok

    def test_custos_refuses_to_run_as_the_schema_owner(self, runtime: Runtime) -> None:
        """Start-up names the role and what it could do to the ledger."""
        settings = Settings.from_values(
            runtime.settings.data_dir, {"database_url": owner_url(runtime)}, source="test"
        )
        with pytest.raises(StorageConfigError, match=r"role 'custos_owner', which owns it on ledger_entry"):
            Runtime.open(settings)

    def test_a_role_granted_update_is_refused(self, runtime: Runtime) -> None:
        """A grant widened by hand (UPDATE on the ledger) stops start-up."""
        engine = create_engine(owner_url(runtime))
        with engine.begin() as connection:
            connection.exec_driver_sql("GRANT UPDATE ON ledger_node TO custos_app")
        engine.dispose()
        runtime.database.dispose()
        with pytest.raises(StorageConfigError, match=r"holds UPDATE on ledger_node"):
            Runtime.open(runtime.settings)

    def test_business_tables_stay_writable(self, runtime: Runtime) -> None:
        """The role keeps what custos needs elsewhere (sessions are deleted, heads updated)."""
        with runtime.database.write() as connection:
            connection.exec_driver_sql("DELETE FROM request_nonce")
            connection.exec_driver_sql("UPDATE ledger_head SET tree_size = tree_size")


class TestInitAndUpgrade:
    def test_cli_init_on_postgres_then_db_check(self, tmp_path: Path) -> None:
        """custos init --database-url --owner-url builds the schema as the owner; db check passes."""
        target = backend.new_database()
        directory = tmp_path / "installation"
        runner = CliRunner()
        result = runner.invoke(
            app,
            [
                "init",
                "--dir",
                str(directory),
                "--database-url",
                target.url,
                "--owner-url",
                str(target.owner_url),
            ],
        )
        assert result.exit_code == 0, result.output
        assert "custos-test-app" not in result.output  # the password is not printed
        assert (directory / "custos.toml").stat().st_mode & 0o077 == 0  # nor readable by others
        result = runner.invoke(app, ["--dir", str(directory), "db", "check"])
        assert result.exit_code == 0, result.output
        assert "privileges as required" in result.output
        result = runner.invoke(
            app, ["--dir", str(directory), "db", "upgrade", "--owner-url", str(target.owner_url)]
        )
        assert result.exit_code == 0, result.output
        assert "was 0001" in result.output

    def test_init_into_a_database_that_is_not_empty_is_refused(
        self, runtime: Runtime, tmp_path: Path
    ) -> None:
        """A second installation cannot be initialized over the first one's tables."""
        url = runtime.settings.resolved_database_url
        with pytest.raises(ConfigError, match="already holds a custos schema"):
            initialize(tmp_path / "second", database=DatabaseTarget(url, owner_url(runtime)))
