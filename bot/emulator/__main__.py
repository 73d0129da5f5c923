"""`python -m bot.emulator`: a local Telegram Bot API until Ctrl-C.

Prints the api_url on stdout (the one line a script needs to read); everything else is
logging.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys

from .run import serve


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument(
        "--rate-limits", action="store_true", help="enforce Telegram's flood limits"
    )
    parser.add_argument("--username", default="coproduce_bot", help="the bot's @username")
    return parser.parse_args(argv)


def _announce(api_url: str) -> None:
    sys.stdout.write(f"{api_url}\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        args = _parse_args(argv)
        asyncio.run(
            serve(
                args.host,
                args.port,
                args.rate_limits,
                args.username,
                on_started=_announce,
            )
        )


if __name__ == "__main__":
    main()
