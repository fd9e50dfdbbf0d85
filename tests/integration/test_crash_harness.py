"""kill -9 crash-consistency harness for the ledger (ledger-and-security.md section 3.6, test 14).

Each iteration starts a writer process (tests/integration/crash_writer.py) on
an installation, lets it acknowledge a random number of committed appends,
waits a random 0-50 ms and kills it with SIGKILL.  Then, with fresh
connections, the parent checks criteria (a)-(g) of section 3.6:

(a) ``PRAGMA integrity_check`` is ``ok`` (on PostgreSQL: the server has come
    back from crash recovery and answers);
(b) every acknowledged seq is present with the acknowledged leaf hash (and
    every entry seen in an earlier iteration is unchanged);
(c) at most one committed entry beyond the last acknowledgement;
(d) seqs are exactly 0..n-1 (and the stored tree nodes and head match the leaves);
(e) every stored and every published checkpoint verifies and equals the root
    recomputed from the leaves at its size (also via the offline verifier, in a
    separate process, on an exported bundle, every HEAVY_EVERY iterations);
(f) ``latest.checkpoint`` is complete: it parses, verifies and never goes backwards;
(g) a restarted writer appends seq n and signs a checkpoint consistent with
    every earlier one.

Most writers are forked from a pre-imported fork server (cheap; a fork is as
real a process as any for SIGKILL); every EXEC_EVERY-th iteration starts a
fresh interpreter instead (``CUSTOS_CRASH_EXEC_EVERY=1`` makes every writer
one, at about 0.8 s more per iteration).  One installation serves
CHAIN_LENGTH iterations, so the log grows across kills.  ``CUSTOS_CRASH_SEED``
and ``CUSTOS_CRASH_ITERATIONS`` override the seed and the iteration count (200,
60 on PostgreSQL).

On PostgreSQL (``CUSTOS_TEST_BACKEND=postgresql``) half of the iterations
also SIGKILL the writer's server backends before the writer itself: the
postmaster then resets every backend and replays its WAL, which is a real crash
recovery of the server, and the same criteria must hold afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests import backend

from custos.config import Settings
from custos.ledger.events import Actor, ActorKind, AuditEvent, EventType, Outcome
from custos.ledger.export import export_bundle
from custos.ledger.publish import LATEST
from custos.ledger.verifier import (
    Checkpoint,
    ParseError,
    RootAccumulator,
    VerificationError,
    VerifierKey,
    node_hash,
    verify_checkpoint,
    verify_consistency,
)
from custos.runtime import Runtime, initialize

WRITER = Path(__file__).resolve().with_name("crash_writer.py")
ORIGIN = "crash.custos.localhost/ledger/v1"
DEFAULT_ITERATIONS = 60 if backend.POSTGRES else 200  # a server crash recovery takes about 2 s
CHAIN_LENGTH = 50
HEAVY_EVERY = 20
EXEC_EVERY = 10
MAX_TARGET_ACKS = 20
MAX_DELAY_SECONDS = 0.050
CHECKPOINT_EVERY_CHOICES = (1, 2, 3, 5)
ITERATION_TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 0.001
SERVER_KILL_SHARE = 0.5


def child_env(every: int | None = None) -> dict[str, str]:
    """The environment without any CUSTOS_* override, plus the checkpoint interval if given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    if every is not None:
        env["CUSTOS_CHECKPOINT_EVERY_ENTRIES"] = str(every)
    return env


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 6962 leaf hash, written out here rather than imported."""
    return hashlib.sha256(b"\x00" + leaf).digest()


class AckFile:
    """Reads complete lines a writer appends to its stdout file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle = path.open("rb")
        self.pending = b""

    def read(self) -> list[str]:
        """Complete lines written since the last call (a torn last line stays pending)."""
        self.pending += self.handle.read()
        *lines, self.pending = self.pending.split(b"\n")
        return [line.decode("ascii") for line in lines]

    def close(self) -> None:
        """Close the read handle."""
        self.handle.close()


