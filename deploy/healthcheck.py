"""The container's health check: GET /healthz on this container's bot process.

The webhook role answers on WEBHOOK_PORT, the worker on METRICS_PORT. The role is read from the
container's first process (the entrypoint hands over to `coproduce <role>` with exec); when that
cannot be told (an init process in front), both ports are tried. `coproduce run` serves no
health port, so there is nothing to ask: it counts as healthy while it runs.
Exit 0 when healthy, 1 when not (what Docker's HEALTHCHECK reads). Standard library only.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 4
ROLES = ("webhook", "worker", "run")


def role() -> str | None:
    try:
        with open("/proc/1/cmdline", "rb") as file:
            words = file.read().decode(errors="replace").split("\0")
    except OSError:
        return None
    return next((word for word in words if word in ROLES), None)


def ports(this_role: str | None) -> list[int]:
    webhook = int(os.environ.get("WEBHOOK_PORT") or 8080)
    worker = int(os.environ.get("METRICS_PORT") or 9100)
    chosen = {"webhook": [webhook], "worker": [worker], "run": []}.get(this_role, [webhook, worker])
    return [port for port in chosen if port]  # METRICS_PORT=0: the worker serves none


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/healthz", timeout=TIMEOUT_SECONDS
        ) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def main() -> int:
    this_role = role()
    to_ask = ports(this_role)
    if not to_ask:
        return 0
    if any(healthy(port) for port in to_ask):
        return 0
    print(f"no answer from /healthz on port {', '.join(map(str, to_ask))}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
