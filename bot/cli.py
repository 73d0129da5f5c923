"""`coproduce`: run the bot, manage the database and catalogs, or try it in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import ConfigError, load_settings
from bot.logging_setup import setup_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coproduce", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot with long polling")
    commands.add_parser(
        "webhook", help="run the bot behind a webhook (WEBHOOK_URL, WEBHOOK_SECRET)"
    )

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply every migration")
    downgrade = db_commands.add_parser("downgrade", help="undo migrations down to a revision")
    downgrade.add_argument("revision", help='a revision id, or "base" for an empty database')

    chat = commands.add_parser(
        "chat", help="try the bot in this terminal against a local Telegram emulator (no token)"
    )
    chat.add_argument(
        "--as",
        dest="role",
        choices=("participant", "facilitator"),
        default="participant",
        help="who you are in the demo team",
    )
    chat.add_argument(
        "--language", default="en", help="your Telegram app language, e.g. cy, pl, ar"
    )

    emulator = commands.add_parser("emulator", help="run the local Telegram Bot API emulator")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8081)
    emulator.add_argument("--rate-limits", action="store_true", help="enforce Telegram's limits")

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
    if args.command in ("run", "webhook"):
        settings.token()  # a missing token is one plain line before anything starts
    # The terminal demo is a conversation: only warnings may interrupt it.
    setup_logging("WARNING" if args.command == "chat" else settings.log_level)
    if args.command == "run":
        from bot.runner import run_polling

        asyncio.run(run_polling(settings))
    elif args.command == "webhook":
        from bot.runner import run_webhook

        asyncio.run(run_webhook(settings))
    elif args.command == "db":
        from storage.db import create_engine, downgrade, upgrade

        async def migrate() -> None:
            engine = create_engine(settings.resolved_database_url)
            try:
                if args.db_command == "upgrade":
                    await upgrade(engine)
                else:
                    await downgrade(engine, args.revision)
            finally:
                await engine.dispose()

        asyncio.run(migrate())
        print(
            "database schema is up to date"
            if args.db_command == "upgrade"
            else f"database schema is at {args.revision}"
        )
    elif args.command == "chat":
        from bot.chat import run_chat

        asyncio.run(run_chat(settings, role=args.role, language=args.language))
    return 0


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