class Zygote:
    """The fork server of crash_writer.py, talked to over its stdin and stdout."""

    def __init__(self, work: Path) -> None:
        self.log = work / "zygote.stderr"
        with self.log.open("wb") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, str(WRITER), "--zygote"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=child_env(),
                bufsize=0,
            )
        self.buffer = b""
        ready = self.line(ITERATION_TIMEOUT_SECONDS)
        assert ready == "ZYGOTE READY", self.failure(f"fork server said {ready!r}")

    def failure(self, message: str) -> str:
        """A message with the fork server's stderr attached."""
        return f"{message}\nfork server stderr:\n{self.log.read_text(errors='replace')}"

    def line(self, timeout: float) -> str | None:
        """The next answer line, or None if none arrives within ``timeout`` seconds."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining < 0:
                return None
            readable, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if not readable:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                raise AssertionError(self.failure("the fork server died"))
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode("ascii")

    def send(self, command: dict[str, object]) -> None:
        """Send one JSON command."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command).encode() + b"\n")

    def close(self) -> None:
        """End the server (closing its stdin) and wait for it."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
            raise
        finally:
            if self.proc.stdout is not None:
                self.proc.stdout.close()


class ForkedWriter:
    """A writer forked by the fork server; its pid stays reserved (zombie) until reaped."""

    def __init__(self, zygote: Zygote, command: dict[str, object]) -> None:
        self.zygote = zygote
        zygote.send({"op": "spawn", **command})
        answer = zygote.line(ITERATION_TIMEOUT_SECONDS)
        assert answer is not None, zygote.failure("no PID from the fork server")
        assert answer.startswith("PID "), zygote.failure(f"fork server said {answer!r}")
        self.pid = int(answer.split()[1])
        self.status: str | None = None

    def poll(self, timeout: float) -> str | None:
        """How the writer ended, or None if it is still running after ``timeout``."""
        if self.status is None:
            answer = self.zygote.line(timeout)
            if answer is not None:
                word, pid, how, number = answer.split()
                assert (word, int(pid)) == ("EXIT", self.pid), self.zygote.failure(f"unexpected {answer!r}")
                self.status = f"{how} {number}"
        return self.status

    def kill(self) -> None:
        """SIGKILL the writer (harmless if it is already a zombie)."""
        os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> str:
        """Wait until the writer is dead."""
        status = self.poll(ITERATION_TIMEOUT_SECONDS)
        assert status is not None, self.zygote.failure(f"writer {self.pid} did not die")
        return status

    def close(self) -> None:
        """Kill if needed, then have the fork server reap the writer."""
        if self.status is None:
            self.kill()
            self.wait()
        self.zygote.send({"op": "reap", "pid": self.pid})
        answer = self.zygote.line(ITERATION_TIMEOUT_SECONDS)
        assert answer == f"REAPED {self.pid}", self.zygote.failure(f"fork server said {answer!r}")


class ExecWriter:
    """A writer started as a fresh interpreter: ``python crash_writer.py DATA_DIR``."""

    def __init__(self, data_dir: Path, ack: Path, err: Path, every: int) -> None:
        with ack.open("ab") as stdout, err.open("ab") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, str(WRITER), str(data_dir)],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                env=child_env(every),
            )
        self.pid = self.proc.pid

    @staticmethod
    def _describe(code: int) -> str:
        return f"killed-by-signal {-code}" if code < 0 else f"exit-code {code}"

    def poll(self, timeout: float) -> str | None:
        """How the writer ended, or None if it is still running after ``timeout``."""
        time.sleep(timeout)
        code = self.proc.poll()
        return None if code is None else self._describe(code)

    def kill(self) -> None:
        """SIGKILL the writer (Popen only signals a child it has not reaped)."""
        self.proc.kill()

    def wait(self) -> str:
        """Wait until the writer is dead."""
        return self._describe(self.proc.wait(timeout=ITERATION_TIMEOUT_SECONDS))

    def close(self) -> None:
        """Kill if needed and reap."""
        if self.proc.poll() is None:
            self.kill()
        self.proc.wait(timeout=ITERATION_TIMEOUT_SECONDS)


@dataclass
class Snapshot:
    """What one fresh SQLite connection sees after a crash."""

    integrity: list[str]
    journal_mode: str
    seqs: list[int]
    leaves: list[bytes]
    stored_hashes: list[bytes]
    nodes: dict[tuple[int, int], bytes]
    head: tuple[int, bytes, bytes | None] | None
    checkpoints: dict[int, tuple[bytes, str]]


LEDGER_QUERIES = (
    "SELECT seq, leaf, leaf_hash FROM ledger_entry ORDER BY seq",
    "SELECT level, idx, hash FROM ledger_node",
    "SELECT tree_size, root_hash, last_leaf_hash FROM ledger_head WHERE id = 1",
    "SELECT tree_size, root_hash, note FROM ledger_checkpoint",
)


def read_snapshot(chain: Chain) -> Snapshot:
    """Read the ledger tables through a connection of our own, in one snapshot."""
    if chain.database_name is not None:
        return _read_postgres(chain.database_name)
    connection = sqlite3.connect(chain.database)
    try:
        integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        journal_mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        connection.execute("BEGIN")
        rows = [connection.execute(query).fetchall() for query in LEDGER_QUERIES]
        connection.execute("COMMIT")
    finally:
        connection.close()
    return _snapshot(integrity, journal_mode, rows)


def _read_postgres(name: str) -> Snapshot:
    """The same on PostgreSQL, as the owner, once the server accepts connections again."""
    import psycopg

    deadline = time.monotonic() + ITERATION_TIMEOUT_SECONDS
    while True:
        try:
            connection = psycopg.connect(
                backend.url(backend.OWNER, name).replace("+psycopg", ""), autocommit=True
            )
            break
        except psycopg.OperationalError:  # still in crash recovery
            assert time.monotonic() < deadline, "(a) the server did not come back from crash recovery"
            time.sleep(0.2)
    try:
        with connection.transaction():
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            rows = [connection.execute(query).fetchall() for query in LEDGER_QUERIES]  # type: ignore[arg-type]
            durable = [connection.execute(f"SHOW {s}").fetchone() for s in ("fsync", "synchronous_commit")]  # type: ignore[arg-type]
    finally:
        connection.close()
    mode = "wal" if all(row is not None and row[0] == "on" for row in durable) else f"not durable: {durable}"
    return _snapshot(["ok"], mode, rows)


def _snapshot(integrity: list[str], journal_mode: str, rows: list[list[Any]]) -> Snapshot:
    entries, node_rows, head_rows, checkpoint_rows = rows
    head = None
    if head_rows:
        size, root, last = head_rows[0]
        head = (size, bytes(root), bytes(last) if last is not None else None)
    return Snapshot(
        integrity,
        journal_mode,
        [row[0] for row in entries],
        [bytes(row[1]) for row in entries],
        [bytes(row[2]) for row in entries],
        {(lv, ix): bytes(h) for lv, ix, h in node_rows},
        head,
        {size: (bytes(root), note) for size, root, note in checkpoint_rows},
    )


def kill_backends(name: str) -> int:
    """SIGKILL every server process serving database ``name`` (the postmaster then resets them all)."""
    with backend.admin().connect() as connection:
        pids = list(
            connection.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = %(name)s AND pid <> pg_backend_pid()",
                {"name": name},
            ).scalars()
        )
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)


def expected_nodes(hashes: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every complete perfect subtree of the tree over ``hashes``, as ``ledger_node`` should hold."""
    nodes = {(0, i): h for i, h in enumerate(hashes)}
    level, row = 0, hashes
    while len(row) > 1:
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        level += 1
        nodes.update({(level, i): h for i, h in enumerate(row)})
    return nodes


