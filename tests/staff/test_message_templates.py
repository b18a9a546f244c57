"""Admins and publishers keep their town's message templates in the console (the admin site
is for operators only); nobody else can, and no town sees another's."""

from __future__ import annotations

import pytest

from stadtbote.audit.models import AuditEntry
from stadtbote.messages.models import MessageTemplate
from tests.staff.conftest import signed_in

FORM = {
    "name_de": "Wasserrohrbruch",
    "title_de": "Wasserrohrbruch in der [Straße]",
    "body_de": "Bis [Uhrzeit] gibt es kein Wasser.",
    "name_en": "Burst water main",
    "title_en": "Burst water main in [street]",
    "severity": "moderate",
    "topic": ["strassensperrungen", "unknown-topic"],
}


@pytest.fixture
def publisher(tenant):
    return signed_in(tenant, "publisher")


def test_a_publisher_writes_a_template_that_compose_then_offers(publisher, tenant):
    response = publisher.post("/musterstadt/staff/templates/new", FORM)
    assert response.status_code == 302
    template = MessageTemplate.objects.get(tenant=tenant, slug="wasserrohrbruch")
    assert template.title == {"de": FORM["title_de"], "en": FORM["title_en"]}
    assert template.body == {"de": FORM["body_de"]}
    assert (template.severity, template.topics) == ("moderate", ["strassensperrungen"])
    assert AuditEntry.objects.filter(action="template.create", object_id="wasserrohrbruch").exists()
    compose = publisher.get("/musterstadt/staff/messages/new?template=wasserrohrbruch")
    assert "Wasserrohrbruch in der [Straße]" in compose.content.decode()
    listing = publisher.get("/musterstadt/staff/templates/").content.decode()
    assert "Burst water main" in listing  # in the reader's language


def test_a_second_template_with_the_same_name_gets_its_own_slug(publisher, tenant):
    publisher.post("/musterstadt/staff/templates/new", FORM)
    publisher.post("/musterstadt/staff/templates/new", FORM)
    slugs = set(MessageTemplate.objects.filter(tenant=tenant).values_list("slug", flat=True))
    assert {"wasserrohrbruch", "wasserrohrbruch-2"} <= slugs


def test_a_template_is_edited_and_deleted_with_before_and_after_in_the_audit_log(publisher, tenant):
    publisher.post("/musterstadt/staff/templates/new", FORM)
    template = MessageTemplate.objects.get(tenant=tenant, slug="wasserrohrbruch")
    changed = {**FORM, "title_de": "Kein Wasser in der [Straße]"}
    publisher.post(f"/musterstadt/staff/templates/{template.pk}", changed)
    template.refresh_from_db()
    assert template.title["de"] == "Kein Wasser in der [Straße]"
    entry = AuditEntry.objects.get(action="template.update")
    assert entry.before["title"]["de"] == FORM["title_de"]
    assert entry.after["title"]["de"] == "Kein Wasser in der [Straße]"
    publisher.post(f"/musterstadt/staff/templates/{template.pk}/delete")
    assert not MessageTemplate.objects.filter(pk=template.pk).exists()
    assert AuditEntry.objects.filter(action="template.delete").exists()


def test_a_missing_title_and_a_long_name_are_named_next_to_their_fields_and_nothing_is_lost(
    publisher, tenant
):
    response = publisher.post(
        "/musterstadt/staff/templates/new", {**FORM, "title_de": "", "name_en": "x" * 81}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'href="#title-de"' in page
    assert 'id="title-de-error"' in page
    assert 'aria-describedby="placeholder-hint title-de-error"' in page
    assert 'id="name-en-error"' in page
    assert "Bis [Uhrzeit] gibt es kein Wasser." in page  # what was typed stays
    assert not MessageTemplate.objects.filter(tenant=tenant, slug="wasserrohrbruch").exists()


@pytest.mark.parametrize("role", ["caseworker", "viewer"])
def test_case_workers_and_viewers_cannot_keep_templates(role, tenant):
    client = signed_in(tenant, role)
    assert client.get("/musterstadt/staff/templates/").status_code == 403
    assert client.post("/musterstadt/staff/templates/new", FORM).status_code == 403
    assert not MessageTemplate.objects.filter(slug="wasserrohrbruch").exists()


def test_another_towns_templates_cannot_be_seen_changed_or_deleted(publisher, other_town):
    theirs = MessageTemplate.objects.create(
        tenant=other_town, slug="amt", name={"de": "Amt zu"}, title={"de": "Amt zu"}
    )
    assert publisher.get(f"/musterstadt/staff/templates/{theirs.pk}").status_code == 404
    assert publisher.post(f"/musterstadt/staff/templates/{theirs.pk}", FORM).status_code == 404
    assert publisher.post(f"/musterstadt/staff/templates/{theirs.pk}/delete").status_code == 404
    assert MessageTemplate.objects.filter(pk=theirs.pk).exists()
