"""Never ends on its own and leaves a child in its process group; records both pids in the
file VAR_LOCAL_PIDS so a test can check that the whole group is gone after the timeout."""

import os
import pathlib
import signal
import subprocess
import sys
import time

child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
pathlib.Path(os.environ["VAR_LOCAL_PIDS"]).write_text(f"{os.getpid()} {child.pid}")
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stubborn: only SIGKILL ends it
print("esperando", flush=True)
time.sleep(600)
