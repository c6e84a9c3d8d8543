"""Who a script runs as, and what it must not see: the plan the launcher carries out
(`script_helpers/_launch.py`).

A worker that can change users (root, or CAP_SETUID and CAP_SETGID) runs every script as
AUTOMATION_RUN_AS_USER, created with `useradd --system` when missing and the worker is root.
The kernel then keeps the worker's /proc/<pid>/environ and memory from the script, and file
permissions keep what only the worker's user may read. When the worker may also create mount
namespaces (CAP_SYS_ADMIN), the launcher covers, for that script alone, the service's `.env*`
files and `var/` folder (in the worker's working directory) and every other organization's
`org_*` folder of AUTOMATIONS_DIR. A worker that cannot change users refuses to run scripts
unless AUTOMATION_ALLOW_UNISOLATED is true: then they run as the worker's own user, with a
warning on top of each run's output."""

from __future__ import annotations

import atexit
import json
import logging
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from clockify_tracker.config import Settings

log = logging.getLogger(__name__)

CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN = 6, 7, 21
HELPERS_DIR = Path(__file__).resolve().parent / "script_helpers"
# What a script may import from us (its PYTHONPATH): the progress helper alone.
SCRIPT_HELPERS = ("sat_progress.py",)
# Interpreters tried, after the configured one, when the scripts' user cannot execute it (a
# base Python under root's home, as pyenv installs it): the system's, which sees no service
# package either. Never for the scripts' own virtualenv: its packages are the point.
SYSTEM_PYTHONS = ("/usr/local/bin/python3", "/usr/bin/python3")
UNISOLATED_WARNING = (
    "[aviso] Este script se ejecutó con el usuario del worker (AUTOMATION_ALLOW_UNISOLATED): "
    "pudo leer la configuración y los secretos del servicio\n"
)
_PROBE = "import ctypes, sys; sys.exit(ctypes.CDLL(None, use_errno=True).unshare(0x00020000) != 0)"


@cache
def shared_helpers() -> Path:
    """A copy of the scripts' helpers that the scripts' user can read wherever the service is
    installed (a checkout under root's home is closed to it): a folder of a random name, made
    by this process, readable by all and writable by none but its owner."""
    folder = Path(tempfile.mkdtemp(prefix="clockify-tracker-helpers-"))
    for name in SCRIPT_HELPERS:
        target = folder / name
        shutil.copyfile(HELPERS_DIR / name, target)
        target.chmod(0o644)
    folder.chmod(0o755)
    atexit.register(shutil.rmtree, folder, True)
    return folder


class IsolationError(Exception):
    """The script must not run; the message, in Spanish, says why and what to set."""


@dataclass(frozen=True)
class Plan:
    uid: int | None  # None: the worker's own user (unisolated)
    gid: int | None
    hide: tuple[str, ...]
    warning: str | None = None

    def argument(self, interpreters: list[str], grace: float) -> str:
        """The launcher's first argument."""
        return json.dumps({
            "uid": self.uid, "gid": self.gid, "hide": list(self.hide), "grace": grace,
            "interpreters": interpreters, "parent": os.getpid(),
        })  # fmt: skip


def _capabilities() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return 0


def _has(capabilities: int, *wanted: int) -> bool:
    return all(capabilities >> bit & 1 for bit in wanted)


@cache
def can_hide_paths() -> bool:
    """Whether this process may give a child a mount namespace of its own (asked once)."""
    if not _has(_capabilities(), CAP_SYS_ADMIN):
        return False
    try:
        probe = subprocess.run([sys.executable, "-c", _PROBE], timeout=10, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def scripts_user(name: str) -> pwd.struct_passwd:
    """The scripts' user; created as a system user (no home, no shell) when missing and this
    process is root. Two workers creating it at once: the loser finds it made."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    if os.geteuid() != 0 or not Path(useradd).is_file():
        raise IsolationError(
            f"No existe el usuario {name!r} de AUTOMATION_RUN_AS_USER y el worker no puede "
            "crearlo: créalo (useradd --system) o corre el worker como root"
        )
    created = subprocess.run(  # noqa: S603 - fixed program, the name is one argument
        [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", "--comment", "clockify-tracker automations", name],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise IsolationError(f"No se pudo crear el usuario {name!r} de AUTOMATION_RUN_AS_USER: "
                      f"{created.stderr.strip() or created.returncode}") from None  # fmt: skip


def hidden_paths(
    service_dir: Path, automations_dir: Path, own_folder: str, needed: list[Path]
) -> tuple[str, ...]:
    """The service's `.env*` files (not `.env.example`) and `var/`, and every other `org_*`
    folder; never a path the run itself needs (the scripts, the interpreter, the helpers)."""
    candidates = [service_dir / "var"]
    if service_dir.is_dir():
        candidates += [p for p in service_dir.iterdir()
                       if p.name.startswith(".env") and p.name != ".env.example"]  # fmt: skip
    if automations_dir.is_dir():
        candidates += [
            p
            for p in automations_dir.iterdir()
            if p.is_dir() and p.name.startswith("org_") and p.name != own_folder
        ]
    needs = [path.resolve() for path in needed]
    hidden: list[str] = []
    for candidate in candidates:
        if not candidate.exists():
            continue
        real = candidate.resolve()
        if not any(need == real or need.is_relative_to(real) for need in needs):
            hidden.append(str(real))
    return tuple(sorted(hidden))


def plan_for(
    settings: Settings,
    *,
    script: Path,
    cwd: Path,
    interpreter: str,
    organization_folder: str,
    service_dir: Path | None = None,
) -> Plan:
    """How this script runs; IsolationError when it must not run at all."""
    name = settings.automation_run_as_user.strip()
    if name and _has(_capabilities(), CAP_SETUID, CAP_SETGID):
        user = scripts_user(name)
        if user.pw_uid == 0 or user.pw_gid == 0:
            raise IsolationError(f"AUTOMATION_RUN_AS_USER ({name!r}) no puede ser root")
        hide: tuple[str, ...] = ()
        if can_hide_paths():
            hide = hidden_paths(
                (service_dir or Path.cwd()).resolve(), settings.automations_dir.resolve(),
                organization_folder, [script, cwd, Path(interpreter), shared_helpers()],
            )  # fmt: skip
        else:
            _warn_once("scripts run as %s, but this worker cannot create mount namespaces "
                       "(no CAP_SYS_ADMIN): .env, var/ and other organizations' folders are "
                       "protected only by file permissions", name)  # fmt: skip
        return Plan(user.pw_uid, user.pw_gid, hide)
    if settings.automation_allow_unisolated:
        _warn_once("scripts run as the worker's own user (AUTOMATION_ALLOW_UNISOLATED=true): "
                   "they can read the service's environment and files")  # fmt: skip
        return Plan(None, None, (), UNISOLATED_WARNING)
    reason = (
        f"el worker no puede cambiar al usuario {name!r} (no corre como root)"
        if name
        else "AUTOMATION_RUN_AS_USER está vacío"
    )
    raise IsolationError(f"No se ejecutó el script sin aislamiento: {reason}. Corre el worker como "
                  "root (lo baja a ese usuario) o, solo en desarrollo, pon "
                  "AUTOMATION_ALLOW_UNISOLATED=true")  # fmt: skip


def interpreters(interpreter: str) -> list[str]:
    """The configured interpreter, then the system's when it is a base Python."""
    if ".venv" in Path(interpreter).parts:
        return [interpreter]
    return [interpreter, *(p for p in SYSTEM_PYTHONS if p != interpreter and Path(p).is_file())]


_warned: set[str] = set()


def _warn_once(message: str, *args: object) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning(message, *args)
