"""What an operator relies on in compose.yaml, deploy/ and the Dockerfile: two webhook workers
behind the proxy and exactly one background worker, each migrating the database before it
starts, health checks everywhere, and no secret written in the files (only ${VAR} from .env).
No container runtime here: the files are read, and the entrypoint and health check are run."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
BOT_IMAGE = "coproduce:latest"
ENTRYPOINT = "/app/deploy/entrypoint.sh"
HEALTHCHECK = "/app/deploy/healthcheck.py"
# A whole value that is one compose reference: ${VAR}, ${VAR:-default} or ${VAR:?message}.
REFERENCE = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*(?:(?::?[-?])[^}]*)?\}$")
TELEGRAM_TOKEN = re.compile(r"\d{6,12}:[A-Za-z0-9_-]{30,}")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def _bot_services() -> dict[str, dict]:
    return {
        name: service
        for name, service in _compose()["services"].items()
        if service.get("image") == BOT_IMAGE
    }


def _running(command: str) -> list[str]:
    return sorted(
        name for name, service in _bot_services().items() if service["command"] == [command]
    )


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments left out."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            pairs.append((instruction.upper(), " ".join(arguments.split())))
    return pairs


def _instructions(name: str) -> list[str]:
    return [arguments for instruction, arguments in _dockerfile() if instruction == name]


def test_two_webhook_workers_and_exactly_one_background_worker():
    assert _running("webhook") == ["webhook-1", "webhook-2"]
    assert _running("worker") == ["worker"]
    assert set(_bot_services()) == {"webhook-1", "webhook-2", "worker"}
    for name, service in _bot_services().items():
        assert service["build"] == ".", f"{name} is not built from this repository"
        assert isinstance(service["environment"], dict), f"{name}: environment is not a map"


def test_every_bot_service_runs_through_the_entrypoint_that_migrates_first():
    assert _instructions("ENTRYPOINT") == [f'["{ENTRYPOINT}"]']
    assert any(
        "deploy/entrypoint.sh" in copy and copy.endswith("/app/deploy/")
        for copy in _instructions("COPY")
    )
    for name, service in _bot_services().items():
        assert "entrypoint" not in service, f"{name} skips the migrating entrypoint"


def _fake_coproduce(tmp_path: Path, *, upgrade_fails: bool = False) -> dict[str, str]:
    """A `coproduce` on PATH that writes down each call (with its process id)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "coproduce"
    failing = 'if [ "$1 $2" = "db upgrade" ]; then exit 3; fi\n' if upgrade_fails else ""
    script.write_text(f'#!/bin/sh\necho "$$ $*" >> "$CALLS"\n{failing}')
    script.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}/usr/bin{os.pathsep}/bin", "CALLS": str(tmp_path / "c")}


@pytest.mark.parametrize("service", ["webhook-1", "worker"])
def test_the_entrypoint_migrates_then_becomes_the_role(tmp_path, service):
    command = _bot_services()[service]["command"]
    environment = _fake_coproduce(tmp_path)
    process = subprocess.Popen([str(ROOT / "deploy" / "entrypoint.sh"), *command], env=environment)
    assert process.wait(timeout=30) == 0
    calls = [line.split(" ", 1) for line in (tmp_path / "c").read_text().splitlines()]
    assert [call for _pid, call in calls] == ["db upgrade", shlex.join(command)]
    # exec: the role is the container's main process, so it gets `docker stop`'s SIGTERM.
    assert calls[-1][0] == str(process.pid)


def test_a_failed_migration_starts_no_role(tmp_path):
    environment = _fake_coproduce(tmp_path, upgrade_fails=True)
    result = subprocess.run(
        [str(ROOT / "deploy" / "entrypoint.sh"), "webhook"], env=environment, timeout=30
    )
    assert result.returncode != 0
    assert (tmp_path / "c").read_text().split(" ", 1)[1] == "db upgrade\n"


