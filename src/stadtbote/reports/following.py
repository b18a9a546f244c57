"""Following a report: subscribers of the citizen app at once (their channels are confirmed
already), anyone else by e-mail after clicking a link we sent (double opt-in, so nobody can
sign a stranger up for mails)."""

from __future__ import annotations

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q

from stadtbote.core.errors import InvalidInput
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.reports.models import Case, Follower
from stadtbote.subscribers.models import Channel, ChannelType, Subscriber

SALT = "stadtbote.reports.follow"
LINK_VALID_S = 3 * 24 * 3600


def follow_as_subscriber(case: Case, subscriber: Subscriber, *, reporter: bool = False) -> bool:
    """Make ``subscriber`` a follower; False if they follow already."""
    if subscriber.tenant_id != case.tenant_id:
        raise InvalidInput("no such report", field="report")
    try:
        with transaction.atomic():
            Follower.objects.create(case=case, subscriber=subscriber, is_reporter=reporter)
    except IntegrityError:
        return False
    return True


def follows(case: Case, subscriber: Subscriber | None) -> bool:
    return bool(subscriber) and Follower.objects.filter(case=case, subscriber=subscriber).exists()


def request_email_follow(case: Case, email: str, language: str) -> None:
    """Send the confirmation link; the follower exists only once the link is used."""
    from stadtbote.reports.tasks import send_follow_confirmation

    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput("not a valid e-mail address", field="email") from None
    enqueue_on_commit(send_follow_confirmation, case.pk, email, language)


def email_token(case: Case, email: str) -> str:
    return signing.dumps({"c": str(case.public_id), "e": email.lower()}, salt=SALT, compress=True)


def read_email_token(token: str) -> tuple[str, str] | None:
    """(case public id, e-mail) of a valid, unexpired link; None otherwise."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_VALID_S)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not {"c", "e"} <= data.keys():
        return None
    return str(data["c"]), str(data["e"])


def confirm_email_follow(case: Case, email: str) -> bool:
    """Add the e-mail follower (idempotent: a second click changes nothing)."""
    try:
        with transaction.atomic():
            Follower.objects.create(case=case, email=email)
    except IntegrityError:
        return False
    return True


UNFOLLOW_SALT = "stadtbote.reports.unfollow"


def unfollow_token(case: Case, email: str) -> str:
    """For the link in every notice mail; it does not expire (a stop link must always work)."""
    return signing.dumps(
        {"c": str(case.public_id), "e": email.lower()}, salt=UNFOLLOW_SALT, compress=True
    )


def read_unfollow_token(token: str) -> tuple[str, str] | None:
    try:
        data = signing.loads(token, salt=UNFOLLOW_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not {"c", "e"} <= data.keys():
        return None
    return str(data["c"]), str(data["e"])


def unfollow_email(case: Case, email: str) -> int:
    """Stop mails about ``case`` to ``email``; returns how many follows ended.

    The address may be a follower's own (the reporter's too) or come from the e-mail channel of
    someone who follows in the app. Such a follow covers all of that subscriber's channels and
    there is nowhere to note "but no mail", so it ends as a whole: their pushes about this
    report stop too, and following again in the app brings both back.
    """
    in_app = Channel.objects.filter(
        tenant_id=case.tenant_id, type=ChannelType.EMAIL, address__iexact=email
    ).values("subscriber_id")
    deleted, _ = Follower.objects.filter(
        Q(email__iexact=email) | Q(subscriber_id__in=in_app), case=case
    ).delete()
    return deleted
