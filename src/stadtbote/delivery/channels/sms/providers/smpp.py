"""An SMPP 3.4 ESME (client) on python-smpplib, which encodes and parses the PDUs.

smpplib's own loop (``listen``) blocks forever and raises on any error status, so this module
runs its own: submit_sm PDUs go out while at most ``window`` wait for their submit_sm_resp and
no faster than ``max_per_second``; in between and afterwards it reads whatever the SMSC sends
(responses, receipts, enquire_link, unbind). Every read waits at most ``timeout``.

A dropped connection costs the messages whose submit_sm_resp never came: they are reported as
retryable (the SMSC may or may not have taken them; delivery is at-least-once, ADR 0005). Then
the provider reconnects with a limited, growing backoff and goes on with the rest.
"""

from __future__ import annotations

import logging
import secrets
import select
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from smpplib import client as smpp_client
from smpplib import consts as smpp_consts
from smpplib import exceptions as smpp_exceptions
from smpplib import smpp

from ..encoding import encode, plan, split
from .base import Receipt, SmsOut, SubmitResult, accepted, failed
from .smpp_status import ESME_ROK, ESME_RTHROTTLED, classify_status, parse_receipt, status_name

logger = logging.getLogger(__name__)

DATA_CODING = {"gsm7": 0x00, "ucs2": 0x08}
ESM_UDHI = 0x40
ESM_DELIVERY_RECEIPT = 0x04
INTERFACE_VERSION = 0x34
_SMPP_ERRORS = (smpp_exceptions.ConnectionError, smpp_exceptions.PDUError, OSError)


class _Client(smpp_client.Client):
    """smpplib's client, but TLS checks the SMSC's name (smpplib wraps without
    ``server_hostname``, which a verifying context refuses)."""

    def _create_socket(self) -> Any:
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.settimeout(self.timeout)
        if self._ssl_context is None:
            return raw
        return self._ssl_context.wrap_socket(raw, server_hostname=self.host)


class _ProviderDown(Exception):
    """No usable session: every message not yet answered fails over (or is retried)."""


@dataclass(slots=True)
class _Message:
    out: SmsOut
    parts: list[bytes]
    data_coding: int
    esm_class: int
    ids: dict[int, str] = field(default_factory=dict)  # part index -> SMSC message id
    result: SubmitResult | None = None


def source_address(source: str) -> tuple[int, int, str]:
    """(TON, NPI, address): an international number, or an alphanumeric sender of up to 11."""
    digits = source.removeprefix("+")
    if digits.isdigit() and 3 <= len(digits) <= 15:
        return (1, 1, digits) if source.startswith("+") else (0, 1, digits)
    if not 1 <= len(source) <= 11 or not source.isascii() or not source.isprintable():
        raise ValueError(f"an alphanumeric sender is 1-11 printable ASCII characters: {source!r}")
    return 5, 0, source


