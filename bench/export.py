"""Exporting one million feedback answers: seconds and peak memory for CSV and XLSX, beside
`sqlite3 -csv` dumping the same table in the same run.

The database is a SQLite file built by the migrations and filled with a fast bulk insert
(one project, 5,000 people, some quoted and some anonymous, text in Welsh, Polish and Arabic).
Each export runs in a child process through the same code as `coproduce export`; its peak
memory is the child's own maximum resident set size (os.wait4), so nothing in this process
counts. Python's start-up and imports count too (sqlite3 is a process as well).
Targets: CSV within 2x of sqlite3, every export under 300 MB.

    .venv/bin/python bench/export.py [--rows 1000000] [--quick] [--skip-xlsx] [--database PATH]

--database keeps the built database at PATH (and reuses it if it is already there with as
many rows), so repeated runs skip the build.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.services import exports
from storage.db import create_engine, create_session_factory, upgrade

PEOPLE = 5_000
MEMORY_TARGET_MB = 300
RATIO_TARGET = 2.0
TEXTS = (
    "The bus was late again and I missed the start.",
    "Roedd y cyfarfod yn dda iawn, diolch. Ŵyr i'n hapus.",
    "Spotkanie było dobre, ale sala była za mała. Łódź.",
    "كان الاجتماع مفيدا جدا، شكرا لكم",
    '=HYPERLINK("http://example.com","click")',
    None,
)
TOPICS = ("Waiting times", "Transport", "Staff", "")


async def build(path: Path, rows: int) -> None:
    """The schema by the migrations; the rows by one executemany on the raw driver (fast)."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    await engine.dispose()
    rng = random.Random(8)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA synchronous=OFF")
        db.execute(
            "INSERT INTO project (id, name, description, timezone, default_locale, created_at, "
            "ground_rules, feedback_topics) VALUES (1, 'Carers'' voice', '', 'Europe/London', "
            "'en', '2025-01-01 00:00:00.000000', '', '')"
        )
        db.executemany(
            "INSERT INTO participant (id, telegram_id, created_at, last_seen_at, display_name, "
            "may_quote, may_use_name, messages_per_week) VALUES (?, ?, ?, ?, ?, ?, ?, 3)",
            (
                (
                    i,
                    10_000_000 + i,
                    "2025-01-01 00:00:00.000000",
                    "2025-01-01 00:00:00.000000",
                    f"Person {i}",
                    i % 3 != 0,
                    i % 2 == 0,
                )
                for i in range(1, PEOPLE + 1)
            ),
        )

        def feedback():
            for i in range(1, rows + 1):
                at = start + timedelta(seconds=i * 30)
                stamp = at.strftime("%Y-%m-%d %H:%M:%S.%f")
                yield (
                    i,
                    1,
                    rng.randint(1, PEOPLE),
                    rng.choice(TOPICS),
                    rng.randint(1, 5),
                    rng.choice(TEXTS),
                    rng.random() < 0.4,
                    stamp,
                    stamp,
                )

        db.executemany(
            "INSERT INTO feedback (id, project_id, participant_id, topic, rating, text, "
            "anonymous, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            feedback(),
        )


async def child_export(database: Path, fmt: str, out: Path) -> dict:
    """What one child process does: the feedback export, as `coproduce export` makes it."""
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with create_session_factory(engine)() as session:
            result = await exports.export(
                session,
                exports.ExportRequest(1, ("feedback",), exports.Format(fmt)),
                out,
                secret=b"bench" * 8,
                workers=exports.parallel.cores(),
            )
            await session.rollback()  # the benchmark keeps no audit entries
    finally:
        await engine.dispose()
    return {"rows": result.rows["feedback"], "bytes": sum(f.stat().st_size for f in result.files)}


# A small Python process runs each measured program and reports its children's peak memory.
# (Linux carries a process's peak over into what it starts, so this process, which built the
# database, must not start them itself.)
LAUNCHER = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
    "sys.exit(code)"
)


def measured(command: list[str], workdir: Path, stdout=None) -> tuple[float, float, str]:
    """Run a program; its wall seconds, its peak memory (MB) and what it printed."""
    peak_file = workdir / "peak"
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(peak_file), *command],
        stdout=stdout or subprocess.PIPE,
        check=True,
    )
    seconds = time.perf_counter() - started
    peak_kb = int(peak_file.read_text())  # ru_maxrss is in kilobytes on Linux
    return seconds, peak_kb / 1024, (finished.stdout or b"").decode()


