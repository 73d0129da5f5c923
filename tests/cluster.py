"""Coproduce as compose.yaml runs it, as real processes on this machine: the commands of the
compose file's bot services (through deploy/entrypoint.sh, which migrates first), webhook
workers behind a round-robin proxy, background workers that elect one leader, and the local
Telegram emulator in this process. Used by tests/test_scale_out.py and bench/scale_out.py.

Only 127.0.0.1 is used; every process is stopped (or killed) by `stop()`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import yaml
from sqlalchemy import insert, select

from bot.emulator import TelegramEmulator
from bot.emulator.proxy import TcpProxy
from bot.services.consent import CONSENT_VERSION
from storage import projects
from storage.db import create_engine, create_session_factory
from storage.models import Membership, Participant, Role

PROJECT = Path(__file__).resolve().parent.parent
COMPOSE = PROJECT / "compose.yaml"
ENTRYPOINT = PROJECT / "deploy" / "entrypoint.sh"
BOT_IMAGE = "coproduce:latest"
WEBHOOK_PATH = "/telegram"
SECRET = "cluster-secret-" + "s" * 24


def compose_commands() -> dict[str, list[str]]:
    """The command of each bot service in compose.yaml, by service name."""
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    return {
        name: [str(part) for part in service["command"]]
        for name, service in services.items()
        if service.get("image") == BOT_IMAGE
    }


def role_command(role: str) -> list[str]:
    """The one command compose runs for a role ("webhook" or "worker")."""
    commands = {tuple(c) for c in compose_commands().values() if c[0] == role}
    assert len(commands) == 1, f"compose.yaml runs {role} in {len(commands)} ways"
    return list(commands.pop())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Process:
    role: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    port: int  # its /healthz, /readyz and /metrics
    process: asyncio.subprocess.Process | None = None
    log_file: object = None

    def _open_log(self):
        return open(self.log_path, "ab")  # closed by stop()

    async def start(self) -> None:
        self.log_file = self._open_log()
        self.process = await asyncio.create_subprocess_exec(
            str(ENTRYPOINT),
            *self.command,
            cwd=self.log_path.parent,
            env=self.env,
            stdout=self.log_file,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def kill(self) -> None:
        """kill -9: no goodbye, no cleanup, as when a machine or container dies."""
        if self.alive:
            os.killpg(self.process.pid, signal.SIGKILL)

    async def stop(self) -> None:
        if self.alive:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.kill()
        if self.process is not None:
            await self.process.wait()
        if self.log_file is not None:
            self.log_file.close()

    async def metrics(self, session: aiohttp.ClientSession) -> dict[str, float]:
        """This process's Prometheus figures, by sample name with labels ("" if it is down)."""
        try:
            async with session.get(f"http://127.0.0.1:{self.port}/metrics") as response:
                body = await response.text()
        except aiohttp.ClientError:
            return {}
        figures = {}
        for line in body.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                figures[name] = float(value)
        return figures

    async def ready(self, session: aiohttp.ClientSession) -> bool:
        try:
            async with session.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class Cluster:
    workdir: Path
    database_url: str
    redis_url: str
    token: str
    webhooks: int = 2
    workers: int = 2
    emulator: TelegramEmulator = field(init=False)
    proxy: TcpProxy = field(init=False)
    processes: list[Process] = field(default_factory=list)

    async def start(self) -> None:
        self.emulator = TelegramEmulator(rate_limits=True, token=self.token)
        await self.emulator.start()
        webhook_ports = [free_port() for _ in range(self.webhooks)]
        self.proxy = TcpProxy(targets=[("127.0.0.1", port) for port in webhook_ports])
        await self.proxy.start()
        base = {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(self.workdir),
            "BOT_TOKEN": self.token,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "TELEGRAM_API_URL": self.emulator.api_url,
            "DATA_DIR": str(self.workdir / "data"),
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "json",
        }
        for number, port in enumerate(webhook_ports, 1):
            env = base | {
                "WEBHOOK_URL": f"http://127.0.0.1:{self.proxy.listen_port}{WEBHOOK_PATH}",
                "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_HOST": "127.0.0.1",
                "WEBHOOK_PORT": str(port),
            }
            self.processes.append(
                Process(
                    "webhook", role_command("webhook"), env, self._log(f"webhook-{number}"), port
                )
            )
        for number in range(1, self.workers + 1):
            port = free_port()
            env = base | {"METRICS_HOST": "127.0.0.1", "METRICS_PORT": str(port)}
            self.processes.append(
                Process("worker", role_command("worker"), env, self._log(f"worker-{number}"), port)
            )
        # All at once, as compose starts them: the migrations take turns under their lock.
        await asyncio.gather(*(process.start() for process in self.processes))
        async with aiohttp.ClientSession() as session:
            async with asyncio.timeout(90):
                for process in self.processes:
                    while not await process.ready(session):
                        assert process.alive, f"{process.log_path.name} ended:\n{process.log()}"
                        await asyncio.sleep(0.2)
            async with asyncio.timeout(30):  # a webhook worker has called setWebhook
                while self.emulator.state.webhook is None:  # noqa: ASYNC110 - no event to wait on
                    await asyncio.sleep(0.1)

    def _log(self, name: str) -> Path:
        folder = self.workdir / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder / "log.jsonl"

    @property
    def background(self) -> list[Process]:
        return [p for p in self.processes if p.role == "worker"]

    async def leader(self, within: float = 30) -> Process:
        """The background worker that is elected now (its metrics say so)."""
        async with aiohttp.ClientSession() as session, asyncio.timeout(within):
            while True:
                for process in self.background:
                    if process.alive:
                        figures = await process.metrics(session)
                        if figures.get("coproduce_background_leader") == 1:
                            return process
                await asyncio.sleep(0.2)

    async def sweep_runs(self, process: Process) -> dict[str, int]:
        """How many times each sweep ran in this process (from its metrics)."""
        async with aiohttp.ClientSession() as session:
            figures = await process.metrics(session)
        runs: dict[str, int] = {}
        for name, value in figures.items():
            if name.startswith("coproduce_sweep_duration_seconds_count{"):
                sweep = name.split('sweep="', 1)[1].split('"', 1)[0]
                runs[sweep] = runs.get(sweep, 0) + int(value)
        return runs

    async def stop(self) -> None:
        await asyncio.gather(*(process.stop() for process in self.processes))
        await self.proxy.stop()
        await self.emulator.stop()


