"""A TCP link that can be cut and restored, in front of one server or several.

One target: a database (or any server) going away for a while, as the fault stories and the soak
benchmark need. Cutting it aborts every open connection and refuses new ones; restoring it
listens on the same port again.

Several targets: a load balancer in front of worker processes (webhook workers behind the URL
given in setWebhook). Each new connection goes to the next target in turn; a target that
refuses the connection (a dead worker) is skipped for the next one. The balancing is per
connection, as a TCP balancer does: a client that keeps its connection alive stays on one target.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter
from collections.abc import Iterable

Target = tuple[str, int]


class TcpProxy:
    """Forwards each connection to a target, round-robin; can be switched off and on."""

    def __init__(
        self, host: str | None = None, port: int | None = None, *, targets: Iterable[Target] = ()
    ) -> None:
        self.targets: list[Target] = [] if host is None else [(host, port or 0)]
        self.targets += list(targets)
        if not self.targets:
            raise ValueError("a proxy needs a host and port, or targets")
        self.listen_port = 0
        # Connections each target took: how a test sees the turns and the skipped dead target.
        self.connections: Counter[Target] = Counter()
        self._turn = itertools.count()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.listen_port)
        self.listen_port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        await self._server.wait_closed()

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        first = next(self._turn) % len(self.targets)
        for step in range(len(self.targets)):
            target = self.targets[(first + step) % len(self.targets)]
            try:
                upstream = await asyncio.open_connection(*target)
            except OSError:
                continue
            self.connections[target] += 1
            return upstream
        return None

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = await self._open_upstream()
        if upstream is None:  # every target is down: the client sees its connection reset
            writer.transport.abort()
            return
        up_reader, up_writer = upstream
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
        self._writers.discard(writer)
