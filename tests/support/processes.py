"""Killing a worker outright, as the kernel's OOM killer or an operator's kill -9 would."""

from __future__ import annotations

import os
import signal
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc (children, their children...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def kill_tree(pid: int, *, spare: set[int] | None = None) -> None:
    """SIGKILL `pid` and everything below it, except the processes in `spare`."""
    for target in [pid, *descendants(pid)]:
        if target not in (spare or set()):
            os.kill(target, signal.SIGKILL)
