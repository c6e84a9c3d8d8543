"""Starts an automation script as its unprivileged user, and ends everything it started.

`python _launch.py <plan-json> <script>`, with the plan written by `automation/sandbox.py`:

- This process asks Linux for a signal when the worker process dies (PR_SET_PDEATHSIG) and
  becomes the *subreaper* of everything below it (PR_SET_CHILD_SUBREAPER): a process the
  script starts and abandons, even one that calls `setsid` to leave the script's group, is
  adopted by this launcher, not by init. So the launcher always knows the whole tree.
- When the plan names paths to hide (the service's `.env` and `var/`, other organizations'
  folders), it takes a mount namespace of its own and mounts an empty, unreadable tmpfs (a
  folder) or /dev/null (a file) over each of them; the rest of the system stays as it is.
- It forks the script, which drops to the plan's user and group (no supplementary groups)
  before it execs, so it cannot read the worker's /proc/<pid>/environ or memory (the kernel's
  ptrace check) nor files only the worker's user may read.
- When the script exits, every process left below the launcher gets SIGKILL, the launcher
  reaps them all and exits with the script's own status: the run ends with its script, and
  no orphan keeps the output pipes open. SIGTERM (the runner's cancel or timeout) goes to the
  whole tree, and SIGKILL after the plan's grace. The worker's death kills the whole tree.

Standard library only; it runs on the scripts' interpreter. Not a script: its name starts
with `_`."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import pathlib
import signal
import sys
from collections.abc import Iterable
from types import FrameType
from typing import Any, NoReturn

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
# The launcher could not set the script up as its plan asks: nothing of the script ran.
REFUSED = 126
# Sent by the kernel to the launcher when the worker process dies.
WORKER_DIED = signal.SIGUSR1

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                       ctypes.c_char_p]  # fmt: skip


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _refuse(text: str) -> NoReturn:
    sys.stderr.write(f"No se pudo aislar el script: {text}\n")
    sys.stderr.flush()
    os._exit(REFUSED)


def descendants() -> list[int]:
    """Every process below this one, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    queue = [os.getpid()]
    while queue:
        for child in children.get(queue.pop(), ()):
            found.append(child)
            queue.append(child)
    return found


def signal_all(sig: int) -> None:
    for pid in descendants():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def end_all() -> None:
    """SIGKILL whatever is left below us, and reap it, until nothing is: a process forked
    meanwhile is adopted by us when its parent dies, so the loop sees it next time."""
    while True:
        signal_all(signal.SIGKILL)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def hide(paths: Iterable[str]) -> None:
    """A mount namespace of our own, where each path is covered by something empty."""
    _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    for path in paths:
        target = os.fsencode(path)
        if pathlib.Path(path).is_dir():
            flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
            _check(libc.mount(b"tmpfs", target, b"tmpfs", flags, b"size=4k,mode=000"), path)
        elif pathlib.Path(path).exists():
            _check(libc.mount(b"/dev/null", target, None, MS_BIND, None), path)


def become_script(plan: dict[str, Any], argv: list[str], launcher: int) -> NoReturn:
    """In the forked child: drop to the script's user, then exec the script."""
    for sig in (signal.SIGTERM, signal.SIGALRM, WORKER_DIED, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    try:
        if plan.get("uid") is not None:
            os.setgroups([])
            os.setgid(plan["gid"])
            os.setuid(plan["uid"])
            if os.getuid() != plan["uid"] or os.geteuid() != plan["uid"]:
                _refuse(f"no se pudo cambiar al usuario {plan['uid']}")
        # Changing credentials cleared the death signal: ask again, for the launcher's death.
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError as exc:
        _refuse(f"no se pudo cambiar de usuario: {exc}")
    if os.getppid() != launcher:
        os._exit(137)
    usable = [path for path in plan["interpreters"] if os.access(path, os.X_OK)]
    if not usable:
        _refuse(f"el usuario del script no puede ejecutar {plan['interpreters'][0]}")
    os.execv(usable[0], [usable[0], *argv])  # noqa: S606 - exec, no shell


def exit_like(status: int) -> NoReturn:
    """End this process the way the script ended: same exit code, or same signal."""
    signal.setitimer(signal.ITIMER_REAL, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status))


def main() -> None:
    plan = json.loads(sys.argv[1])
    argv = sys.argv[2:]
    launcher = os.getpid()
    stopping: list[bool] = []

    def on_term(_sig: int, _frame: FrameType | None) -> None:
        if os.getpid() != launcher or stopping:
            return
        stopping.append(True)
        signal_all(signal.SIGTERM)
        signal.setitimer(signal.ITIMER_REAL, max(float(plan.get("grace", 0)), 0.01))

    def on_kill(_sig: int, _frame: FrameType | None) -> None:
        if os.getpid() == launcher:
            signal_all(signal.SIGKILL)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGALRM, on_kill)
    signal.signal(WORKER_DIED, on_kill)
    try:
        libc.prctl(PR_SET_PDEATHSIG, WORKER_DIED)
        _check(libc.prctl(PR_SET_CHILD_SUBREAPER, 1), "PR_SET_CHILD_SUBREAPER")
    except (OSError, AttributeError) as exc:
        _refuse(str(exc))
    if os.getppid() != plan["parent"]:  # the worker died before the request took effect
        os._exit(137)
    try:
        hide(plan.get("hide", ()))
    except OSError as exc:
        _refuse(f"no se pudieron ocultar las rutas del servicio ({exc})")
    script = os.fork()
    if script == 0:
        become_script(plan, argv, launcher)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:  # cannot happen while the script is our child
            status = 0
            break
        if pid == script:
            break
    end_all()
    exit_like(status)


main()
