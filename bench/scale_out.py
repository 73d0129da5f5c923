"""Scale-out: one broadcast through the real `coproduce webhook` and `coproduce worker`
processes (the commands compose.yaml runs), on PostgreSQL and Redis, with 1, 2 and 4 of each,
and the elected background worker killed with SIGKILL a third of the way through.

For each size it prints, from the emulator's own tally (what Telegram would have seen):
msg/s over the whole send (first to last message, the kill included), 429s the bot caused
(the flood limit's refusals), the most messages in any sliding second, recipients lost and
sent twice, and the takeover: seconds from the kill to the next message. With one background
worker there is no standby: it is started again at once, as a supervisor would, so its
takeover includes a process start. Targets (issue 14): >= 29 msg/s, 0 self-caused 429s,
0 lost, <= 1 duplicate per kill, takeover <= 10 s.

What it does not do: the broadcast is queued straight into the database (the facilitator's
dialog and the webhook workers' replies are exercised by tests/test_scale_out.py), so the
webhook workers only answer health checks here; the runs are one after another, not
interleaved (each needs the whole machine and the same Telegram budget).

    .venv/bin/python bench/scale_out.py [--recipients 10000] [--sizes 1 2 4]
        [--postgres URL] [--redis URL]

It uses (and empties) the PostgreSQL database and the Redis database it is given;
COPRODUCE_TEST_POSTGRES_URL / COPRODUCE_TEST_REDIS_URL by default. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis.asyncio import Redis
from sqlalchemy import select

from bot.delivery import enqueue_message
from storage.db import create_engine, create_session_factory
from storage.models import Membership, OutboxKind
from tests.cluster import Cluster, Process, seed_team
from tests.conftest import reset_postgres

TOKEN = "987654321:" + "B" * 35
FIRST_ID = 8_000_000
TEXT = "The meeting on Thursday is moved to the library."


async def _queue_broadcast(database_url: str, project_id: int) -> None:
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    async with sessions() as session:
        members = list(
            (
                await session.execute(
                    select(Membership.participant_id).where(Membership.project_id == project_id)
                )
            ).scalars()
        )
        await enqueue_message(
            session,
            kind=OutboxKind.BROADCAST,
            recipients=members,
            now=datetime.now(UTC),
            source_locale="en",
            texts={"en": TEXT},
            project_id=project_id,
        )
        await session.commit()
    await engine.dispose()


def _received(cluster: Cluster) -> dict:
    return cluster.emulator.traffic.received.get(TEXT, {})


async def _until(condition, every: float, deadline: float = float("inf")) -> None:
    """Poll the emulator's tally (it sends no event) until `condition()` or the deadline."""
    while not condition() and time.monotonic() < deadline:  # noqa: ASYNC110 - see above
        await asyncio.sleep(every)


async def run(size: int, recipients: int, postgres: str, redis_url: str, workdir: Path) -> dict:
    await reset_postgres(postgres)
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()
    cluster = Cluster(workdir, postgres, redis_url, TOKEN, webhooks=size, workers=size)
    await cluster.start()
    try:
        project_id, _code = await seed_team(postgres, cluster.emulator, recipients, FIRST_ID)
        await _queue_broadcast(postgres, project_id)
        await _until(lambda: len(_received(cluster)) >= recipients // 3, 0.1)
        leader = await cluster.leader()
        before = len(_received(cluster))
        leader.kill()
        killed = time.monotonic()
        if size == 1:  # no standby: a supervisor starts it again
            await leader.process.wait()
            leader.log_file.close()
            restarted = Process(
                leader.role, leader.command, leader.env, leader.log_path, leader.port
            )
            cluster.processes.append(restarted)
            await restarted.start()
        await _until(lambda: len(_received(cluster)) > before, 0.02)
        takeover = time.monotonic() - killed
        deadline = time.monotonic() + recipients / 10 + 120
        await _until(lambda: len(_received(cluster)) >= recipients, 0.2, deadline)
        await asyncio.sleep(2)  # anything still on its way (a late duplicate) is counted too
        received = _received(cluster)
        traffic = cluster.emulator.traffic
        return {
            "size": size,
            "msg/s": recipients / traffic.span_seconds() if traffic.span_seconds() else 0.0,
            "429s": traffic.flood_refusals,
            "max in any second": traffic.max_in_any_second(),
            "lost": recipients - len(received),
            "duplicated": sum(n - 1 for n in received.values() if n > 1),
            "takeover s": takeover,
        }
    finally:
        await cluster.stop()


async def main(args: argparse.Namespace) -> int:
    if not args.postgres or not args.redis:
        print("needs --postgres and --redis (or COPRODUCE_TEST_POSTGRES_URL / _REDIS_URL)")
        return 2
    results = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="coproduce-scale-") as workdir:
            print(f"{size} webhook + {size} background workers, {args.recipients} recipients ...")
            results.append(
                await run(size, args.recipients, args.postgres, args.redis, Path(workdir))
            )
    print()
    print(
        f"{'workers':>7} {'msg/s':>6} {'429s':>5} {'max/s':>5} {'lost':>5} {'dup':>4} "
        f"{'takeover s':>10}"
    )
    ok = True
    for r in results:
        print(
            f"{r['size']:>7} {r['msg/s']:>6.1f} {r['429s']:>5} {r['max in any second']:>5} "
            f"{r['lost']:>5} {r['duplicated']:>4} {r['takeover s']:>10.1f}"
        )
        ok &= (
            r["msg/s"] >= 29
            and r["429s"] == 0
            and r["lost"] == 0
            and r["duplicated"] <= 1
            and r["takeover s"] <= 10
        )
    print(
        "targets (>= 29 msg/s, 0 429s, 0 lost, <= 1 duplicate, takeover <= 10 s):",
        "met" if ok else "NOT met",
    )
    return 0 if ok else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--postgres", default=os.environ.get("COPRODUCE_TEST_POSTGRES_URL"))
    parser.add_argument("--redis", default=os.environ.get("COPRODUCE_TEST_REDIS_URL"))
    return parser


if __name__ == "__main__":
    sys.exit(asyncio.run(main(_parser().parse_args())))
