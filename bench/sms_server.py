"""The SMPP 3.4 SMSC of the tests as its own process, counting what it accepts, for benchmarks.

    .venv/bin/python -m bench.sms_server [--system-id stadtbote] [--password secret]
        [--source Musterstadt] [--receipts]

(from the repository root, so ``tests.support`` imports). The server is the test suite's
(``tests/support/smpp_server.py``: bind_transceiver, submit_sm with GSM-7/UCS-2 and concatenated
parts, enquire_link, unbind; PDUs parsed and built by hand), run in a process of its own so it
does not share a GIL with the measuring script. By default it sends **no** delivery receipts
(a receipt is a deliver_sm the engine answers and records; ``--receipts`` sends them at once).

The first stdout line is JSON: ``STADTBOTE_SMS_PROVIDERS`` for the engine (``env``; one SMPP
provider, no ``rate=``) and a ``stats`` URL. ``GET stats`` answers ``accepted`` (whole SMS: the
last part of a concatenated one completes it), ``parts``, ``rejected`` (submit_sm answered with
an error), ``first_at``/``last_at`` (epoch seconds of the first and last completed SMS),
``connections`` (accepted binds), ``max_outstanding`` (the largest window one session used) and
``segments`` (SMS by number of parts). SIGTERM/SIGINT stop the server; the final stats go to
stdout.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from collections import Counter
from typing import Any

from bench.native_push_servers import _stats_server


def run_smpp(
    system_id: str, password: str, receipts: bool
) -> tuple[Any, int, Any]:  # (stats(), port, stop())
    from tests.support.smpp_server import SmppServer, _Session

    class CountingSmsc(SmppServer):
        """Also counts whole SMS and notes when the first and the latest were complete.

        Runs on the server's one event-loop thread; ``stats`` reads under the lock.
        """

        def __post_init__(self) -> None:
            super().__post_init__()
            self.counts: Counter[str] = Counter()
            self.segments: Counter[int] = Counter()
            self.first_at: float | None = None
            self.last_at: float | None = None

        def _submit(self, session: _Session, sequence: int, body: bytes) -> None:
            before = len(self.submitted)
            super()._submit(session, sequence, body)
            if len(self.submitted) == before:
                return  # dropped unanswered (not steered in the bench)
            sub = self.submitted[-1]
            # The bench keeps no copy of every PDU: 20,000 SMS would hold their texts.
            self.submitted.clear()
            self.commands.clear()
            now = time.time()
            with self._lock:
                if sub.status != 0:
                    self.counts["rejected"] += 1
                    return
                self.counts["parts"] += 1
                if sub.udh is None or sub.udh[2] == sub.udh[1]:
                    self.counts["accepted"] += 1
                    self.segments[1 if sub.udh is None else sub.udh[1]] += 1
                    if self.first_at is None:
                        self.first_at = now
                    self.last_at = now

    server = CountingSmsc(system_id=system_id, password=password, receipts=receipts).start()

    def stats() -> dict[str, Any]:
        with server._lock:
            return {
                "accepted": server.counts["accepted"],
                "parts": server.counts["parts"],
                "rejected": server.counts["rejected"],
                "first_at": server.first_at,
                "last_at": server.last_at,
                "connections": sum(1 for b in server.binds if b.accepted),
                "max_outstanding": server.max_outstanding,
                "segments": {str(k): v for k, v in sorted(server.segments.items())},
                "receipt_acks": server.receipt_acks,
            }

    return stats, server.port, server.stop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--system-id", default="stadtbote")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--source", default="Musterstadt", help="the sender the engine uses")
    parser.add_argument(
        "--receipts", action="store_true", help="send a delivery receipt for every SMS"
    )
    args = parser.parse_args(argv)
    stats, port, stop_server = run_smpp(args.system_id, args.password, args.receipts)
    http = _stats_server(stats)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    url = f"http://127.0.0.1:{http.server_address[1]}/_stats"
    provider = (
        f"smpp://{args.system_id}:{args.password}@127.0.0.1:{port}?source={args.source}&name=smsc"
    )
    print(json.dumps({"stats": url, "env": {"STADTBOTE_SMS_PROVIDERS": provider}}), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        http.shutdown()
        print(json.dumps(stats()), flush=True)
        stop_server()


if __name__ == "__main__":
    main()
