"""The README's "The first hour", copied line by line on a fresh machine: every `coproduce`
command in it runs (against an empty data folder, with no token, as the README says) and leaves
the project, its ground rules and the three invites it promises. If the README drifts from what
the commands do, this fails."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from storage.db import create_engine, create_session_factory
from storage.models import Invite, Project

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
INSTALL = 'python3 -m venv .venv && .venv/bin/pip install -e ".[dev]"'
TESTS = ".venv/bin/python -m pytest"


def first_hour_section() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"^## The first hour\n(.*?)(?=^## )", text, re.S | re.M)
    assert found, 'README.md has no "## The first hour" section'
    return found.group(1)


def shell_lines(section: str) -> list[str]:
    """The lines of its ```sh blocks, with backslash-continued lines joined."""
    lines: list[str] = []
    for block in re.findall(r"^```sh\n(.*?)^```", section, re.S | re.M):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            if line.strip():
                lines.append(line.strip())
    return lines


def _run(line: str, data_dir: Path) -> subprocess.CompletedProcess:
    args = shlex.split(line)
    assert args[0] == ".venv/bin/coproduce", line
    return subprocess.run(
        [sys.executable, "-m", "bot", *args[1:]],
        cwd=ROOT,  # the README's commands run from the repository's folder
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": "",  # the default: a SQLite file in DATA_DIR
            "BOT_TOKEN": "",  # a fresh machine has none, whatever a local .env says
            "LOG_LEVEL": "WARNING",
        },
    )


async def _saved(data_dir: Path) -> tuple[list[Project], list[Invite]]:
    engine = create_engine(f"sqlite+aiosqlite:///{(data_dir / 'coproduce.db').as_posix()}")
    try:
        async with create_session_factory(engine)() as session:
            found = (await session.execute(select(Project))).scalars().all()
            invites = (await session.execute(select(Invite))).scalars().all()
            return list(found), list(invites)
    finally:
        await engine.dispose()


def test_the_first_hour_works_when_copied(tmp_path):
    section = first_hour_section()
    assert "Python 3.11" in section
    lines = shell_lines(section)
    commands = [line for line in lines if line.startswith(".venv/bin/coproduce ")]
    others = [line for line in lines if line not in commands]
    # Nothing else to copy but the install line, the tests and their two settings.
    assert others[:1] == [INSTALL] and TESTS in others
    assert all(
        line in (INSTALL, TESTS)
        or re.fullmatch(r"export COPRODUCE_TEST_(POSTGRES|REDIS)_URL=\S+", line)
        for line in others
    ), others

    printed = []
    for line in commands:
        result = _run(line, tmp_path)
        assert result.returncode == 0, f"{line}\n{result.stderr}"
        printed.append(result.stdout)

    # The order it promises: the project, then a facilitator, then a coordinator.
    roles = [re.search(r"--role (\w+)", line) for line in commands]
    roles = [found.group(1) for found in roles if found]
    assert roles[:2] == ["facilitator", "coordinator"] and "participant" in roles
    assert commands[0].startswith(".venv/bin/coproduce project create ")

    projects, invites = asyncio.run(_saved(tmp_path))
    assert len(projects) == 1
    team = projects[0]
    rules_file = re.search(r"--rules-file (\S+)", commands[0]).group(1)
    assert rules_file.startswith("examples/") and (ROOT / rules_file).is_file()
    rules = (ROOT / rules_file).read_text(encoding="utf-8").strip().splitlines()
    assert team.ground_rules.splitlines() == rules and len(rules) >= 3
    assert team.feedback_topics.splitlines() == ["Waiting times", "Transport"]
    assert sorted(invite.role for invite in invites) == sorted(roles)
    assert all(invite.project_id == team.id for invite in invites)

    links = re.findall(r"https://t\.me/(\w+)\?start=(\S+)", "\n".join(printed))
    assert len(links) == len(roles)
    for username, code in links:
        assert f"--bot-username {username}" in section
        assert (tmp_path / "invites" / f"{code}.png").is_file()


def test_without_a_token_or_bot_username_an_invite_says_what_is_missing(tmp_path):
    """What the README says `--bot-username` is for."""
    section = first_hour_section()
    assert "--bot-username" in section and "BOT_TOKEN" in section
    assert _run('.venv/bin/coproduce project create --name "Team"', tmp_path).returncode == 0
    result = _run(".venv/bin/coproduce invite --project 1 --role facilitator", tmp_path)
    assert result.returncode == 2 and "BOT_TOKEN" in result.stderr
