"""A coordinator sets a team up from the command line: a project, then invites with QR codes."""

from __future__ import annotations

import os
import subprocess
import sys

from PIL import Image


def _cli(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.getcwd(), "DATABASE_URL": "", "LOG_LEVEL": "WARNING"},
    )


def test_a_coordinator_creates_a_project_and_an_invite_with_a_qr_code(tmp_path):
    (tmp_path / "rules.txt").write_text("Listen first.\nEvery voice counts.\n")
    created = _cli(
        "project", "create", "--name", "Youth panel", "--rules-file", "rules.txt",
        "--topic", "Waiting times", cwd=tmp_path,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "project 1: Youth panel" in created.stdout
    listed = _cli("project", "list", cwd=tmp_path)
    assert "1\tYouth panel\tEurope/London" in listed.stdout

    invite = _cli(
        "invite", "--project", "1", "--role", "facilitator", "--expires-days", "7",
        "--max-uses", "2", "--bot-username", "coproduce_bot", cwd=tmp_path,
    )  # fmt: skip
    assert invite.returncode == 0, invite.stderr
    link = next(line for line in invite.stdout.splitlines() if line.startswith("https://"))
    code = link.split("start=")[1]
    assert link.startswith("https://t.me/coproduce_bot?start=") and 16 <= len(code) <= 64
    assert "expires" in invite.stdout and "2 uses" in invite.stdout
    qr = tmp_path / "data" / "invites" / f"{code}.png"
    with Image.open(qr) as image:
        assert image.format == "PNG" and image.size[0] >= 200

    revoked = _cli("invite", "--revoke", code, cwd=tmp_path)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout


def test_an_invite_for_a_missing_project_is_one_plain_line(tmp_path):
    result = _cli("invite", "--project", "42", "--bot-username", "coproduce_bot", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "project list" in result.stderr


def test_a_project_sets_a_check_in_every_second_tuesday_at_six_in_the_evening(tmp_path):
    assert _cli("project", "create", "--name", "Youth panel", cwd=tmp_path).returncode == 0
    result = _cli(
        "checkin", "--project", "1", "--every-weeks", "2", "--weekday", "tue", "--at", "18:00",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    first = result.stdout.strip().rsplit("first on ", 1)[1]
    from datetime import datetime

    when = datetime.strptime(first, "%Y-%m-%d %H:%M")
    assert when.weekday() == 1 and (when.hour, when.minute) == (18, 0)
    wrong = _cli("checkin", "--project", "1", "--weekday", "tue", "--at", "6pm", cwd=tmp_path)
    assert wrong.returncode == 2 and "18:00" in wrong.stderr


def test_a_second_check_in_of_the_same_kind_is_refused_listed_replaced_and_stopped(tmp_path):
    assert _cli("project", "create", "--name", "Youth panel", cwd=tmp_path).returncode == 0
    every_tuesday = ("checkin", "--project", "1", "--weekday", "tue", "--at", "18:00")
    first = _cli(*every_tuesday, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = _cli(*every_tuesday, cwd=tmp_path)
    assert again.returncode == 2
    assert "already has a pulse check-in (id 1)" in again.stderr
    assert "twice" in again.stderr and "--stop 1" in again.stderr and "--replace" in again.stderr
    feedback = _cli(*every_tuesday, "--start", "feedback", cwd=tmp_path)  # another kind: fine
    assert feedback.returncode == 0, feedback.stderr

    listed = _cli("checkin", "--project", "1", "--list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("1\tpulse check-in every 1 week(s) on tue at 18:00")

    replaced = _cli(*every_tuesday[:4], "thu", "--at", "10:00", "--replace", cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert "replaced (stopped):\n1\tpulse" in replaced.stdout
    listed = _cli("checkin", "--project", "1", "--list", cwd=tmp_path).stdout
    assert "on tue at 18:00" not in listed.split("feedback")[0]
    assert "pulse check-in every 1 week(s) on thu at 10:00" in listed
    assert len(listed.strip().splitlines()) == 2

    stopped = _cli("checkin", "--stop", "2", cwd=tmp_path)
    assert stopped.returncode == 0 and "no more feedback check-ins" in stopped.stdout
    assert "feedback" not in _cli("checkin", "--project", "1", "--list", cwd=tmp_path).stdout
    gone = _cli("checkin", "--stop", "2", cwd=tmp_path)
    assert gone.returncode == 2 and "no running check-in 2" in gone.stderr


def test_an_invite_nobody_could_use_is_refused_and_no_qr_code_is_made(tmp_path):
    assert _cli("project", "create", "--name", "Youth panel", cwd=tmp_path).returncode == 0
    base = ("invite", "--project", "1", "--bot-username", "coproduce_bot")
    no_uses = _cli(*base, "--max-uses", "0", cwd=tmp_path)
    assert no_uses.returncode == 2
    assert "--max-uses takes 1 or more" in no_uses.stderr and "admits nobody" in no_uses.stderr
    past = _cli(*base, "--expires-days", "-3", cwd=tmp_path)
    assert past.returncode == 2 and "--expires-days takes 1 or more" in past.stderr
    assert _cli(*base, "--expires-days", "0", cwd=tmp_path).returncode == 2
    assert not (tmp_path / "data" / "invites").exists()  # no dead QR code left behind
    fine = _cli(*base, "--max-uses", "1", "--expires-days", "1", cwd=tmp_path)
    assert fine.returncode == 0 and "1 uses" in fine.stdout