def roots_at(hashes: list[bytes], sizes: set[int]) -> dict[int, bytes]:
    """Roots recomputed from leaf hashes at each wanted size."""
    tree = RootAccumulator()
    roots = {}
    for h in hashes:
        tree.append(h)
        if tree.size in sizes:
            roots[tree.size] = tree.root()
    return roots


@dataclass
class Chain:
    """State carried across the iterations that share one installation."""

    directory: Path
    key: VerifierKey
    keys_file: Path
    history: list[bytes] = field(default_factory=list)
    acked: dict[int, bytes] = field(default_factory=dict)
    checkpoints: dict[int, tuple[bytes, str]] = field(default_factory=dict)
    latest_size: int = 0
    proven_from: int = 0
    verified: dict[str, Checkpoint] = field(default_factory=dict)

    def verify(self, note: str) -> Checkpoint:
        """Verify a checkpoint note (signature, origin, body) once per distinct text."""
        if note not in self.verified:
            self.verified[note] = verify_checkpoint(note, [self.key], ORIGIN)
        return self.verified[note]

    @property
    def database(self) -> Path:
        """The SQLite file."""
        return self.directory / "custos.db"

    @property
    def database_name(self) -> str | None:
        """The PostgreSQL database, or None on SQLite."""
        return backend.database_name(self.directory)

    @property
    def published(self) -> Path:
        """The publication directory."""
        return self.directory / "published-checkpoints"


