"""The citizen app speaks German by default: its strings are in the German catalog."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

import stadtbote
from tests.web.support import sign_up, text

pytestmark = pytest.mark.django_db

PACKAGE = Path(stadtbote.__file__).parent
WEB = PACKAGE / "web"
MISSING_CATALOG = (
    "BUG: src/stadtbote/locale/de/LC_MESSAGES/django.po was not updated for the citizen app "
    "(issue 3): 131 of the 147 strings of web/templates/web/*.html, web/views, web/*.py and "
    "pages/service.py are not in it, so German readers (the default) get English pages"
)


def web_strings() -> set[str]:
    """Literal msgids of the citizen app's templates and Python code."""
    found: set[str] = set()
    for path in (WEB / "templates" / "web").glob("*.html"):
        found |= set(re.findall(r'{% translate "([^"]+)"', path.read_text()))
    for path in [*WEB.glob("*.py"), *(WEB / "views").glob("*.py"), PACKAGE / "pages/service.py"]:
        source = path.read_text()
        found |= set(re.findall(r'\b_\(\s*"([^"]+)"\s*\)', source))
        found |= set(re.findall(r'pgettext_lazy\("[^"]+", "([^"]+)"\)', source))
    return found


def test_the_citizen_app_has_strings_to_translate():
    strings = web_strings()
    assert "My inbox" in strings
    assert "Choose at least one place." in strings
    assert len(strings) > 100


def test_every_string_of_the_citizen_app_is_in_the_german_catalog():
    with open(PACKAGE / "locale/de/LC_MESSAGES/django.mo", "rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    known = {k.split("\x04", 1)[-1] if isinstance(k, str) else k[0] for k in catalog}
    missing = sorted(web_strings() - known)
    assert missing == [], f"{len(missing)} strings without German, e.g. {missing[:5]}"


@pytest.mark.parametrize(
    ("path", "english"),
    [
        ("/musterstadt/start", "Your places"),
        ("/musterstadt/inbox", "You have not subscribed on this device yet."),
        ("/musterstadt/accessibility", "Report a barrier"),
    ],
)
def test_german_readers_get_german_pages(client, tenant, path, english):
    page = text(client.get(path, HTTP_ACCEPT_LANGUAGE="de"))
    assert 'lang="de"' in page
    assert english not in page


def test_a_german_subscriber_sees_the_settings_in_german(client, tenant):
    sign_up(client)
    page = text(client.get("/musterstadt/settings", HTTP_ACCEPT_LANGUAGE="de"))
    assert "Save changes" not in page
