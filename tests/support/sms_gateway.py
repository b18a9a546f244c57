"""A Kannel-like HTTP SMS gateway on 127.0.0.1: ``GET /cgi-bin/sendsms`` as Kannel answers it.

Checks username/password (403 "Authorization failed"), requires ``to`` and ``text`` (400),
records every accepted request's parameters and answers 202 "0: Accepted for delivery".
Tests steer it with ``answer(number, status, body, retry_after, times)`` and ``delay``. It does
not call the dlr-url (the engine's endpoint does not exist yet); tests read it from ``received``.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class _Script:
    status: int
    body: str
    retry_after: str | None


@dataclass
class SmsGateway:
    username: str = "stadtbote"
    password: str = "secret"
    delay: float = 0.0
    received: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._scripts: dict[str, list[_Script]] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/sendsms"

    def answer(
        self,
        number: str,
        status: int,
        body: str = "",
        *,
        retry_after: str | None = None,
        times: int = 1,
    ) -> None:
        with self._lock:
            scripts = self._scripts.setdefault(number, [])
            scripts.extend([_Script(status, body, retry_after)] * times)

    def start(self) -> SmsGateway:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=5)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> SmsGateway:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/cgi-bin/sendsms", self._sendsms)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _sendsms(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        if self.delay:
            await asyncio.sleep(self.delay)
        if (params.get("username"), params.get("password")) != (self.username, self.password):
            return web.Response(status=403, text="Authorization failed for sendsms")
        if not params.get("to"):
            return web.Response(status=400, text="Missing receiver number")
        with self._lock:
            scripts = self._scripts.get(params["to"])
            script = scripts.pop(0) if scripts else None
        if script is not None:
            headers = {"Retry-After": script.retry_after} if script.retry_after else {}
            return web.Response(status=script.status, text=script.body, headers=headers)
        self.received.append(params)
        return web.Response(status=202, text="0: Accepted for delivery")
