"""The answer to an inquiry reaches the citizen in the language they asked in, as an answer to
their question (not as a "report"), and the inquiry counts in the same queues and numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stadtbote.reports import inquiries, queue, service
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_answer_reaches_the_asker_by_mail_in_their_language(tenant, smtp):
    case = inquiries.open_inquiry(
        tenant, "Can I barbecue in the town park?", language="en", email="ada@example.org"
    )
    service.reply(case, "Yes, on the barbecue meadow.", None)
    drain()
    drain()
    [mail] = [r.message for r in smtp.received]
    assert mail["Subject"] == f"[{tenant.name}] Your question {case.number}: update"
    text = mail.get_content()
    assert "Can I barbecue in the town park?" in text
    assert "Yes, on the barbecue meadow." in text
    assert "No more mails about this question" in text


def test_an_inquiry_waits_in_the_queue_and_counts_in_the_numbers_like_a_report(tenant):
    case = inquiries.open_inquiry(
        tenant, "Darf ich im Stadtpark grillen?", language="de", email="ada@example.org"
    )
    assert case.department.slug == "buergerbuero"
    assert case.first_response_due == case.created_at + timedelta(hours=24)
    waiting = queue.queue(
        tenant.pk, queue.Filters(department="buergerbuero"), None, case.created_at
    )
    assert case in list(waiting)
    assert "frage" in {row.category for row in service.statistics(tenant)}