class SmppProvider:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        system_id: str,
        password: str,
        system_type: str = "",
        source: str = "Stadtbote",
        name: str = "smpp",
        window: int = 10,
        max_per_second: float = 50.0,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        enquire_link_interval: float = 30.0,
        reconnect_attempts: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        throttle_pause: float = 1.0,
        long_messages: Literal["udh", "payload"] = "udh",
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if window < 1 or max_per_second <= 0 or timeout <= 0 or reconnect_attempts < 0:
            raise ValueError("window, max_per_second and timeout must be positive")
        if len(system_id) > 15 or len(password) > 8 or len(system_type) > 12:
            raise ValueError("SMPP 3.4 allows system_id 15, password 8, system_type 12 chars")
        self.name = name
        self._host, self._port = host, int(port)
        self._bind = {
            "system_id": system_id,
            "password": password,
            "system_type": system_type,
            "interface_version": INTERFACE_VERSION,
        }
        self._source = source_address(source)
        self._window = window
        self._interval = 1.0 / max_per_second
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._enquire_interval = enquire_link_interval
        self._reconnect_attempts = reconnect_attempts
        self._backoff, self._max_backoff = backoff, max_backoff
        self._throttle_pause = throttle_pause
        self._long_messages = long_messages
        self._ssl_context = ssl_context
        self._clock, self._sleep = clock, sleep
        self._client: Any = None
        self._pending: dict[int, tuple[_Message, int]] = {}  # sequence -> (message, part)
        self._receipts: list[Receipt] = []
        self._next_send = 0.0
        self._last_io = 0.0
        # Phones join parts by (sender, reference): a provider made per batch must not start
        # where the last one did, or two long SMS in a row to one phone would be mixed up.
        self._concat_ref = secrets.randbelow(256)

    # -- the interface -------------------------------------------------------------------

    def submit(self, messages: Sequence[SmsOut]) -> list[SubmitResult]:
        queue = [self._prepare(out) for out in messages]
        try:
            for message in queue:
                if message.result is None:
                    self._send_message(message)
            self._drain(self._clock() + self._timeout)
            for message, _part in list(self._pending.values()):
                self._settle(message, failed(message.out.reference, "no submit_sm_resp in time"))
            self._pending.clear()
        except _ProviderDown as exc:
            for message in queue:
                if message.result is None:
                    message.result = failed(message.out.reference, str(exc), provider_failure=True)
        return [message.result or failed(message.out.reference, "not sent") for message in queue]

    def receipts(self, *, wait: float = 0.0) -> list[Receipt]:
        """Receipts read so far plus those arriving within ``wait`` seconds (binds if not
        bound: SMSCs hold receipts for a system_id until some session of it is bound)."""
        try:
            self._ensure_bound()
            self._drain(self._clock() + wait, until_idle=True)
        except _ProviderDown as exc:
            logger.warning("%s: receipts not read: %s", self.name, exc)
        receipts, self._receipts = self._receipts, []
        return receipts

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if client.state == smpp_consts.SMPP_CLIENT_STATE_BOUND_TRX:
                unbind = smpp.make_pdu("unbind", client=client)
                client.send_pdu(unbind)
                self._read_pdus(
                    client, self._clock() + min(self._timeout, 2.0), stop_on="unbind_resp"
                )
        except _SMPP_ERRORS:
            pass
        finally:
            client.disconnect()

    def __enter__(self) -> SmppProvider:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- sending -------------------------------------------------------------------------

    def _prepare(self, out: SmsOut) -> _Message:
        sms = plan(out.text)
        coding = DATA_CODING[sms.encoding]
        if sms.segments == 1 or self._long_messages == "payload":
            message = _Message(out, [encode(out.text, sms.encoding)], coding, 0)
        else:
            self._concat_ref = (self._concat_ref + 1) % 256
            texts = split(out.text, sms)
            header = bytes((0x05, 0x00, 0x03, self._concat_ref, len(texts)))
            parts = [
                header + bytes((index,)) + encode(text, sms.encoding)
                for index, text in enumerate(texts, start=1)
            ]
            message = _Message(out, parts, coding, ESM_UDHI)
        if not out.to.startswith("+") or not out.to[1:].isdigit():
            message.result = failed(
                out.reference, f"not an E.164 number: {out.to!r}", permanent=True
            )
        return message

    def _send_message(self, message: _Message) -> None:
        for index, part in enumerate(message.parts):
            if message.result is not None:
                return  # an earlier part failed: the rest would arrive as a fragment
            for attempt in range(self._reconnect_attempts + 1):
                if message.result is not None:
                    return  # its earlier parts were lost with the connection
                try:
                    self._ensure_bound()
                    self._wait_for_room()
                    self._submit_part(message, index, part)
                    break
                except _SMPP_ERRORS as exc:
                    self._connection_lost(f"{type(exc).__name__}: {exc}")
                    if attempt == self._reconnect_attempts:
                        raise _ProviderDown(f"connection lost: {exc}") from None

    def _submit_part(self, message: _Message, index: int, part: bytes) -> None:
        ton, npi, source = self._source
        fields: dict[str, Any] = {
            "service_type": "",
            "source_addr_ton": ton,
            "source_addr_npi": npi,
            "source_addr": source,
            "dest_addr_ton": 1,
            "dest_addr_npi": 1,
            "destination_addr": message.out.to.removeprefix("+"),
            "esm_class": message.esm_class,
            "registered_delivery": 1,
            "data_coding": message.data_coding,
        }
        if len(part) > 254:
            fields["message_payload"] = part  # only in "payload" mode; parts are <= 140
        else:
            fields["short_message"] = part
        pdu = smpp.make_pdu("submit_sm", client=self._client, **fields)
        self._client.send_pdu(pdu)
        now = self._clock()
        self._last_io = now
        self._next_send = max(self._next_send, now) + self._interval
        self._pending[pdu.sequence] = (message, index)

    def _wait_for_room(self) -> None:
        """Hold the next submit_sm until the window has room and the rate allows it."""
        deadline = self._clock() + self._timeout
        while len(self._pending) >= self._window:
            if self._clock() >= deadline:
                raise smpp_exceptions.ConnectionError(
                    f"{len(self._pending)} submit_sm without response for {self._timeout:g}s"
                )
            self._read_pdus(self._client, deadline, stop_on="submit_sm_resp")
        wait = self._next_send - self._clock()
        if wait > 0:
            self._read_pdus(self._client, self._clock() + wait)
            wait = self._next_send - self._clock()
            if wait > 0:
                self._sleep(wait)

    def _drain(self, deadline: float, *, until_idle: bool = False) -> None:
        """Read until every submit_sm is answered (``until_idle``: until nothing more comes)
        or the deadline passes."""
        while self._client is not None and (self._pending or until_idle):
            try:
                if not self._read_pdus(self._client, deadline, stop_on="*"):
                    return
            except _SMPP_ERRORS as exc:
                self._connection_lost(f"{type(exc).__name__}: {exc}")
                return

    # -- the session ---------------------------------------------------------------------

    def _ensure_bound(self) -> None:
        if self._client is not None:
            if self._clock() - self._last_io >= self._enquire_interval:
                try:
                    self._client.send_pdu(smpp.make_pdu("enquire_link", client=self._client))
                    self._last_io = self._clock()
                except _SMPP_ERRORS as exc:
                    self._connection_lost(f"enquire_link: {exc}")
            if self._client is not None:
                return
        delay = self._backoff
        last_error = ""
        for attempt in range(self._reconnect_attempts + 1):
            if attempt:
                self._sleep(delay)
                delay = min(delay * 2, self._max_backoff)
            try:
                self._client = self._connect()
                return
            except _BindRefused as exc:
                raise _ProviderDown(str(exc)) from None
            except _SMPP_ERRORS as exc:
                last_error = f"{type(exc).__name__}: {exc}"
        raise _ProviderDown(f"cannot bind to {self._host}:{self._port}: {last_error}")

    def _connect(self) -> Any:
        client = _Client(
            self._host,
            self._port,
            timeout=self._connect_timeout,
            ssl_context=self._ssl_context,
            allow_unknown_opt_params=True,
            logger_name=f"{__name__}.{self.name}",
        )
        try:
            client.connect()
            client._socket.settimeout(self._timeout)  # smpplib has one timeout for both
            client.bind_transceiver(**self._bind)
        except smpp_exceptions.PDUError as exc:
            client.disconnect()
            status = exc.args[1] if len(exc.args) > 1 else 0
            raise _BindRefused(f"bind_transceiver refused: {status_name(status)}") from None
        except BaseException:
            client.disconnect()
            raise
        self._last_io = self._clock()
        return client

    def _connection_lost(self, reason: str) -> None:
        logger.warning("%s: connection lost: %s", self.name, reason)
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
        for message, _part in self._pending.values():
            self._settle(message, failed(message.out.reference, f"connection lost: {reason}"))
        self._pending.clear()

    # -- reading -------------------------------------------------------------------------

    def _read_pdus(self, client: Any, deadline: float, stop_on: str = "") -> bool:
        """Read PDUs until one named ``stop_on`` was handled ("*": any) or the deadline.
        Returns whether anything was read."""
        read = False
        while True:
            wait = max(0.0, deadline - self._clock())
            sock = client._socket
            # TLS may have decrypted more than one PDU already: select() on the raw socket
            # would not see those, and their answers would be taken for lost.
            buffered = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
            if not buffered and not select.select([sock], [], [], wait)[0]:
                return read
            try:
                pdu = client.read_pdu()
            except TimeoutError:
                raise smpp_exceptions.ConnectionError("a PDU stalled halfway") from None
            read = True
            self._last_io = self._clock()
            self._handle(client, pdu)
            if stop_on in ("*", pdu.command):
                return True

    def _handle(self, client: Any, pdu: Any) -> None:
        command = pdu.command
        if command in ("submit_sm_resp", "generic_nack"):
            entry = self._pending.pop(pdu.sequence, None)
            if entry is not None:
                self._answered(entry[0], entry[1], pdu)
        elif command == "deliver_sm":
            self._take_receipt(pdu)
            resp = smpp.make_pdu("deliver_sm_resp", client=client)
            resp.sequence = pdu.sequence
            client.send_pdu(resp)
        elif command == "enquire_link":
            resp = smpp.make_pdu("enquire_link_resp", client=client)
            resp.sequence = pdu.sequence
            client.send_pdu(resp)
        elif command == "unbind":
            resp = smpp.make_pdu("unbind_resp", client=client)
            resp.sequence = pdu.sequence
            client.send_pdu(resp)
            raise smpp_exceptions.ConnectionError("the SMSC unbound")

    def _answered(self, message: _Message, index: int, pdu: Any) -> None:
        if message.result is not None:
            return
        if pdu.status != ESME_ROK:
            meaning = classify_status(pdu.status, pdu.command)
            retry_after = None
            if pdu.status == ESME_RTHROTTLED:
                # The SMSC asks us to slow down: nothing more goes out for a while.
                self._next_send = max(self._next_send, self._clock() + self._throttle_pause)
                retry_after = self._throttle_pause
            message.result = failed(
                message.out.reference,
                meaning.reason,
                permanent=meaning.permanent,
                provider_failure=meaning.provider_failure,
                retry_after=retry_after,
            )
            return
        message.ids[index] = _text(getattr(pdu, "message_id", b""))
        if len(message.ids) == len(message.parts):
            ids = [message.ids[i] for i in range(len(message.parts))]
            message.result = accepted(message.out.reference, *ids, segments=len(message.parts))

    def _settle(self, message: _Message, result: SubmitResult) -> None:
        if message.result is None:
            message.result = result

    def _take_receipt(self, pdu: Any) -> None:
        if not (pdu.esm_class or 0) & ESM_DELIVERY_RECEIPT:
            return  # a citizen's reply (mobile originated): not handled here
        coding = "ucs2" if pdu.data_coding == DATA_CODING["ucs2"] else "ascii"
        raw = pdu.short_message or getattr(pdu, "message_payload", None) or b""
        text = raw.decode("utf-16-be", "replace") if coding == "ucs2" else _text(raw)
        state = getattr(pdu, "message_state", None)
        network_error = getattr(pdu, "network_error_code", None)
        receipt = parse_receipt(
            text,
            receipted_message_id=_text(getattr(pdu, "receipted_message_id", None) or b"") or None,
            message_state=state if isinstance(state, int) else None,
            network_error=network_error.hex() if isinstance(network_error, bytes) else "",
        )
        if receipt is not None:
            self._receipts.append(receipt)


class _BindRefused(Exception):
    """The SMSC answered the bind with an error: wrong credentials do not get better by
    retrying within this batch."""


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.rstrip("\x00")
    return value.rstrip(b"\x00").decode("ascii", "replace")