def new_chain(work: Path, index: int) -> Chain:
    """Initialize a fresh installation and remember its key and first entry."""
    directory = work / f"chain-{index}"
    initialize(directory, origin=ORIGIN)
    runtime = Runtime.open(Settings.load(directory))
    try:
        ledger = runtime.ledger
        keys_file = work / f"chain-{index}-trusted-keys.txt"
        keys_file.write_text(ledger.signer.vkey + "\n", encoding="utf-8")
        chain = Chain(directory, VerifierKey.parse(ledger.signer.vkey), keys_file)
        chain.history = [leaf_hash(ledger.leaf(seq)) for seq in range(ledger.head().size)]
        chain.acked = dict(enumerate(chain.history))
        chain.checkpoints = {c.size: (c.root, c.note) for c in ledger.checkpoints()}
        chain.latest_size = max(chain.checkpoints)
    finally:
        runtime.close()
    return chain


@dataclass
class Run:
    """What one killed writer reported."""

    ready_size: int | None
    acks: list[tuple[int, bytes]]
    torn_tail: bool
    status: str


def run_and_kill(
    chain: Chain,
    work: Path,
    zygote: Zygote,
    rng: random.Random,
    *,
    fork: bool,
    every: int,
    server_too: bool = False,
) -> tuple[Run, int, float]:
    """Start a writer, kill it after a random ACK count plus 0-50 ms, and collect its ACKs.

    With ``server_too`` the writer's PostgreSQL backends are SIGKILLed first; the
    writer may then die of the lost connection before its own SIGKILL arrives.
    """
    target = rng.randint(0, MAX_TARGET_ACKS)
    delay = rng.uniform(0.0, MAX_DELAY_SECONDS)
    ack_path, err_path = work / "writer.stdout", work / "writer.stderr"
    for path in (ack_path, err_path):
        path.write_bytes(b"")
    reader = AckFile(ack_path)
    writer: ForkedWriter | ExecWriter
    if fork:
        command = {
            "data_dir": str(chain.directory),
            "ack": str(ack_path),
            "err": str(err_path),
            "every": every,
        }
        writer = ForkedWriter(zygote, command)
    else:
        writer = ExecWriter(chain.directory, ack_path, err_path, every)
    ready: int | None = None
    acks: list[tuple[int, bytes]] = []

    def consume() -> None:
        nonlocal ready
        for line in reader.read():
            word, *rest = line.split()
            if word == "READY":
                ready = int(rest[0])
            else:
                assert word == "ACK", f"unexpected writer output {line!r}"
                acks.append((int(rest[0]), bytes.fromhex(rest[1])))

    def stderr() -> str:
        return err_path.read_text(errors="replace")

    try:
        deadline = time.monotonic() + ITERATION_TIMEOUT_SECONDS
        while True:
            consume()
            if ready is not None and len(acks) >= target:
                break
            status = writer.poll(POLL_SECONDS)
            assert status is None, f"writer ended by itself ({status}) before the kill:\n{stderr()}"
            assert time.monotonic() < deadline, f"writer made no progress in time:\n{stderr()}"
        time.sleep(delay)
        if server_too:
            assert chain.database_name is not None
            kill_backends(chain.database_name)
        writer.kill()
        status = writer.wait()
        assert status == f"killed-by-signal {int(signal.SIGKILL)}" or (
            server_too and "exit-code" in status
        ), f"writer ended with {status}, not by our SIGKILL:\n{stderr()}"
        consume()
        torn = bool(reader.pending)
    finally:
        writer.close()
        reader.close()
    return Run(ready, acks, torn, status), target, delay


