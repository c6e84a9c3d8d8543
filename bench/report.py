"""How fast and how lean is a monthly report of 100,000 sessions built from PostgreSQL?

Seeds one organization with USERS users and SESSIONS sessions in November 2026, then runs, each
in a fresh process so its peak memory is its own:
  reference     a bare openpyxl write-only loop writing the same number of rows and columns
                (values made in memory, one sheet, no styles): the floor for openpyxl itself
  coordinators  the coordinators' workbook as the worker builds it: rows streamed from a
                server-side cursor, a sheet per user with totals and a chart, and a summary
  whole job     (--whole) the scheduled job's build: the coordinators' workbook plus every
                user's own workbook
Prints seconds, rows/s, peak RSS and its growth over the process's RSS before building, and
the ratio of each run's time to the reference's. Targets: coordinators <= 1.5x, < 150 MiB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

COLUMNS = 16
PERIOD = (date(2026, 11, 1), date(2026, 11, 30))


def _rss_mib() -> float:
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_reference(rows: int, out: Path) -> dict[str, Any]:
    from openpyxl import Workbook

    start_at = datetime(2026, 11, 2, 9, 0)  # noqa: DTZ001 - Excel wall-clock, as the report
    before = _rss_mib()
    started = time.perf_counter()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sesiones")
    for n in range(rows):
        moment = start_at + timedelta(minutes=n)
        sheet.append([
            moment.date(), "lunes", "Proyecto 3", None, f"Sesión {n}", moment, moment,
            "America/Mexico_City", 3.0, 0.125, 3.0, 0.125, "No", "APROBADO", 0, "No",
        ])  # fmt: skip
    workbook.save(out)
    return {"seconds": time.perf_counter() - started, "before": before, "peak": _peak_mib()}


def run_coordinators(whole: bool, out: Path) -> dict[str, Any]:
    from clockify_tracker.config import settings
    from clockify_tracker.kit.db import Database
    from clockify_tracker.report import service
    from clockify_tracker.report.periods import Period

    async def build() -> dict[str, Any]:
        database = Database(settings.database_url, pool_size=1)
        spec = service.JobSpec(1, 1, int(os.environ["BENCH_ORG"]), "monthly",
                               Period("monthly", *PERIOD), None)  # fmt: skip
        before = _rss_mib()
        started = time.perf_counter()
        async with database.unit_of_work() as session:
            if whole:
                built = await session.run_sync(
                    service._build_files, spec, out.parent, datetime.now(UTC)
                )
                assert built.main is not None
                sessions = built.main.totals.sessions
            else:
                built_file = await session.run_sync(_coordinators_only, spec, out)
                sessions = built_file
        seconds = time.perf_counter() - started
        await database.dispose()
        return {"seconds": seconds, "before": before, "peak": _peak_mib(), "sessions": sessions}

    return asyncio.run(build())


def _coordinators_only(session: Any, spec: Any, out: Path) -> int:
    from clockify_tracker.report import repository, service
    from clockify_tracker.report.workbook import ReportPeriod, coordinators_workbook

    period = spec.period
    users = repository.report_users(session, spec.organization_id, period.start, period.end, None)
    rows = repository.stream_sessions(session, spec.organization_id, period.start, period.end, None)
    totals = coordinators_workbook(
        out, ReportPeriod("mensual", period.start, period.end),
        service._by_user(users, rows, period, datetime.now(UTC)),
    )  # fmt: skip
    return sum(t.sessions for t in totals)


SEED_USERS = """
INSERT INTO clockify_user (organization_id, external_id, name, email, hours_per_month)
SELECT $1, 'bench-user-' || g, 'Usuario ' || lpad(g::text, 4, '0'),
       'usuario' || g || '@example.com', 160
FROM generate_series(1, $2) AS g
"""
SEED_SESSIONS = """
INSERT INTO clockify_session (
    organization_id, external_id, clockify_user_id, workspace_id, description, project_name,
    start_at, end_at, duration_seconds, currently_running, time_zone, local_date, status,
    valid_start_at, valid_end_at, valid_duration_seconds, updating_quantity, overtime)
SELECT $1, 'bench-' || u.id || '-' || n, u.id, 'bench-workspace', 'Sesión ' || n,
       'Proyecto ' || (n % 7), t.start_at, t.start_at + interval '3 hours', 10800, false,
       'America/Mexico_City', (t.start_at AT TIME ZONE 'America/Mexico_City')::date,
       CASE WHEN n % 10 = 0 THEN 'EN OBSERVACION' ELSE 'APROBADO' END,
       t.start_at, t.start_at + interval '3 hours', 10800, n % 3, n % 50 = 0
FROM clockify_user u
CROSS JOIN generate_series(1, $2) AS n
CROSS JOIN LATERAL (
    SELECT timestamptz '2026-11-01 15:00+00' + ((n - 1) % 29) * interval '1 day'
           + ((n - 1) / 29) * interval '3 hours 30 minutes' AS start_at
) AS t
"""


async def seed(users: int, per_user: int) -> int:
    import asyncpg

    from clockify_tracker.config import settings

    dsn = settings.database_url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        organization_id: int = await connection.fetchval(
            "INSERT INTO organization (name, slug, database_name) "
            "VALUES ('Bench', 'bench', 'org_bench') RETURNING id"
        )
        await connection.execute(SEED_USERS, organization_id, users)
        await connection.execute(SEED_SESSIONS, organization_id, per_user)
        await connection.execute("ANALYZE clockify_session; ANALYZE clockify_user")
    finally:
        await connection.close()
    return organization_id


def child(kind: str, rows: int, env: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.xlsx"
        command = [sys.executable, "-m", "bench.report", "--child", kind,
                   "--rows", str(rows), "--out", str(out)]  # fmt: skip
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        figures["size_mib"] = out.stat().st_size / 2**20 if out.exists() else 0.0
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--sessions-per-user", type=int, default=100)
    parser.add_argument("--whole", action="store_true", help="also time the whole monthly job")
    parser.add_argument("--child", choices=["reference", "coordinators", "whole"])
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    if args.child:
        if args.child == "reference":
            figures = run_reference(args.rows, args.out)
        else:
            figures = run_coordinators(args.child == "whole", args.out)
        print(json.dumps(figures))
        return

    from bench._services import configure_bench_environment

    configure_bench_environment()
    rows = args.users * args.sessions_per_user
    started = time.perf_counter()
    organization_id = asyncio.run(seed(args.users, args.sessions_per_user))
    print(f"seeded {args.users} users, {rows} sessions in {time.perf_counter() - started:.1f}s")
    env = {**os.environ, "BENCH_ORG": str(organization_id)}
    runs = ["reference", "coordinators", *(["whole"] if args.whole else [])]
    results = {kind: child(kind, rows, env) for kind in runs}
    reference = results["reference"]["seconds"]
    print(f"{'run':<13}{'seconds':>9}{'rows/s':>10}{'ratio':>7}{'peak MiB':>10}"
          f"{'growth MiB':>12}{'file MiB':>10}")  # fmt: skip
    for kind, figures in results.items():
        seconds = figures["seconds"]
        print(
            f"{kind:<13}{seconds:>9.2f}{rows / seconds:>10,.0f}{seconds / reference:>7.2f}"
            f"{figures['peak']:>10.1f}{figures['peak'] - figures['before']:>12.1f}"
            f"{figures['size_mib']:>10.1f}"
        )
    coordinators = results["coordinators"]
    assert coordinators["sessions"] == rows, coordinators


if __name__ == "__main__":
    main()
