"""The messages API takes "replaces" and shows it in the public JSON."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

NEWS = {"title": {"de": "Sperrung"}, "severity": "minor"}


def test_staff_publish_an_update_and_the_public_json_names_the_replaced_message(
    api, tenant, staff_token
):
    old = api.post("musterstadt/messages", NEWS, token=staff_token).json()["id"]
    response = api.post(
        "musterstadt/messages",
        {**NEWS, "title": {"de": "Sperrung verlängert"}, "replaces": old},
        token=staff_token,
    )
    assert response.status_code == 201, response.json()
    new = response.json()["id"]
    assert api.get(f"musterstadt/messages/{new}").json()["replaces"] == old
    assert api.get(f"musterstadt/messages/{old}").json()["replaces"] is None


def test_an_update_of_an_unknown_message_is_refused_naming_the_field(api, tenant, staff_token):
    response = api.post(
        "musterstadt/messages",
        {**NEWS, "replaces": "5b0f3a52-7c1e-4d7a-9a43-2f1e0c6b8d11"},
        token=staff_token,
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("replaces")


def test_the_openapi_document_describes_replaces(api):
    schema = api.get("openapi.json").json()["components"]["schemas"]["MessageIn"]
    assert "replaces" in schema["properties"]
