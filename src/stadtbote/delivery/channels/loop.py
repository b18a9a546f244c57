"""The event loop a push channel keeps between ``send()`` calls.

The engine calls channels from worker threads, synchronously. A channel that made a new loop per
call would also make new connections per call (an aiohttp session or an HTTP/2 client is bound
to its loop): one TLS handshake per chunk of 100 messages. So each channel owns one loop for its
life, runs every ``send()`` on it, and closes its client on it at the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class ChannelLoop:
    def __init__(self, owner: str):
        self._owner = owner
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            work.close()
            raise RuntimeError(f"{self._owner}.send() is blocking; call it outside an event loop")
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(work)

    def close(self, cleanup: Callable[[], Awaitable[None]] | None = None) -> None:
        """Run ``cleanup`` (closing the client) on the loop, then close the loop."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            if cleanup is not None:
                loop.run_until_complete(cleanup())
                # One more turn lets closed transports run their connection_lost callbacks.
                loop.run_until_complete(asyncio.sleep(0))
            loop.run_until_complete(loop.shutdown_asyncgens())
            # aiohttp resolves DNS in the default executor; don't leak its threads.
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
