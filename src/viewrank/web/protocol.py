"""uvicorn's h11 protocol with a deadline for a request's headers.

uvicorn times out idle kept-alive connections but not one that sends its request line and
headers a byte at a time (a slowloris): without a deadline, a few hundred such clients hold
every connection slot. Each connection here gets `header_timeout` seconds to deliver a whole
request head, from its opening and again after every response.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0


def protocol_with_header_timeout(seconds: float = HEADER_TIMEOUT) -> type[asyncio.Protocol]:
    """The h11 protocol class to give uvicorn (`http=`), closing connections slower than `seconds`."""

    class HeaderTimeoutProtocol(H11Protocol):
        header_timeout = seconds
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def handle_events(self) -> None:
            super().handle_events()
            if self._deadline is not None and self.conn.their_state is not h11.IDLE:
                self._deadline.cancel()   # a whole request head has arrived
                self._deadline = None

        def connection_lost(self, exc: Exception | None) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

        def _too_slow(self) -> None:
            self._deadline = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeoutProtocol
