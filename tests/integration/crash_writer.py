"""Writer child for the kill -9 crash-consistency harness (ledger-and-security.md section 3.6).

Two ways to run it:

``python crash_writer.py DATA_DIR``
    Open the installation, print ``READY <head size>``, then append one entry
    per transaction forever; after each transaction has committed, print
    ``ACK <seq> <leaf_hash_hex>`` and flush stdout.  Checkpoints are signed
    and published by the ledger itself every ``CUSTOS_CHECKPOINT_EVERY_ENTRIES``
    entries.  The parent kills it with SIGKILL.

``python crash_writer.py --zygote``
    A fork server, so that each iteration does not pay for a fresh interpreter
    and its imports: it imports custos once, then reads JSON commands on stdin.
    ``{"op": "spawn", "data_dir": ..., "ack": ..., "err": ..., "every": k}``
    forks a writer whose stdout is the file ``ack`` and stderr the file ``err``,
    answers ``PID <pid>``, waits until that child has died (leaving it a zombie,
    so its pid cannot be reused while the parent may still signal it) and answers
    ``EXIT <pid> <killed-by-signal|exit-code> <number>``.  ``{"op": "reap", "pid": ...}``
    then reaps it and answers ``REAPED <pid>``.  End of stdin ends the server.

The forked child is a separate process that opens its own database
connections after the fork; SIGKILL ends it exactly as it would end a writer
started from scratch.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import TextIO

from custos.config import Settings
from custos.ledger.events import Actor, AuditEvent, EventType, Outcome
from custos.runtime import Runtime

APPEND_LIMIT = 1_000_000


def write_until_killed(data_dir: Path, out: TextIO, limit: int = APPEND_LIMIT) -> int:
    """Append one entry per transaction and acknowledge each after its commit."""
    runtime = Runtime.open(Settings.load(data_dir))
    try:
        ledger = runtime.ledger
        print(f"READY {ledger.head().size}", file=out, flush=True)
        actor = Actor.system("crash-writer")
        pid = os.getpid()
        for n in range(limit):
            with ledger.transaction() as tx:
                receipt = tx.append(
                    AuditEvent(
                        EventType.ADMIN_ACTION,
                        actor,
                        "append",
                        Outcome.SUCCESS,
                        details={"n": n, "pid": pid},
                    )
                )
            # The with block has exited: the transaction has committed (and any
            # checkpoint that fell due has been signed in it and published after it).
            print(f"ACK {receipt.seq} {receipt.leaf_hash.hex()}", file=out, flush=True)
    finally:
        runtime.close()
    return 0


def _run_forked_child(command: dict[str, object]) -> None:
    """Body of a forked writer; never returns into the server loop."""
    code = 70
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        for target, name in ((1, "ack"), (2, "err")):
            descriptor = os.open(str(command[name]), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.dup2(descriptor, target)
            os.close(descriptor)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        os.environ["CUSTOS_CHECKPOINT_EVERY_ENTRIES"] = str(command["every"])
        code = write_until_killed(Path(str(command["data_dir"])), sys.stdout)
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _answer(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def serve() -> int:
    """The fork server loop (see the module docstring)."""
    _answer("ZYGOTE READY")
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "spawn":
            pid = os.fork()
            if pid == 0:
                _run_forked_child(command)
            _answer(f"PID {pid}")
            result = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
            if result is None:
                raise RuntimeError(f"waitid returned nothing for child {pid}")
            how = "exit-code" if result.si_code == os.CLD_EXITED else "killed-by-signal"
            _answer(f"EXIT {pid} {how} {result.si_status}")
        elif command["op"] == "reap":
            os.waitpid(int(command["pid"]), 0)
            _answer(f"REAPED {command['pid']}")
        else:
            raise ValueError(f"unknown command {command!r}")
    return 0


def main(argv: list[str]) -> int:
    """Entry point: ``DATA_DIR`` runs one writer, ``--zygote`` the fork server."""
    if argv == ["--zygote"]:
        return serve()
    if len(argv) != 1:
        print("usage: crash_writer.py DATA_DIR | --zygote", file=sys.stderr)
        return 2
    return write_until_killed(Path(argv[0]), sys.stdout)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
