"""A real HTTP server on 127.0.0.1 for the polling tests (aiohttp.web in a thread), serving
whatever a test puts at a path, and the helpers to build feeds from the reference warnings."""

from __future__ import annotations

import asyncio
import io
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from stadtbote.config import CAP_DEFAULT_HOSTS

DATA = Path(__file__).parent / "data"
DWD_SAMPLES = sorted((DATA / "dwd").glob("*.xml"))


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    chunked: bool = False  # no Content-Length: the client only learns the size by reading


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


Route = Callable[[dict[str, str]], Reply]


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route | list[Reply]] = {}
        self.requests: list[Seen] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.host_port}{path}"

    def serve(self, path: str, *replies: Reply) -> None:
        """Answer with the replies in turn; the last one stays."""
        self.routes[path] = list(replies)

    def file(self, path: str, body: bytes, etag: str = "", last_modified: str = "") -> None:
        """A static file that answers conditional requests with 304, like a web server."""

        def answer(headers: dict[str, str]) -> Reply:
            validators = {"ETag": etag, "Last-Modified": last_modified}
            validators = {k: v for k, v in validators.items() if v}
            if (etag and headers.get("If-None-Match") == etag) or (
                not etag and last_modified and headers.get("If-Modified-Since") == last_modified
            ):
                return Reply(304, headers=validators)
            return Reply(200, body, validators)

        self.routes[path] = answer

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def __enter__(self) -> FeedServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        headers = dict(request.headers)
        self.requests.append(Seen(request.method, request.path, headers))
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404)
        if callable(route):
            reply = route(headers)
        elif len(route) > 1:
            reply = route.pop(0)
        else:
            reply = route[0]
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if not reply.chunked:
            return web.Response(status=reply.status, body=reply.body, headers=reply.headers)
        response = web.StreamResponse(status=reply.status, headers=reply.headers)
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(reply.body), 65536):
            await response.write(reply.body[start : start + 65536])
        await response.write_eof()
        return response


def serving(settings: Any) -> Iterator[FeedServer]:
    """For a fixture: a server whose host:port is on the CAP allow-list for the test."""
    with FeedServer() as server:
        settings.CAP_ALLOWED_HOSTS = (*CAP_DEFAULT_HOSTS, server.host_port)
        yield server


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def current(path: Path) -> bytes:
    """A reference warning of 2019 moved to 2031, so that it has not expired."""
    return path.read_bytes().replace(b"2019-", b"2031-")


def dwd_zip(paths: list[Path] | None = None) -> bytes:
    """The DWD's ZIP as it is built, one CAP document per warning, of the reference warnings
    moved to 2031 (the message service refuses to create messages that expired already)."""
    return zipped(
        {
            f"Z_CAP_C_EDZW_20310122192600_PVW_STATUS_PREMIUMDWD_{number:03d}_{path.stem}.xml": (
                current(path)
            )
            for number, path in enumerate(paths or DWD_SAMPLES)
        }
    )