def check_after_crash(chain: Chain, run: Run, stats: Counter[str]) -> Snapshot:
    """Criteria (a)-(f) on a fresh connection and the published files."""
    snap = read_snapshot(chain)
    # (a) the database file is sound and still in WAL mode.
    assert snap.integrity == ["ok"], f"(a) integrity_check: {snap.integrity}"
    assert snap.journal_mode == "wal", f"(a) journal_mode is {snap.journal_mode}"
    n = len(snap.seqs)
    # (d) seqs are exactly 0..n-1, and each stored leaf hash is the hash of its stored leaf.
    assert snap.seqs == list(range(n)), f"(d) seqs are not 0..{n - 1}: {snap.seqs[:5]}...{snap.seqs[-5:]}"
    hashes = [leaf_hash(leaf) for leaf in snap.leaves]
    bad = [seq for seq, (h, s) in enumerate(zip(hashes, snap.stored_hashes, strict=True)) if h != s]
    assert not bad, f"(d) stored leaf_hash differs from sha256(0x00||leaf) at seqs {bad[:10]}"
    # (b) everything acknowledged, and everything verified before, is there unchanged.
    before = len(chain.history)
    assert run.ready_size in (None, before), f"writer opened a log of {run.ready_size}, expected {before}"
    assert hashes[:before] == chain.history, (
        "(b) an entry verified in an earlier iteration changed or vanished"
    )
    expected_seqs = list(range(before, before + len(run.acks)))
    assert [seq for seq, _ in run.acks] == expected_seqs, f"writer ACKed seqs {run.acks} out of order"
    for seq, acked_hash in run.acks:
        assert seq < n, f"(b) ACKed seq {seq} is missing: the log has {n} entries"
        assert hashes[seq] == acked_hash, f"(b) ACKed seq {seq} has another leaf hash"
        chain.acked[seq] = acked_hash
    # (c) at most one committed entry whose ACK was lost.
    last_acked = before - 1 + len(run.acks)
    extra = n - 1 - last_acked
    assert 0 <= extra <= 1, f"(c) {extra} un-ACKed entries after the last ACK (seq {last_acked}); log has {n}"
    stats["unacked_commit"] += extra
    stats["torn_ack_line"] += run.torn_tail
    # (d) the stored tree nodes and head agree with the leaves.
    assert snap.nodes == expected_nodes(hashes), "(d) ledger_node rows differ from the tree over the leaves"
    sizes = set(snap.checkpoints) | {n}
    published = sorted(chain.published.glob("*.checkpoint"))
    notes: dict[Path, str] = {}
    signed_bodies: dict[Path, Checkpoint] = {}
    for path in published:
        raw = path.read_bytes()
        try:
            notes[path] = raw.decode("utf-8")
            signed_bodies[path] = chain.verify(notes[path])
        except (UnicodeDecodeError, ParseError, VerificationError) as exc:
            raise AssertionError(f"(e)/(f) published {path.name} does not verify: {exc}; {raw!r}") from exc
    sizes |= {body.size for body in signed_bodies.values()}
    roots = roots_at(hashes, sizes)
    assert snap.head is not None, "(d) no ledger_head row"
    assert snap.head == (n, roots[n], hashes[-1]), f"(d) ledger_head {snap.head[0]} differs from the leaves"
    # (e) every stored checkpoint verifies, matches its row and the recomputed root; none changed.
    for size, (root, note) in snap.checkpoints.items():
        body = chain.verify(note)
        assert (body.size, body.root) == (size, root), f"(e) stored checkpoint {size} differs from its note"
        assert size <= n, f"(e) checkpoint {size} covers more than the {n} stored entries"
        assert roots[size] == root, f"(e) stored checkpoint {size} root differs from the recomputed root"
    for size, seen in chain.checkpoints.items():
        assert snap.checkpoints.get(size) == seen, f"(e) stored checkpoint {size} changed or vanished"
    chain.checkpoints = dict(snap.checkpoints)
    # (e) + (f) every published file is complete, verifies, and is a stored checkpoint.
    for path, body in signed_bodies.items():
        assert snap.checkpoints.get(body.size, (b"", ""))[1] == notes[path], (
            f"(e) published {path.name} is not the stored checkpoint {body.size}"
        )
        assert roots[body.size] == body.root, f"(e) published {path.name} root differs from the leaves"
        if path.name != LATEST:
            assert path.name == f"{body.size}.checkpoint", f"(e) {path.name} holds checkpoint {body.size}"
    latest_path = chain.published / LATEST
    assert latest_path in signed_bodies, "(f) latest.checkpoint is missing"
    latest = signed_bodies[latest_path]
    assert latest.size >= chain.latest_size, f"(f) latest went back from {chain.latest_size} to {latest.size}"
    numbered = chain.published / f"{latest.size}.checkpoint"
    assert notes.get(numbered) == notes[latest_path], (
        f"(f) latest is {latest.size} but {numbered.name} differs"
    )
    stats["latest_advanced"] += latest.size > chain.latest_size
    chain.latest_size = latest.size
    stats["signed_not_published"] += max(snap.checkpoints) > latest.size
    stats["publish_temp_files_now"] = sum(1 for p in chain.published.iterdir() if p.name.startswith("."))
    assert not (chain.directory / "ledger.alarm").exists(), "integrity alarm raised after the crash"
    chain.history = hashes
    return snap


