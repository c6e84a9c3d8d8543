"""Progress reporting for automation scripts: `from sat_progress import SATProgress`.

Scripts run by clockify-tracker can import this module (the runner puts its folder on
PYTHONPATH). Each call writes one line to stdout, `@@SAT_PROGRESS {json}`, which the runner
reads as it arrives to update the execution's live status, and leaves out of the stored output.
Run by hand (no VAR_LOCAL_EXECUTION_ID), the calls print readable text instead.

    progress = SATProgress()
    progress.start_phase("recopilacion")      # a phase id from the metadata, or its name
    for n, item in enumerate(items, 1):
        ...
        progress.progress(n, len(items))
    progress.complete_phase()
    progress.message("warning", "2 registros sin RFC")
    progress.finish("Listo: 150 registros")

The module-level functions do the same on a shared instance: `start_phase`, `complete_phase`,
`progress`, `message`, `finish`, `fail`. This file has no dependencies beyond the standard
library and must not get any: it runs in the scripts' own interpreter.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

MARKER = "@@SAT_PROGRESS "
LEVELS = ("info", "warning", "error")


class SATProgress:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self.execution_id = os.environ.get("VAR_LOCAL_EXECUTION_ID")
        self._phase: str | None = None

    def _emit(self, event: str, text: str, **fields: Any) -> None:
        if self.execution_id:
            line = MARKER + json.dumps({"event": event, **fields}, ensure_ascii=False)
        else:
            line = text
        print(line, file=self._stream, flush=True)

    def start_phase(self, phase: str) -> None:
        """Enter a phase, by the id of `fases` in the metadata block (or its name)."""
        self._phase = phase
        self._emit("phase_start", f"[fase] {phase}", id=phase)

    def complete_phase(self) -> None:
        self._emit("phase_complete", f"[fase completada] {self._phase}", id=self._phase)
        self._phase = None

    def progress(self, processed: int, total: int | None = None) -> None:
        """Items done in the current phase, of `total` when known."""
        shown = f"{processed}/{total}" if total else str(processed)
        self._emit("progress", f"[progreso] {shown}", items_processed=processed, items_total=total)

    def message(self, level: str, text: str) -> None:
        level = level if level in LEVELS else "info"
        self._emit("log", f"[{level}] {text}", level=level, message=text)

    def info(self, text: str) -> None:
        self.message("info", text)

    def warning(self, text: str) -> None:
        self.message("warning", text)

    def error(self, text: str) -> None:
        self.message("error", text)

    def finish(self, text: str = "") -> None:
        self._emit("finish", f"[fin] {text}", message=text)

    def fail(self, text: str) -> None:
        self._emit("fail", f"[error] {text}", error=text)


_default = SATProgress()
start_phase = _default.start_phase
complete_phase = _default.complete_phase
progress = _default.progress
message = _default.message
finish = _default.finish
fail = _default.fail
