"""Settings: one typed object from custos.toml plus CUSTOS_* variables, errors naming the key."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from custos.config import Settings
from custos.errors import ConfigError
from custos.runtime import Runtime, initialize

REPO = Path(__file__).resolve().parents[2]


class TestSettings:
    def test_file_values_and_environment_override(
        self, data_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A key in custos.toml is read, and CUSTOS_<KEY> overrides it."""
        (data_dir / "custos.toml").write_text(
            'ledger_origin = "test.custos.localhost/ledger/v1"\ncheckpoint_every_entries = 10\n'
        )
        assert Settings.load(data_dir).checkpoint_every_entries == 10
        monkeypatch.setenv("CUSTOS_CHECKPOINT_EVERY_ENTRIES", "3")
        assert Settings.load(data_dir).checkpoint_every_entries == 3

    def test_bad_value_names_the_key(self, data_dir: Path) -> None:
        """A value of the wrong type is reported with its key and the file."""
        (data_dir / "custos.toml").write_text('checkpoint_every_entries = "often"\n')
        with pytest.raises(ConfigError, match=r"custos\.toml: checkpoint_every_entries: .*integer"):
            Settings.load(data_dir)

    def test_unknown_key_is_an_error(self, data_dir: Path) -> None:
        """A misspelt key is refused rather than silently ignored."""
        (data_dir / "custos.toml").write_text("checkpoint_every_entrys = 5\n")
        with pytest.raises(ConfigError, match="checkpoint_every_entrys"):
            Settings.load(data_dir)

    def test_missing_config_says_how_to_create_one(self, tmp_path: Path) -> None:
        """Loading a directory without custos.toml points at custos init."""
        with pytest.raises(ConfigError, match="custos init"):
            Settings.load(tmp_path)

    def test_every_setting_is_documented(self) -> None:
        """docs/configuration.md lists every setting with its environment variable."""
        text = (REPO / "docs" / "configuration.md").read_text()
        for name in Settings.model_fields:
            assert f"`{name}`" in text and f"CUSTOS_{name.upper()}" in text, name


class TestInit:
    @pytest.mark.sqlite_only
    def test_creates_everything_with_a_private_key(self, tmp_path: Path) -> None:
        """init writes config, a WAL database, a 0600 key outside the database, and a first entry."""
        settings = initialize(tmp_path / "d")
        key = settings.path(settings.ledger_key_file)
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert (tmp_path / "d" / "custos.toml").exists()
        runtime = Runtime.open(settings)
        try:
            assert runtime.ledger.head().size == 1
            with runtime.database.read() as connection:
                tables = connection.exec_driver_sql("SELECT group_concat(sql) FROM sqlite_master").scalar()
            assert "PRIVATE+KEY" not in str(tables)
            # PRIVATE+KEY+<name>+<hash>+<base64>; the base64 itself may contain "+".
            private = key.read_text().strip().split("+", 4)[4]
            assert len(private) >= 40
            assert not re.search(
                re.escape(private), (tmp_path / "d" / "custos.db").read_bytes().decode("latin-1")
            )
        finally:
            runtime.close()

    def test_refuses_to_overwrite(self, data_dir: Path) -> None:
        """A second init on the same directory is refused."""
        with pytest.raises(ConfigError, match="already exists"):
            initialize(data_dir)

    def test_key_readable_by_others_is_refused(self, data_dir: Path) -> None:
        """A signing key with group or other permissions stops start-up with the chmod to run."""
        key = data_dir / "ledger-signing.key"
        key.chmod(0o644)
        with pytest.raises(ConfigError, match="chmod 600"):
            Runtime.open(Settings.load(data_dir))
