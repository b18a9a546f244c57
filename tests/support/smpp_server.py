"""A real SMPP 3.4 SMSC on 127.0.0.1 for the SMS tests; it parses and builds PDUs itself.

    with SmppServer(system_id="stadtbote", password="secret") as smsc:
        provider = SmppProvider("127.0.0.1", smsc.port, ...)

It answers bind_transceiver, submit_sm (message ids m000001, m000002, ...), enquire_link and
unbind, sends generic_nack for commands it does not know, records every submit_sm with its text
decoded by data_coding and its concatenation header, and sends delivery receipts as deliver_sm.
Tests steer it: ``answer(number, status, times)``, ``throttle(times)``, ``drop_on_submit(n)``,
``response_delay``, ``receipt_delay`` and ``receipt_status(number, stat)``. A receipt due on a
session that has closed waits in ``held`` for the next bind, as at a real SMSC.
"""

from __future__ import annotations

import asyncio
import struct
import threading
from dataclasses import dataclass, field

from stadtbote.delivery.channels.sms.encoding import decode

BIND_TRANSCEIVER = 0x00000009
SUBMIT_SM = 0x00000004
DELIVER_SM = 0x00000005
UNBIND = 0x00000006
ENQUIRE_LINK = 0x00000015
GENERIC_NACK = 0x80000000
RESP = 0x80000000
ESME_RINVCMDID = 0x03
ESME_RINVPASWD = 0x0E
ESME_RTHROTTLED = 0x58
TLV_MESSAGE_PAYLOAD = 0x0424
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427
_STATES = {"DELIVRD": 2, "EXPIRED": 3, "DELETED": 4, "UNDELIV": 5, "ACCEPTD": 6, "REJECTD": 8}


@dataclass(frozen=True)
class Submitted:
    session: int  # 1 for the first bound connection, 2 after a reconnect, ...
    message_id: str  # "" when answered with an error
    status: int
    source: str
    source_ton: int
    destination: str
    esm_class: int
    data_coding: int
    registered_delivery: int
    udh: tuple[int, int, int] | None  # (reference, total, sequence) of a concatenated part
    text: str


@dataclass
class Bind:
    system_id: str
    password: str
    system_type: str
    interface_version: int
    accepted: bool


@dataclass
class _Session:
    number: int
    writer: asyncio.StreamWriter
    outstanding: int = 0
    sequence: int = 0x7000_0000
    closed: bool = False


def _cstring(data: bytes, pos: int) -> tuple[str, int]:
    end = data.index(b"\x00", pos)
    return data[pos:end].decode("latin-1"), end + 1


def _tlvs(data: bytes) -> dict[int, bytes]:
    found, pos = {}, 0
    while pos + 4 <= len(data):
        tag, length = struct.unpack(">HH", data[pos : pos + 4])
        found[tag] = data[pos + 4 : pos + 4 + length]
        pos += 4 + length
    return found


def pdu(command: int, status: int, sequence: int, body: bytes = b"") -> bytes:
    return struct.pack(">LLLL", 16 + len(body), command, status, sequence) + body


