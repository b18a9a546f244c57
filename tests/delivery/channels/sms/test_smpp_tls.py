"""SMPP over TLS: the SMSC's name is checked, and PDUs that arrive together in one TLS record
are all read (an SMSC behind stunnel or a buffered writer sends them that way)."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stadtbote.delivery.channels.sms.providers.base import SmsOut
from stadtbote.delivery.channels.sms.providers.smpp import SmppProvider
from tests.support.smpp_server import SmppServer
from tests.support.tls import self_signed_tls


class CoalescingTlsProxy:
    """TLS in front of the SMSC; what the SMSC answers is collected for 50 ms and written as
    one TLS record."""

    def __init__(self, backend_port: int, cert: Path, key: Path):
        self._backend = backend_port
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert, key)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return
            tls = self._context.wrap_socket(raw, server_side=True)
            back = socket.create_connection(("127.0.0.1", self._backend))
            threading.Thread(target=self._upstream, args=(tls, back), daemon=True).start()
            threading.Thread(target=self._downstream, args=(back, tls), daemon=True).start()

    @staticmethod
    def _upstream(tls: ssl.SSLSocket, back: socket.socket) -> None:
        try:
            while data := tls.recv(65536):
                back.sendall(data)
        except OSError:
            pass

    @staticmethod
    def _downstream(back: socket.socket, tls: ssl.SSLSocket) -> None:
        try:
            while data := back.recv(65536):
                time.sleep(0.05)
                back.setblocking(False)
                try:
                    while more := back.recv(65536):
                        data += more
                except BlockingIOError:
                    pass
                back.setblocking(True)
                tls.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def tls_smsc(tmp_path: Path) -> Iterator[tuple[CoalescingTlsProxy, Path]]:
    cert, key = self_signed_tls(tmp_path)
    with SmppServer(system_id="stadtbote", password="secret", receipts=False) as smsc:
        proxy = CoalescingTlsProxy(smsc.port, cert, key)
        yield proxy, cert
        proxy.close()


def test_every_answer_in_a_coalesced_tls_record_is_read_and_the_name_is_checked(tls_smsc):
    proxy, cert = tls_smsc
    context = ssl.create_default_context(cafile=str(cert))  # verifies the SMSC's name
    provider = SmppProvider(
        "127.0.0.1",
        proxy.port,
        system_id="stadtbote",
        password="secret",
        source="Musterstadt",
        ssl_context=context,
        timeout=3.0,
    )
    try:
        results = provider.submit(
            [SmsOut(f"r{n}", f"+49151100000{n:02d}", f"Nachricht {n}") for n in range(10)]
        )
    finally:
        provider.close()

    assert [bool(r.message_ids) for r in results] == [True] * 10
    assert [r.error for r in results] == [""] * 10
