"""Starts a child that leaves with `setsid` and one in its own group, both sleeping 300 s,
records their pids in VAR_LOCAL_PIDS, and exits at once: the run must end with it, and
both children with the run."""

import os
import pathlib
import subprocess
import sys

sleep = [sys.executable, "-c", "import time; time.sleep(300)"]
escaped = subprocess.Popen(sleep, start_new_session=True)
grouped = subprocess.Popen(sleep)
pathlib.Path(os.environ["VAR_LOCAL_PIDS"]).write_text(f"{escaped.pid} {grouped.pid}")
print("hijos iniciados", flush=True)
