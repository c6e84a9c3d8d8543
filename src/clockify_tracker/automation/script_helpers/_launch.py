"""Starts an automation script so that it dies with the worker that runs it.

`python _launch.py <script>`: asks Linux to send SIGKILL to this process when its parent (the
worker process) dies (PR_SET_PDEATHSIG, kept across exec), then replaces itself with the script
on the same interpreter. A worker killed outright does not leave its script running; what the
script itself started is its own process group's business, ended by the runner in the normal
case. Not a script: its name starts with `_`."""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main() -> None:
    script = sys.argv[1]
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the runner's timeout and the reaper still apply
    if os.getppid() == 1:  # the worker died before the request took effect
        sys.exit(137)
    os.execv(sys.executable, [sys.executable, script, *sys.argv[2:]])  # noqa: S606 - exec, no shell


main()
