"""Starts a child that leaves with `setsid` and ignores SIGTERM, records its pid and its own
in VAR_LOCAL_PIDS, and waits: a cancel or the time limit must end both."""

import os
import pathlib
import subprocess
import sys
import time

stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"
escaped = subprocess.Popen([sys.executable, "-c", stubborn], start_new_session=True)
pathlib.Path(os.environ["VAR_LOCAL_PIDS"]).write_text(f"{os.getpid()} {escaped.pid}")
print("esperando", flush=True)
time.sleep(300)
