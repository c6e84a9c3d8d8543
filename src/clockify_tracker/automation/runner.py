"""Running one script: as its unprivileged user (see `sandbox`), through a launcher that
tracks every process it starts; a minimal environment, bounded output, and a timeout or a
cancel that ends the whole tree (SIGTERM, then SIGKILL after a grace period). The run ends
when the script ends: what it left behind is killed then. No database: the caller records
what this returns."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import os
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clockify_tracker.automation import sandbox
from clockify_tracker.automation.progress import parse_marker
from clockify_tracker.config import settings

log = logging.getLogger(__name__)

MAX_OUTPUT = 50_000
# Starts the script as its user, and ends all it started with it (see the file).
LAUNCHER = Path(__file__).resolve().parent / "script_helpers" / "_launch.py"
# The launcher ends the tree within the kill grace; past this much more, the runner kills it.
LAUNCHER_MARGIN_SECONDS = 5.0
CUT_MARKER = "[… {omitted} caracteres anteriores omitidos …]\n"
_READ_CHUNK = 65_536


@dataclass(frozen=True)
class RunResult:
    status: str  # exitoso, advertencia, error
    exit_code: int | None
    output: str
    message: str
    error_message: str | None
    duration_seconds: float
    cancelled: bool = False


OnEvent = Callable[[dict[str, Any]], Awaitable[None]]
# Who asked to cancel the run, checked every CANCEL_POLL_SECONDS while it runs; None: nobody.
CancelCheck = Callable[[], Awaitable[str | None]]
CANCEL_POLL_SECONDS = 0.5


class _Tail:
    """The last MAX_OUTPUT characters of a stream and how many came before them: memory stays
    bounded whatever the script prints."""

    def __init__(self) -> None:
        self.chunks: deque[str] = deque()
        self.size = 0
        self.dropped = 0

    def add(self, text: str) -> None:
        self.chunks.append(text)
        self.size += len(text)
        while self.size - len(self.chunks[0]) >= MAX_OUTPUT:
            first = self.chunks.popleft()
            self.size -= len(first)
            self.dropped += len(first)

    def text(self) -> tuple[str, int]:
        joined = "".join(self.chunks)
        extra = max(0, len(joined) - MAX_OUTPUT)
        return joined[extra:], self.dropped + extra


async def _drain(stream: asyncio.StreamReader | None, tail: _Tail) -> None:
    if stream is None:
        return
    # Incremental: a character split across two reads is decoded whole.
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while chunk := await stream.read(_READ_CHUNK):
        tail.add(decoder.decode(chunk))
    tail.add(decoder.decode(b"", final=True))


async def _drain_lines(
    stream: asyncio.StreamReader | None, tail: _Tail, on_event: OnEvent | None
) -> None:
    """stdout, line by line: progress markers go to `on_event` as they arrive and stay out of
    the stored output; every other line is output."""
    if stream is None:
        return
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    while chunk := await stream.read(_READ_CHUNK):
        pending += decoder.decode(chunk)
        *lines, pending = pending.split("\n")
        for line in lines:
            await _line(line, tail, on_event)
        if len(pending) > _READ_CHUNK:  # a line that never ends is output, not a marker
            tail.add(pending)
            pending = ""
    pending += decoder.decode(b"", final=True)
    if pending:
        await _line(pending, tail, on_event, newline="")


async def _line(line: str, tail: _Tail, on_event: OnEvent | None, newline: str = "\n") -> None:
    event = parse_marker(line.rstrip("\r"))
    if event is None:
        tail.add(line + newline)
    elif on_event is not None:
        try:
            await on_event(event)
        except Exception:  # the live view is a courtesy: never fail the run over it
            log.warning("could not record a progress event", exc_info=True)


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def combine(stdout: _Tail, stderr: _Tail) -> tuple[str, str]:
    """The stored output (stdout, then stderr under a marker), cut to MAX_OUTPUT keeping the
    end; and stderr alone, for the warning rule."""
    out, out_dropped = stdout.text()
    err, err_dropped = stderr.text()
    combined = out + (("\n--- stderr ---\n" + err) if err else "")
    dropped = out_dropped + err_dropped + max(0, len(combined) - MAX_OUTPUT)
    combined = combined[-MAX_OUTPUT:]
    if dropped:
        combined = CUT_MARKER.format(omitted=f"{dropped:,}") + combined
    return combined, err


async def run_script(
    interpreter: str,
    script: Path,
    *,
    cwd: Path,
    env: Mapping[str, str],
    time_limit: float,
    kill_grace: float,
    on_event: OnEvent | None = None,
    cancelled_by: CancelCheck | None = None,
    plan: sandbox.Plan | None = None,
) -> RunResult:
    started = time.monotonic()
    stdout, stderr = _Tail(), _Tail()
    if plan is None:
        try:
            plan = await _plan(interpreter, script, cwd, env)
        except sandbox.IsolationError as exc:
            return RunResult("error", None, "", "No se pudo iniciar el script", str(exc),
                             time.monotonic() - started)  # fmt: skip
    if plan.warning:
        stdout.add(plan.warning)
    argument = plan.argument(sandbox.interpreters(interpreter), kill_grace)
    try:
        process = await asyncio.create_subprocess_exec(
            interpreter, str(LAUNCHER), argument, str(script), cwd=cwd, env=dict(env),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
    except OSError as exc:
        return RunResult("error", None, "", "No se pudo iniciar el script",
                         f"No se pudo iniciar el script: {exc.strerror or exc}",
                         time.monotonic() - started)  # fmt: skip
    pgid = process.pid  # start_new_session: the launcher leads its own group
    readers = asyncio.gather(
        _drain_lines(process.stdout, stdout, on_event), _drain(process.stderr, stderr)
    )
    ended = asyncio.ensure_future(process.wait())
    deadline = started + time_limit
    stop_reason: str | None = None  # "timeout", or who cancelled
    while stop_reason is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            stop_reason = "timeout"
            break
        poll = min(remaining, CANCEL_POLL_SECONDS) if cancelled_by else remaining
        done, _ = await asyncio.wait({ended}, timeout=poll)
        if done:
            break
        if cancelled_by is not None and (who := await cancelled_by()):
            stop_reason = f"cancel:{who}"
    if stop_reason is not None:
        # The launcher sends SIGTERM to the whole tree, SIGKILL after the grace, then exits.
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        done, _ = await asyncio.wait({ended}, timeout=kill_grace + LAUNCHER_MARGIN_SECONDS)
        if not done:  # not expected: the launcher is ours; its group goes, pipes or not
            _kill_group(pgid, signal.SIGKILL)
            await asyncio.wait({ended}, timeout=LAUNCHER_MARGIN_SECONDS)
    # The launcher has killed what the script left behind; its group goes too, in case.
    _kill_group(pgid, signal.SIGKILL)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(readers, 5)
    duration = time.monotonic() - started
    output, err = combine(stdout, stderr)
    code = process.returncode
    if stop_reason == "timeout":
        minutes = f"{time_limit / 60:g}"
        text = f"Se superó el tiempo límite de {minutes} min; el proceso fue terminado"
        return RunResult("error", code, output, text, text, duration)
    if stop_reason is not None:
        text = f"Ejecución cancelada por {stop_reason.removeprefix('cancel:')}"
        return RunResult("error", code, output, text, text, duration, cancelled=True)
    if code != 0:
        text = f"El script terminó con código {code}"
        return RunResult("error", code, output, text, _last_line(err) or text, duration)
    if err.strip():
        return RunResult("advertencia", code, output,
                         "Ejecución completada con advertencias", None, duration)  # fmt: skip
    return RunResult("exitoso", code, output, "Ejecución completada exitosamente", None, duration)


async def _plan(interpreter: str, script: Path, cwd: Path, env: Mapping[str, str]) -> sandbox.Plan:
    return await asyncio.to_thread(
        sandbox.plan_for, settings, script=script, cwd=cwd, interpreter=interpreter,
        organization_folder=env.get("VAR_LOCAL_DATABASE_NAME", ""),
    )  # fmt: skip


def _last_line(text: str) -> str | None:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:1000] if lines else None
