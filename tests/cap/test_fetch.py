"""Fetching feeds: only allow-listed hosts (checked before any request, redirects included),
conditional requests, bounded bodies, and failures sorted into transient and permanent."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

import pytest

from stadtbote.cap.fetch import Client, FetchError, NotAllowed, check_url, fetch
from tests.cap.feeds import FeedServer, Reply, serving

ALLOWED = ("opendata.dwd.de", "warnung.bund.de", "feeds.example.org:8443", "127.0.0.1:8766")


@pytest.fixture
def server(settings) -> Iterator[FeedServer]:
    yield from serving(settings)


def test_an_etag_or_last_modified_turns_the_second_fetch_into_a_304(server):
    modified = "Fri, 27 Nov 2026 06:00:00 GMT"
    server.file("/etag.zip", b"zip bytes", etag='"v1"', last_modified=modified)
    first = fetch(server.url("/etag.zip"), max_bytes=1000)
    assert (first.status, first.body, first.etag, first.last_modified) == (
        200,
        b"zip bytes",
        '"v1"',
        modified,
    )
    again = fetch(server.url("/etag.zip"), etag=first.etag, max_bytes=1000)
    assert (again.status, again.body, again.etag) == (304, b"", '"v1"')
    assert server.requests[-1].headers["If-None-Match"] == '"v1"'
    server.file("/dated.xml", b"<feed/>", last_modified=modified)
    dated = fetch(server.url("/dated.xml"), last_modified=modified, max_bytes=1000)
    assert (dated.status, dated.last_modified) == (304, modified)
    assert server.requests[-1].headers["If-Modified-Since"] == modified


def test_a_host_not_on_the_list_is_refused_without_a_request(server, settings):
    server.serve("/x", Reply(200, b"secret"))
    settings.CAP_ALLOWED_HOSTS = ("opendata.dwd.de",)  # the test server's port is not listed
    with pytest.raises(NotAllowed, match="not on the CAP allow-list"):
        fetch(server.url("/x"), max_bytes=100)
    with pytest.raises(NotAllowed):
        fetch("https://intranet.rathaus.example/", max_bytes=100)
    assert server.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://opendata.dwd.de/weather/alerts/cap/x.zip",  # https only
        "https://opendata.dwd.de:8443/x.zip",  # another port
        "https://user:pw@opendata.dwd.de/x.zip",
        "https://opendata.dwd.de./x.zip",
        "https://evil.example/?u=https://opendata.dwd.de/",
        "https://opendata.dwd.de.evil.example/x",
        "ftp://opendata.dwd.de/x",
        "https://opendata.dwd.de/a b",
        "http://127.0.0.1/x",  # loopback, but not the listed port
        "http://feeds.example.org:8443/x",  # plain http only to loopback
        "file:///etc/passwd",
    ],
)
def test_urls_off_the_list_are_refused(url):
    with pytest.raises(NotAllowed):
        check_url(url, ALLOWED)


@pytest.mark.parametrize(
    "url",
    [
        "https://opendata.dwd.de/weather/alerts/cap/x.zip",
        "https://OPENDATA.dwd.de:443/x",
        "https://warnung.bund.de/api31/dashboard/059740000000.json",
        "https://feeds.example.org:8443/atom.xml",
        "http://127.0.0.1:8766/test",
    ],
)
def test_urls_on_the_list_pass(url):
    check_url(url, ALLOWED)


def test_redirects_are_followed_only_to_allow_listed_urls(server):
    server.serve("/old", Reply(301, headers={"Location": "/new"}))
    server.serve("/new", Reply(200, b"moved here"))
    got = fetch(server.url("/old"), max_bytes=100)
    assert (got.body, got.url) == (b"moved here", server.url("/new"))
    server.serve("/away", Reply(302, headers={"Location": "http://169.254.169.254/latest/"}))
    with pytest.raises(NotAllowed, match="redirect refused"):
        fetch(server.url("/away"), max_bytes=100)
    server.serve("/loop", Reply(302, headers={"Location": "/loop"}))
    with pytest.raises(FetchError, match="redirects") as caught:
        fetch(server.url("/loop"), max_bytes=100)
    assert caught.value.permanent
    assert server.paths().count("/loop") == 4  # the first request and three redirects


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_beyond_max_bytes_is_refused(server, chunked):
    server.serve("/big", Reply(200, b"x" * 300_000, chunked=chunked))
    with pytest.raises(FetchError, match="larger than 100000 bytes") as caught:
        fetch(server.url("/big"), max_bytes=100_000)
    assert caught.value.permanent
    assert fetch(server.url("/big"), max_bytes=300_000).body == b"x" * 300_000


def test_compressed_answers_are_inflated_but_never_beyond_max_bytes(server):
    server.serve("/gz", Reply(200, gzip.compress(b"[1, 2]"), {"Content-Encoding": "gzip"}))
    assert fetch(server.url("/gz"), max_bytes=100).body == b"[1, 2]"
    server.serve("/deflate", Reply(200, zlib.compress(b"{}"), {"Content-Encoding": "deflate"}))
    assert fetch(server.url("/deflate"), max_bytes=100).body == b"{}"
    bomb = gzip.compress(b"\0" * 50_000_000)  # 50 MB in about 50 KB
    server.serve("/bomb", Reply(200, bomb, {"Content-Encoding": "gzip"}))
    with pytest.raises(FetchError, match="larger than"):
        fetch(server.url("/bomb"), max_bytes=1_000_000)
    server.serve("/br", Reply(200, b"??", {"Content-Encoding": "br"}))
    with pytest.raises(FetchError, match="Content-Encoding"):
        fetch(server.url("/br"), max_bytes=100)


@pytest.mark.parametrize(
    ("status", "permanent"), [(500, False), (502, False), (429, False), (404, True), (403, True)]
)
def test_server_errors_are_transient_client_errors_permanent(server, status, permanent):
    server.serve("/x", Reply(status))
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/x"), max_bytes=100)
    assert (caught.value.status, caught.value.permanent) == (status, permanent)
    assert f"HTTP {status} from 127.0.0.1:" in str(caught.value)


def test_retry_after_comes_with_429_and_503(server):
    server.serve("/busy", Reply(429, headers={"Retry-After": "120"}))
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/busy"), max_bytes=100)
    assert caught.value.retry_after == 120
    server.serve("/down", Reply(503, headers={"Retry-After": "Fri, 31 Dec 2099 23:59:59 GMT"}))
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/down"), max_bytes=100)
    assert caught.value.retry_after == 3600  # a date years away is capped at an hour
    server.serve("/broken", Reply(500, headers={"Retry-After": "120"}))
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/broken"), max_bytes=100)
    assert caught.value.retry_after is None


def test_a_slow_server_times_out_as_a_transient_failure(server):
    server.serve("/slow", Reply(200, b"late", delay=2))
    with Client(timeout_s=0.3) as client, pytest.raises(FetchError, match="timed out") as caught:
        client.fetch(server.url("/slow"), max_bytes=100)
    assert not caught.value.permanent


def test_a_client_reuses_its_session_for_several_fetches(server):
    server.serve("/a", Reply(200, b"a"))
    server.serve("/b", Reply(200, b"b"))
    with Client() as client:
        assert [client.fetch(server.url(p), max_bytes=10).body for p in ("/a", "/b")] == [
            b"a",
            b"b",
        ]
    assert server.requests[0].headers["User-Agent"].startswith("Stadtbote/")
