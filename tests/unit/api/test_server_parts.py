"""The server's long-lived parts: the shared master index and the replay table's housekeeping."""

from __future__ import annotations

import os
import shutil

from sqlalchemy import func, insert, select
from tests.unit.accounting.harness import Harness

from custos.accounting.tables import request_nonce
from custos.accounting.transport import REPLAY_WINDOW_SECONDS, purge_nonces
from custos.matching.batch import SharedIndex


def test_the_shared_index_is_reopened_when_the_file_is_replaced(demo: Harness) -> None:
    """A server keeps one index open, and sees a new snapshot once 'custos master load' replaces it."""
    path = demo.directory / "copy.idx"
    shutil.copy(demo.settings.path(demo.settings.master_index), path)
    shared = SharedIndex(path)
    try:
        with shared.matcher() as first:
            opened = first.index
            snapshot = first.index.info.snapshot_id
        with shared.matcher() as again:
            assert again.index is opened, "kept open between lookups"
        replacement = demo.directory / "replacement.idx"
        shutil.copy(path, replacement)
        os.replace(replacement, path)  # what an index rebuild does: a new file in place of the old
        with shared.matcher() as after:
            assert after.index is not opened
            assert after.index.info.snapshot_id == snapshot
    finally:
        shared.close()


def test_old_nonces_are_purged_and_fresh_ones_kept(demo: Harness) -> None:
    now = 2_000_000_000
    with demo.runtime.database.write() as connection:
        for nonce, created in (("old", now - REPLAY_WINDOW_SECONDS - 1), ("fresh", now - 10)):
            connection.execute(
                insert(request_nonce).values(keyid="K/s", nonce=nonce, created=created, seen_at="x")
            )
    with demo.runtime.database.write() as connection:
        assert purge_nonces(connection, now) == 1
    with demo.runtime.database.read() as connection:
        left = connection.execute(select(request_nonce.c.nonce)).scalars().all()
        assert left == ["fresh"]
        assert connection.execute(select(func.count()).select_from(request_nonce)).scalar_one() == 1
