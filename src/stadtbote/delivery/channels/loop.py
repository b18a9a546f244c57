"""The event loop a push channel keeps between ``send()`` calls.

The engine calls channels from worker threads, synchronously. A channel that made a new loop per
call would also make new connections per call (an aiohttp session or an HTTP/2 client is bound
to its loop): one TLS handshake per chunk of 100 messages. So each channel owns one loop for its
life, runs every ``send()`` on it, and closes its client on it at the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Self, TypeVar

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


class LoopChannel:
    """``send()``/``close()`` of a push channel that works on its own ``ChannelLoop``.

    A subclass calls ``_start_loop()`` in its constructor and gives ``_send_all`` (the batch on
    the loop) and ``_release`` (what closes its client, taken out of the channel, or None).
    """

    _loop: ChannelLoop
    _closed: bool

    def _start_loop(self) -> None:
        self._loop = ChannelLoop(type(self).__name__)
        self._closed = False

    async def _send_all(self, items: Sequence[Any]) -> list[Any]:
        raise NotImplementedError

    def _release(self) -> Callable[[], Awaitable[None]] | None:
        raise NotImplementedError

    def send(self, items: Sequence[Any]) -> list[Any]:
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} is closed")
        if not items:
            return []
        return self._loop.run(self._send_all(items))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._loop.close(self._release())

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
