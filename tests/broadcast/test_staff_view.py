"""Staff see on a message's page what went to the town's own accounts."""

from __future__ import annotations

import pytest

from stadtbote.broadcast.models import BroadcastPost
from tests.staff.conftest import signed_in
from tests.support.tasks import drain

from .conftest import NEWS, Peers, add_account

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_message_page_lists_each_account_with_its_post_and_failures_with_the_reason(
    api, tenant, staff_token, peers: Peers
) -> None:
    add_account(tenant, peers, "mastodon", name="Mastodon @musterstadt")
    add_account(tenant, peers, "telegram", name="Telegram-Kanal")
    message_id = api.post("musterstadt/messages", NEWS, token=staff_token).json()["id"]
    drain()
    BroadcastPost.objects.filter(account__name="Telegram-Kanal").update(
        status="failed", reason="HTTP 403: bot was kicked from the channel", url=""
    )

    page = signed_in(tenant, "publisher").get(f"/musterstadt/staff/messages/{message_id}")
    html = page.content.decode()

    assert "own accounts</h2>" in html
    mastodon = BroadcastPost.objects.get(account__name="Mastodon @musterstadt")
    assert f'<a href="{mastodon.url}" rel="noopener noreferrer">posted</a>' in html
    assert "failed: HTTP 403: bot was kicked from the channel" in html