def main(args: argparse.Namespace) -> int:
    rows = 20_000 if args.quick else args.rows
    print(f"export benchmark: {rows:,} feedback rows, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="coproduce-bench-") as tmp:
        workdir = Path(tmp)
        database = Path(args.database) if args.database else workdir / "bench.db"
        if not _has_rows(database, rows):
            database.unlink(missing_ok=True)
            started = time.perf_counter()
            asyncio.run(build(database, rows))
            print(f"  built the database in {time.perf_counter() - started:.1f} s", end="")
        else:
            print("  reused the database", end="")
        print(f": {database.stat().st_size / 1e6:.0f} MB")

        sqlite_cli = shutil.which("sqlite3")
        dump = workdir / "sqlite3.csv"
        if sqlite_cli:
            reference = [sqlite_cli, "-csv", str(database), "SELECT * FROM feedback"]
            label = "sqlite3 -csv"
        else:  # no sqlite3 program: Python's own driver writing the same table as CSV
            reference = [sys.executable, __file__, "--dump", str(database)]
            label = "python sqlite3 (no CLI)"
        with dump.open("wb") as out:
            base_seconds, base_mb, _ = measured(reference, workdir, stdout=out)
        print(f"  {'':<22} {'rows':>9} {'seconds':>8} {'peak RSS':>9} {'vs sqlite3':>10}")
        print(
            f"  {label:<22} {rows:>9,} {base_seconds:>8.2f} {base_mb:>6.0f} MB {'1.0x':>10}"
            f"  ({dump.stat().st_size / 1e6:.0f} MB)"
        )

        verdicts = []
        for fmt in ("csv",) if args.skip_xlsx else ("csv", "xlsx"):
            command = [sys.executable, __file__, "--child", str(database), fmt, str(workdir / fmt)]
            seconds, peak_mb, printed = measured(command, workdir)
            figures = json.loads(printed.strip().splitlines()[-1])
            ratio = seconds / base_seconds
            print(
                f"  {'coproduce ' + fmt:<22} {figures['rows']:>9,} {seconds:>8.2f} "
                f"{peak_mb:>6.0f} MB {ratio:>9.1f}x  ({figures['bytes'] / 1e6:.0f} MB)"
            )
            verdicts.append((f"{fmt} rows match the table", figures["rows"] == rows, ""))
            verdicts.append(
                (
                    f"{fmt} peak memory under {MEMORY_TARGET_MB} MB",
                    peak_mb < MEMORY_TARGET_MB,
                    f"{peak_mb:.0f} MB",
                )
            )
            if fmt == "csv":
                verdicts.append(
                    (
                        f"csv within {RATIO_TARGET:.0f}x of sqlite3",
                        ratio <= RATIO_TARGET,
                        f"{ratio:.2f}x",
                    )
                )
    print("targets:")
    for name, met, figure in verdicts:
        print(f"  {'MET ' if met else 'MISSED'} {name}{f' ({figure})' if figure else ''}")
    ok = all(met for _, met, _ in verdicts)
    print(f"overall: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def _has_rows(database: Path, rows: int) -> bool:
    if not database.exists():
        return False
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM feedback").fetchone()[0] == rows
    except sqlite3.Error:
        return False


def dump_with_python(database: str) -> None:
    import csv

    with sqlite3.connect(database) as db:
        csv.writer(sys.stdout).writerows(db.execute("SELECT * FROM feedback"))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 rows: a smoke run")
    parser.add_argument("--skip-xlsx", action="store_true", help="CSV only (XLSX is slow)")
    parser.add_argument("--database", help="keep (and reuse) the built database at this path")
    parser.add_argument("--child", nargs=3, metavar=("DB", "FORMAT", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--dump", metavar="DB", help=argparse.SUPPRESS)
    return parser


if __name__ == "__main__":
    arguments = _parser().parse_args()
    if arguments.child:
        database, fmt, out = arguments.child
        print(json.dumps(asyncio.run(child_export(Path(database), fmt, Path(out)))), flush=True)
        sys.exit(0)
    if arguments.dump:
        dump_with_python(arguments.dump)
        sys.exit(0)
    sys.exit(main(arguments))