def test_every_service_has_a_health_check_and_starts_after_what_it_needs():
    services = _compose()["services"]
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"
    for name, service in _bot_services().items():
        assert service["healthcheck"]["test"] == ["CMD", "python", HEALTHCHECK], name
        for needed in ("postgres", "redis"):
            assert service["depends_on"][needed] == {"condition": "service_healthy"}, name
    for webhook in _running("webhook"):
        assert services["proxy"]["depends_on"][webhook] == {"condition": "service_healthy"}


def test_the_proxy_sends_updates_to_the_two_webhook_services():
    proxy = _compose()["services"]["proxy"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    config = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    upstream = re.search(r"upstream (\w+) \{(.*?)\}", config, re.S)
    assert upstream and f"proxy_pass http://{upstream.group(1)};" in config
    servers = re.findall(r"^\s*server ([\w.-]+):(\d+)\b", upstream.group(2), re.M)
    webhooks = _bot_services()
    assert sorted(host for host, _port in servers) == _running("webhook")
    for host, port in servers:
        assert webhooks[host]["environment"]["WEBHOOK_PORT"] == port
        assert webhooks[host]["environment"]["WEBHOOK_HOST"] == "0.0.0.0"


def test_every_bot_service_shares_one_database_and_one_redis():
    environments = [service["environment"] for service in _bot_services().values()]
    assert len({environment["DATABASE_URL"] for environment in environments}) == 1
    assert len({environment["REDIS_URL"] for environment in environments}) == 1
    assert environments[0]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    redis = _compose()["services"]["redis"]
    assert "--appendonly" in redis["command"] and "redis-data:/data" in redis["volumes"]
    assert "postgres-data:/var/lib/postgresql/data" in _compose()["services"]["postgres"]["volumes"]
    assert set(_compose()["volumes"]) == {"postgres-data", "redis-data"}


def test_no_secret_is_written_in_the_files_only_references_to_env():
    for name, service in _compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in ("TOKEN", "SECRET", "PASSWORD")):
                assert REFERENCE.match(str(value)), f"{name}: {key} is written in the file"
            if key == "DATABASE_URL":
                password = re.match(r"^[\w+]+://[^:]+:(.*)@[^@]+$", value).group(1)
                assert REFERENCE.match(password), f"{name}: the database password is written"
    for path in ("compose.yaml", "deploy/nginx.conf", "Dockerfile", "deploy/entrypoint.sh"):
        assert not TELEGRAM_TOKEN.search((ROOT / path).read_text(encoding="utf-8")), path
    # .env (the token, the webhook secret) never goes into the image.
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and ".git" in ignored and ".venv" in ignored and "data" in ignored


def test_the_image_runs_as_a_user_with_a_health_check_and_no_dev_extras():
    assert _instructions("FROM") == ["python:3.11-slim"]
    users = _instructions("USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")
    [healthcheck] = _instructions("HEALTHCHECK")
    assert healthcheck.endswith(f'CMD ["python", "{HEALTHCHECK}"]')
    runs = " ".join(_instructions("RUN"))
    assert "pip install /src" in runs and "[dev]" not in runs
    assert "coproduce i18n compile" in runs  # catalogs compiled while the image is built


def _healthcheck_module():
    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "deploy" / "healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_health_check_asks_each_role_on_its_own_port(monkeypatch):
    check = _healthcheck_module()
    monkeypatch.setenv("WEBHOOK_PORT", "8080")
    monkeypatch.setenv("METRICS_PORT", "9100")
    assert check.ports("webhook") == [8080]
    assert check.ports("worker") == [9100]
    assert check.ports(None) == [8080, 9100]
    monkeypatch.setenv("METRICS_PORT", "0")
    assert check.ports("worker") == []


async def test_the_health_check_is_healthy_only_while_healthz_answers():
    check = _healthcheck_module()

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        assert await asyncio.to_thread(check.healthy, port)
    finally:
        await runner.cleanup()
    assert not await asyncio.to_thread(check.healthy, port)