def verify_offline(args: list[str], what: str) -> dict[str, object]:
    """Run the offline verifier in a separate process; it must exit 0."""
    result = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=child_env(), timeout=300, check=False
    )
    assert result.returncode == 0, (
        f"(e) offline verifier on {what}: exit {result.returncode}\n{result.stdout}"
    )
    report: dict[str, object] = json.loads(result.stdout)
    assert report["ok"] is True, f"(e) offline verifier on {what}: {result.stdout}"
    return report


def heavy_check(chain: Chain, runtime: Runtime, work: Path, retained: Path) -> None:
    """Export a bundle and run the offline verifier on it and on the published checkpoints."""
    bundle, view = work / "bundle", work / "published-view"
    for path in (bundle, view):
        shutil.rmtree(path, ignore_errors=True)
    result = export_bundle(runtime.ledger, bundle, Actor(ActorKind.AUDITOR, "crash-test"))
    assert result.audited, "export could not sign its checkpoint after a full audit"
    assert (bundle / "trusted-keys.txt").read_text() == chain.keys_file.read_text()
    size = runtime.ledger.head().size
    stored = len(runtime.ledger.checkpoints())
    keys = ["--keys", str(chain.keys_file)]
    module = ["-m", "custos.ledger.verifier", "bundle"]
    report = verify_offline([*module, str(bundle), *keys, "--prev-checkpoint", str(retained)], "bundle")
    assert report["entries"] == size, f"(e) offline verifier saw {report['entries']} entries, not {size}"
    assert report["checkpoints_verified"] == stored, f"(e) offline verifier: {report}"
    copied = verify_offline([str(bundle / "ledger_verify.py"), "bundle", str(bundle), *keys], "bundle copy")
    assert copied["root"] == report["root"]
    # Every published file (including latest.checkpoint) against the exported leaves.
    (view / "checkpoints").mkdir(parents=True)
    shutil.copyfile(bundle / "entries.jsonl", view / "entries.jsonl")
    published = sorted(chain.published.glob("*.checkpoint"))
    for path in published:
        shutil.copyfile(path, view / "checkpoints" / path.name)
    args = [*module, str(view), *keys, "--prev-checkpoint", str(retained)]
    report = verify_offline(args, "published checkpoints")
    assert report["checkpoints_verified"] == len(published), f"(e) published checkpoints: {report}"


def restart_and_extend(chain: Chain, work: Path, iteration: int, *, heavy: bool) -> None:
    """(g) and the service-side audit: reopen, audit, append seq n, sign, prove consistency."""
    n = len(chain.history)
    retained = work / "retained.checkpoint"
    shutil.copyfile(chain.published / LATEST, retained)
    runtime = Runtime.open(Settings.load(chain.directory))
    try:
        ledger = runtime.ledger
        report = ledger.audit()
        assert report.ok, f"(e) ledger.audit() after the crash: {json.dumps(report.as_json())}"
        assert report.entries == n
        receipt = ledger.append(
            AuditEvent(
                EventType.SYSTEM_START,
                Actor.system("crash-restart"),
                "restart",
                Outcome.SUCCESS,
                details={"iteration": iteration},
            )
        )
        assert receipt.seq == n, f"(g) the restarted writer appended seq {receipt.seq}, not {n}"
        assert receipt.leaf_hash == leaf_hash(ledger.leaf(n))
        signed = ledger.checkpoint(full_audit=True)
        assert signed.size == n + 1, f"(g) signed checkpoint {signed.size}, expected {n + 1}"
        tree = RootAccumulator()
        for h in [*chain.history, receipt.leaf_hash]:
            tree.append(h)
        assert signed.root == tree.root(), "(g) the new checkpoint's root differs from the leaves"
        for old in ledger.checkpoints():
            if (heavy or old.size >= chain.proven_from) and old.size < signed.size:
                proof = ledger.consistency_proof(old.size, signed.size)
                verify_consistency(old.size, signed.size, proof, old.root, signed.root)
        if heavy:
            heavy_check(chain, runtime, work, retained)
        size = ledger.head().size
        new = [leaf_hash(ledger.leaf(seq)) for seq in range(n, size)]
        chain.history += new
        chain.acked.update({seq: h for seq, h in enumerate(new, start=n)})
        chain.checkpoints = {c.size: (c.root, c.note) for c in ledger.checkpoints()}
        chain.proven_from = max(chain.checkpoints)
        latest = verify_checkpoint(
            (chain.published / LATEST).read_text(encoding="utf-8"), [chain.key], ORIGIN
        )
        assert latest.size == chain.proven_from == size, "(g) the newest checkpoint was not published"
        chain.latest_size = latest.size
        assert not (chain.directory / "ledger.alarm").exists(), "integrity alarm raised after the restart"
    finally:
        runtime.close()