async def seed_team(database_url: str, emulator: TelegramEmulator, people: int, first_id: int):
    """A team with `people` members who joined (consent given, no quiet hours) and are known
    to the emulator; returns (project_id, invite code for a facilitator)."""
    from bot.services import invites

    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    now = datetime.now(UTC)
    ids = [first_id + n for n in range(people)]
    for telegram_id in ids:
        emulator.user(telegram_id)
    async with sessions() as session:
        project = await projects.create_project(session, "Carers' voice")
        invite = await invites.create_invite(session, project, Role.FACILITATOR)
        await session.execute(
            insert(Participant),
            [
                {
                    "telegram_id": telegram_id,
                    "locale": "en",
                    "created_at": now,
                    "last_seen_at": now,
                    "consent_version": CONSENT_VERSION,
                    "consented_at": now,
                    "onboarded_at": now,
                    "messages_per_week": 3,
                }
                for telegram_id in ids
            ],
        )
        members = (
            await session.execute(select(Participant.id).where(Participant.telegram_id.in_(ids)))
        ).scalars()
        await session.execute(
            insert(Membership),
            [
                {
                    "project_id": project.id,
                    "participant_id": member,
                    "role": Role.PARTICIPANT,
                    "created_at": now,
                }
                for member in members
            ],
        )
        await session.commit()
        project_id, code = project.id, invite.code
    await engine.dispose()
    return project_id, code
