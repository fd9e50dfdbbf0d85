"""Which process is working on a batch, and whether that process is still alive.

A batch being processed carries the token of the process doing it.  After a
crash (SIGKILL, power cut) the batch is left ``validating`` with the token of a
process that no longer exists; start-up finds such batches and resumes them
(:mod:`custos.accounting.recovery`).  A token names host, pid and the pid's
start time, so a recycled pid is not mistaken for the old process.  A batch
claimed on another host is left alone: only that host can tell whether its
process lives, unless an operator declares that host retired (``custos batch
recover --retired-host``), which says that none of its processes lives.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 2 (the command) may contain spaces and parentheses; the fields after the last ")" are fixed.
    return stat.rsplit(")", 1)[1].split()[19]


def process_token(pid: int | None = None) -> str:
    """The claim token of a process (this one by default): ``host:pid:start``."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_start_time(pid) or '0'}"


def claim_is_stale(token: str | None, retired_hosts: frozenset[str] = frozenset()) -> bool:
    """Whether the process that claimed a batch is gone.

    A claim from another host is stale only when an operator has declared that host retired.
    """
    if not token:
        return True
    host, _, rest = token.partition(":")
    pid_text, _, started = rest.partition(":")
    if host in retired_hosts:
        return True
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    return _start_time(int(pid_text)) != started