@dataclass
class SmppServer:
    system_id: str = "stadtbote"
    password: str = "secret"
    response_delay: float = 0.0
    receipt_delay: float = 0.0
    receipts: bool = True
    submitted: list[Submitted] = field(default_factory=list)
    binds: list[Bind] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    receipt_acks: int = 0
    max_outstanding: int = 0
    # Receipts whose session had closed, sent to the next bound session.
    held: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = 0
        self._lock = threading.Lock()
        self._scripts: dict[str, list[int]] = {}
        self._stats: dict[str, str] = {}
        self._throttle = 0
        self._drop_on: set[int] = set()
        self._submit_count = 0
        self._sessions: list[_Session] = []
        self._ids = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None

    # -- control -------------------------------------------------------------------------

    def answer(self, number: str, status: int, times: int = 1) -> None:
        """Answer the next ``times`` submit_sm to ``number`` (without "+") with ``status``."""
        with self._lock:
            self._scripts.setdefault(number.removeprefix("+"), []).extend([status] * times)

    def throttle(self, times: int) -> None:
        with self._lock:
            self._throttle += times

    def drop_on_submit(self, n: int) -> None:
        """Close the connection, unanswered, when the ``n``-th submit_sm (from 1) arrives."""
        with self._lock:
            self._drop_on.add(n)

    def receipt_status(self, number: str, stat: str) -> None:
        self._stats[number.removeprefix("+")] = stat

    def texts_for(self, number: str) -> list[str]:
        """Whole messages as a phone would show them: concatenated parts joined."""
        number = number.removeprefix("+")
        messages: list[str] = []
        parts: dict[tuple[int, int], dict[int, str]] = {}
        for sub in self.submitted:
            if sub.destination != number or sub.status != 0:
                continue
            if sub.udh is None:
                messages.append(sub.text)
                continue
            ref, total, seq = sub.udh
            parts.setdefault((sub.session, ref), {})[seq] = sub.text
            if len(parts[(sub.session, ref)]) == total:
                got = parts.pop((sub.session, ref))
                messages.append("".join(got[i] for i in range(1, total + 1)))
        return messages

    def start(self) -> SmppServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout=5)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> SmppServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for session in self._sessions:
            session.writer.close()
        await self._server.wait_closed()

    # -- protocol ------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(number=0, writer=writer)
        self._sessions.append(session)
        try:
            while not session.closed:
                header = await reader.readexactly(16)
                length, command, _status, sequence = struct.unpack(">LLLL", header)
                body = await reader.readexactly(length - 16)
                self._dispatch(session, command, sequence, body)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            session.closed = True
            writer.close()

    def _send(self, session: _Session, data: bytes) -> None:
        if not session.closed:
            session.writer.write(data)

    def _dispatch(self, session: _Session, command: int, sequence: int, body: bytes) -> None:
        names = {BIND_TRANSCEIVER: "bind_transceiver", SUBMIT_SM: "submit_sm", UNBIND: "unbind"}
        names |= {ENQUIRE_LINK: "enquire_link", DELIVER_SM | RESP: "deliver_sm_resp"}
        self.commands.append(names.get(command, f"0x{command:08x}"))
        if command == BIND_TRANSCEIVER:
            self._bind(session, sequence, body)
        elif command == SUBMIT_SM:
            self._submit(session, sequence, body)
        elif command == ENQUIRE_LINK:
            self._send(session, pdu(ENQUIRE_LINK | RESP, 0, sequence))
        elif command == UNBIND:
            self._send(session, pdu(UNBIND | RESP, 0, sequence))
            session.closed = True
        elif command == DELIVER_SM | RESP:
            self.receipt_acks += 1
        elif not command & RESP:
            self._send(session, pdu(GENERIC_NACK, ESME_RINVCMDID, sequence))

    def _bind(self, session: _Session, sequence: int, body: bytes) -> None:
        system_id, pos = _cstring(body, 0)
        password, pos = _cstring(body, pos)
        system_type, pos = _cstring(body, pos)
        ok = (system_id, password) == (self.system_id, self.password)
        self.binds.append(Bind(system_id, password, system_type, body[pos], ok))
        if ok:
            session.number = sum(1 for b in self.binds if b.accepted)
        status = 0 if ok else ESME_RINVPASWD
        self._send(session, pdu(BIND_TRANSCEIVER | RESP, status, sequence, b"smsc\x00"))
        if ok:
            held, self.held = self.held, []
            for message_id, stat in held:
                self._receipt(session, message_id, stat)

    def _submit(self, session: _Session, sequence: int, body: bytes) -> None:
        _service, pos = _cstring(body, 0)
        source_ton = body[pos]
        source, pos = _cstring(body, pos + 2)
        destination, pos = _cstring(body, pos + 2)
        esm_class, _pid, _prio = body[pos : pos + 3]
        _schedule, pos = _cstring(body, pos + 3)
        _validity, pos = _cstring(body, pos)
        registered, _replace, coding, _default, length = body[pos : pos + 5]
        pos += 5
        short_message = body[pos : pos + length]
        payload = _tlvs(body[pos + length :]).get(TLV_MESSAGE_PAYLOAD)
        data = short_message or payload or b""
        udh = None
        if esm_class & 0x40 and data[:3] == b"\x05\x00\x03":
            udh = (data[3], data[4], data[5])
            data = data[6:]
        text = decode(data, "ucs2" if coding == 8 else "gsm7")
        with self._lock:
            self._submit_count += 1
            drop = self._submit_count in self._drop_on
            script = self._scripts.get(destination)
            if drop:
                status = -1
            elif self._throttle:
                self._throttle -= 1
                status = ESME_RTHROTTLED
            elif script:
                status = script.pop(0)
            else:
                status = 0
            message_id = ""
            if status == 0:
                self._ids += 1
                message_id = f"m{self._ids:06d}"
        if drop:
            session.closed = True
            session.writer.close()
            return
        self.submitted.append(
            Submitted(
                session.number, message_id, status, source, source_ton, destination,
                esm_class, coding, registered, udh, text,
            )
        )  # fmt: skip
        session.outstanding += 1
        self.max_outstanding = max(self.max_outstanding, session.outstanding)
        resp = pdu(SUBMIT_SM | RESP, status, sequence, message_id.encode() + b"\x00")

        def respond() -> None:
            session.outstanding -= 1
            self._send(session, resp)
            if status == 0 and registered and self.receipts:
                stat = self._stats.get(destination, "DELIVRD")
                self._loop.call_later(self.receipt_delay, self._receipt, session, message_id, stat)

        if self.response_delay:
            self._loop.call_later(self.response_delay, respond)
        else:
            respond()

    def _receipt(self, session: _Session, message_id: str, stat: str) -> None:
        if session.closed:
            # As an SMSC does: kept for the system_id's next bound session.
            self.held.append((message_id, stat))
            return
        text = (
            f"id:{message_id} sub:001 dlvrd:{'001' if stat == 'DELIVRD' else '000'} "
            f"submit date:2611270900 done date:2611270901 stat:{stat} err:000 text:"
        ).encode()
        body = (
            b"\x00" + b"\x01\x01" + b"smsc\x00" + b"\x01\x01" + b"stadtbote\x00"
            + bytes((0x04, 0, 0)) + b"\x00\x00" + bytes((0, 0, 0, 0, len(text))) + text
            + struct.pack(">HH", TLV_RECEIPTED_MESSAGE_ID, len(message_id) + 1)
            + message_id.encode() + b"\x00"
            + struct.pack(">HHB", TLV_MESSAGE_STATE, 1, _STATES.get(stat, 7))
        )  # fmt: skip
        session.sequence += 1
        self._send(session, pdu(DELIVER_SM, 0, session.sequence, body))
