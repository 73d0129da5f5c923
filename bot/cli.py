"""`coproduce`: run the bot, manage the database and catalogs, or try it in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from bot.config import ConfigError, load_settings
from bot.logging_setup import setup_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coproduce", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run", help="run the bot with long polling and its background work (one machine)"
    )
    commands.add_parser(
        "webhook",
        help="handle updates behind a webhook (WEBHOOK_URL, WEBHOOK_SECRET); run any number",
    )
    commands.add_parser(
        "worker",
        help="the background work (scheduler and delivery); one of them is elected, "
        "the others stand by",
    )

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply every migration")
    downgrade = db_commands.add_parser("downgrade", help="undo migrations down to a revision")
    downgrade.add_argument("revision", help='a revision id, or "base" for an empty database')
    downgrade.add_argument(
        "--yes", action="store_true", help="do not ask: data the downgrade drops is lost"
    )

    chat = commands.add_parser(
        "chat", help="try the bot in this terminal against a local Telegram emulator (no token)"
    )
    chat.add_argument(
        "--as",
        dest="role",
        choices=("participant", "facilitator", "coordinator"),
        default="participant",
        help="who you are in the demo team (four simulated people are in it too)",
    )
    chat.add_argument(
        "--language", default="en", help="your Telegram app language, e.g. cy, pl, ar"
    )

    emulator = commands.add_parser("emulator", help="run the local Telegram Bot API emulator")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8081)
    emulator.add_argument("--rate-limits", action="store_true", help="enforce Telegram's limits")

    project = commands.add_parser("project", help="co-production teams")
    project_commands = project.add_subparsers(dest="project_command", required=True)
    create = project_commands.add_parser("create", help="create a project")
    create.add_argument("--name", required=True)
    create.add_argument("--description", default="")
    create.add_argument("--timezone", help="IANA zone, e.g. Europe/London (default: TIMEZONE)")
    create.add_argument("--locale", choices=("en", "cy", "pl", "ar"))
    create.add_argument(
        "--rules-file",
        action="append",
        default=[],
        metavar="[LANG=]FILE",
        help="ground rules, one per line; cy=rules.cy.txt is their Welsh version (repeat)",
    )
    create.add_argument(
        "--topic",
        action="append",
        default=[],
        metavar="[LANG:]TOPIC",
        help='a feedback topic (repeat); "cy:Amseroedd aros" right after it is its Welsh words',
    )
    project_commands.add_parser("list", help="list projects")

    invite = commands.add_parser("invite", help="make an invite link and QR code")
    invite.add_argument("--project", type=int, help="project id (see: coproduce project list)")
    invite.add_argument(
        "--role", choices=("participant", "facilitator", "coordinator"), default="participant"
    )
    invite.add_argument("--expires-days", type=int, help="the link stops working after this")
    invite.add_argument("--max-uses", type=int, help="how many people may use the link")
    invite.add_argument("--qr", type=Path, help="where to write the QR code PNG")
    invite.add_argument("--bot-username", help="the bot's @username (default: ask Telegram)")
    invite.add_argument("--revoke", metavar="CODE", help="turn off an invite instead")

    checkin = commands.add_parser(
        "checkin", help="a project's recurring check-in: add one, --list them, --stop one"
    )
    checkin.add_argument("--project", type=int, help="project id (see: coproduce project list)")
    checkin.add_argument("--every-weeks", type=int, default=1)
    checkin.add_argument("--weekday", help="mon, tue, wed, thu, fri, sat or sun")
    checkin.add_argument("--at", help="local time in the project's zone, e.g. 18:00")
    checkin.add_argument("--start", choices=("pulse", "feedback"), default="pulse")
    checkin.add_argument(
        "--replace", action="store_true", help="stop the project's check-in of this kind first"
    )
    checkin.add_argument("--list", action="store_true", help="the project's running check-ins")
    checkin.add_argument("--stop", type=int, metavar="ID", help="stop a check-in (id from --list)")

    export = commands.add_parser(
        "export", help="a project's responses as CSV, XLSX or JSON Lines (for coordinators)"
    )
    export.add_argument("--project", type=int, required=True)
    export.add_argument(
        "--kind",
        action="append",
        default=[],
        help="feedback, pulse, poll_answers, access_needs, claims, we_did, we_did_replies, "
        "contributions or attendance (repeat; default: all)",
    )
    export.add_argument("--format", choices=("csv", "xlsx", "jsonl"), default="xlsx")
    export.add_argument(
        "--from", dest="since", type=date.fromisoformat, help="first day, YYYY-MM-DD"
    )
    export.add_argument("--to", dest="until", type=date.fromisoformat, help="last day, YYYY-MM-DD")
    export.add_argument(
        "--names", action="store_true", help="show the names of people who agreed to be named"
    )
    export.add_argument("--out", type=Path, help="a folder (default: DATA_DIR/exports)")

    report = commands.add_parser("report", help="a project's weekly digest as Markdown and PNG")
    report.add_argument("--project", type=int, required=True)
    report.add_argument(
        "--until", type=date.fromisoformat, help="the digest covers the 7 days up to this day"
    )
    report.add_argument("--out", type=Path, help="a folder (default: DATA_DIR/reports/...)")

    i18n = commands.add_parser("i18n", help="translation catalogs")
    i18n.add_argument("action", choices=("extract", "update", "compile"))
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command == "i18n":
        from bot import catalogs

        return catalogs.main(args.action)
    if args.command == "emulator":
        from bot.emulator import serve

        asyncio.run(serve(host=args.host, port=args.port, rate_limits=args.rate_limits))
        return 0

    settings = load_settings()
    if args.command in ("run", "webhook", "worker"):
        settings.token()  # a missing token is one plain line before anything starts
    # The terminal demo is a conversation: only warnings may interrupt it.
    setup_logging("WARNING" if args.command == "chat" else settings.log_level, settings.log_format)
    if args.command == "run":
        from bot.runner import run_polling

        asyncio.run(run_polling(settings))
    elif args.command == "webhook":
        from bot.runner import run_webhook

        asyncio.run(run_webhook(settings))
    elif args.command == "worker":
        from bot.runner import run_worker

        asyncio.run(run_worker(settings))
    elif args.command == "db":
        return _db(settings, args)
    elif args.command == "project":
        from bot import admin

        if args.project_command == "create":
            print(
                asyncio.run(
                    admin.create_project(
                        settings,
                        name=args.name,
                        description=args.description,
                        timezone=args.timezone,
                        locale=args.locale,
                        rules=admin.read_rules_files(args.rules_file),
                        topics=args.topic,
                    )
                )
            )
        else:
            print(asyncio.run(admin.list_projects(settings)))
    elif args.command == "invite":
        from bot import admin

        if args.revoke:
            print(asyncio.run(admin.revoke_invite(settings, args.revoke)))
        elif args.project is None:
            raise ConfigError("say which project: --project ID (see: coproduce project list)")
        else:
            text, link = asyncio.run(
                admin.make_invite(
                    settings,
                    project_id=args.project,
                    role=args.role,
                    expires_days=args.expires_days,
                    max_uses=args.max_uses,
                    bot_username=args.bot_username,
                )
            )
            from bot.services.invites import qr_png

            qr_path = args.qr or settings.data_dir / "invites" / f"{link.rsplit('=', 1)[1]}.png"
            qr_path.parent.mkdir(parents=True, exist_ok=True)
            qr_path.write_bytes(qr_png(link))
            print(f"{text}\nQR code for posters and leaflets: {qr_path}")
    elif args.command == "checkin":
        from bot import admin

        if args.stop is not None:
            print(asyncio.run(admin.stop_checkin(settings, schedule_id=args.stop)))
        elif args.project is None:
            raise ConfigError("say which project: --project ID (see: coproduce project list)")
        elif args.list:
            print(asyncio.run(admin.list_checkins(settings, project_id=args.project)))
        elif not args.weekday or not args.at:
            raise ConfigError("a new check-in needs --weekday mon..sun and --at a time like 18:00")
        else:
            print(
                asyncio.run(
                    admin.add_checkin(
                        settings,
                        project_id=args.project,
                        every_weeks=args.every_weeks,
                        weekday=args.weekday,
                        at=args.at,
                        start=args.start,
                        replace=args.replace,
                    )
                )
            )
    elif args.command == "export":
        from bot import exports_cli

        print(
            asyncio.run(
                exports_cli.export(
                    settings,
                    project_id=args.project,
                    kinds=args.kind,
                    fmt=args.format,
                    since=args.since,
                    until=args.until,
                    names=args.names,
                    out=args.out,
                )
            )
        )
    elif args.command == "report":
        from bot import exports_cli

        print(
            asyncio.run(
                exports_cli.report(
                    settings, project_id=args.project, until=args.until, out=args.out
                )
            )
        )
    elif args.command == "chat":
        from bot.chat import run_chat

        asyncio.run(run_chat(settings, role=args.role, language=args.language))
    return 0


def _db(settings, args: argparse.Namespace) -> int:
    from storage.db import create_engine, downgrade, upgrade, what_a_downgrade_drops

    async def migrate() -> int:
        engine = create_engine(settings.resolved_database_url)
        try:
            if args.db_command == "upgrade":
                await upgrade(engine)
                print("database schema is up to date")
                return 0
            if not args.yes:
                tables, columns = await what_a_downgrade_drops(engine, args.revision)
                if not _downgrade_confirmed(args.revision, tables, columns):
                    return 2
            await downgrade(engine, args.revision)
            print(f"database schema is at {args.revision}")
            return 0
        finally:
            await engine.dispose()

    return asyncio.run(migrate())


def _downgrade_confirmed(revision: str, tables: list[str], columns: list[str]) -> bool:
    """Say what the downgrade deletes, then ask for "yes" (no terminal: refuse)."""
    if revision == "base":
        print("Going down to base deletes every table and all data in this database.")
    elif tables or columns:
        print(f"Going down to {revision} deletes data that cannot be brought back:")
        if tables:
            print(f"  these tables, with every row: {', '.join(tables)}")
        if columns:
            print(f"  these columns, with their values: {', '.join(columns)}")
    else:
        print(f"Going down to {revision} drops no table or column.")
    print("Make a backup first (pg_dump, or a copy of the SQLite file while the bot is stopped).")
    if not sys.stdin.isatty():
        print(
            "coproduce: not done. Run it in a terminal to confirm, or add --yes.", file=sys.stderr
        )
        return False
    answer = input('Type "yes" to go on: ').strip().lower()
    if answer != "yes":
        print("Not done: nothing changed.")
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except ConfigError as error:
        print(f"coproduce: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