@pytest.mark.slow
def test_kill_minus_nine_keeps_the_ledger_consistent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGKILLed writers never lose an ACKed entry, break the tree, or leave a bad checkpoint."""
    seed = int(os.environ.get("CUSTOS_CRASH_SEED") or time.time_ns() % 2**32)
    iterations = int(os.environ.get("CUSTOS_CRASH_ITERATIONS") or DEFAULT_ITERATIONS)
    exec_every = int(os.environ.get("CUSTOS_CRASH_EXEC_EVERY") or EXEC_EVERY)
    for name in [k for k in os.environ if k.startswith("CUSTOS_")]:
        monkeypatch.delenv(name)
    rng = random.Random(seed)
    print(
        f"crash harness: seed={seed} iterations={iterations} exec_every={exec_every} "
        f"(rerun with CUSTOS_CRASH_SEED={seed})"
    )
    started = time.monotonic()
    stats: Counter[str] = Counter()
    zygote = Zygote(tmp_path)
    chain: Chain | None = None
    try:
        for iteration in range(iterations):
            context = f"seed={seed} iteration={iteration}"
            try:
                if iteration % CHAIN_LENGTH == 0:
                    chain = new_chain(tmp_path, iteration // CHAIN_LENGTH)
                assert chain is not None
                fork = iteration % exec_every != exec_every - 1
                every = rng.choice(CHECKPOINT_EVERY_CHOICES)
                server_too = backend.POSTGRES and rng.random() < SERVER_KILL_SHARE
                before = len(chain.history)
                t0 = time.monotonic()
                run, target, delay = run_and_kill(
                    chain, tmp_path, zygote, rng, fork=fork, every=every, server_too=server_too
                )
                t1 = time.monotonic()
                stats["server_killed"] += server_too
                context += f" target_acks={target} delay_ms={delay * 1000:.1f} k={every} server={server_too}"
                check_after_crash(chain, run, stats)
                heavy = (iteration + 1) % HEAVY_EVERY == 0 or (iteration + 1) % CHAIN_LENGTH == 0
                heavy = heavy or iteration == iterations - 1
                restart_and_extend(chain, tmp_path, iteration, heavy=heavy)
                t2 = time.monotonic()
            except Exception as exc:
                raise AssertionError(f"crash harness failed at {context}: {exc}") from exc
            stats["acks"] += len(run.acks)
            stats["exec_writers" if not fork else "forked_writers"] += 1
            stats["heavy_checks"] += heavy
            print(
                f"iteration {iteration}: {'fork' if fork else 'exec'} k={every} target={target} "
                f"delay={delay * 1000:.1f}ms acks={len(run.acks)} log {before}->{len(chain.history)} "
                f"latest={chain.latest_size}{' heavy' if heavy else ''}{' server-killed' if server_too else ''} "
                f"writer={t1 - t0:.2f}s checks={t2 - t1:.2f}s"
            )
    finally:
        with contextlib.suppress(Exception):
            zygote.close()
    elapsed = time.monotonic() - started
    print(f"crash harness: seed={seed} {iterations} iterations in {elapsed:.1f}s; {dict(stats)}")
