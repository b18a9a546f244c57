"""What the native-app push tests (FCM, APNs) share: a clock the channel and the local server
both read, so token ages can be stepped over, and the notice they send."""

from __future__ import annotations

import dataclasses

from stadtbote.delivery.channels.base import Notice

# 2030-01-01T12:00:00Z: the notices below expire a day later.
START = 1893499200.0
EXPIRES = 1893585600


class Clock:
    """Shared by the channel and the server, so token age and expiry can be stepped over."""

    def __init__(self, now: float = START):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_notice(**changes: object) -> Notice:
    notice = Notice(
        message_id="msg-0042",
        kind="message",
        title="Hochwasserwarnung Rheinufer",
        body="Der Pegel steigt. Bitte meiden Sie die Uferwege bis Freitag.",
        severity="severe",
        url="https://musterstadt.example/m/msg-0042",
        language="de",
        tenant="musterstadt",
        tenant_name="Stadt Musterstadt",
        expires_at="2030-01-02T12:00:00+00:00",
        sent_at="2030-01-01T12:00:00+00:00",
    )
    return dataclasses.replace(notice, **changes)
