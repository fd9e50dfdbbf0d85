"""Summing a per-process figure over a process and all its descendants, from /proc (Linux).

The benches measure whole process trees: ``custos match`` with its worker processes,
``custos serve`` with its uvicorn workers.
"""

from __future__ import annotations

import os


def tree_sum(root: int, *figures: int) -> int:
    """Sum of fields ``figures`` of ``/proc/<pid>/stat`` (counted after the command's ")") over the tree.

    Fields after ")": 1 is the parent pid, 11 and 12 user and system ticks, 21 resident pages.
    """
    children: dict[int, list[int]] = {}
    values: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        values[pid] = sum(int(fields[figure]) for figure in figures)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += values.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total
