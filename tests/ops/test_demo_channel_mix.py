"""`stadtbote demo --subscribers N --channel-mix ...`: synthetic subscribers on several channel
types in fixed proportions, the same for a seed, for the mixed fan-out benchmark."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stadtbote.core import tokens
from stadtbote.delivery.channels.apns.message import device_token_problem
from stadtbote.delivery.channels.fcm.message import token_problem
from stadtbote.delivery.channels.sms.numbers import check_reachable, normalise_number
from stadtbote.ops.demo import mix_pattern, parse_channel_mix, synthetic_number
from stadtbote.subscribers.models import Channel, Subscriber

pytestmark = pytest.mark.django_db

ENDPOINT = "http://127.0.0.1:9999"
MIX = "webpush=40,fcm=25,apns=20,email=15"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def channels() -> list[tuple[int, str, str, str, str]]:
    return list(
        Channel.objects.order_by("subscriber_id").values_list(
            "subscriber_id", "type", "status", "address", "address_key"
        )
    )


def test_each_synthetic_subscriber_gets_one_confirmed_channel_in_the_given_proportions():
    run("demo", "--subscribers", "200", "--push-endpoint", ENDPOINT, "--channel-mix", MIX)

    rows = channels()
    assert Subscriber.objects.count() == 200
    assert len({sid for sid, *_ in rows}) == 200
    assert Counter(kind for _, kind, *_ in rows) == {
        "webpush": 80,
        "fcm": 50,
        "apns": 40,
        "email": 30,
    }
    assert {status for _, _, status, _, _ in rows} == {"confirmed"}
    for _, kind, _, address, key in rows:
        assert key == tokens.address_key(kind, address)
        if kind == "apns":
            assert device_token_problem(address) is None
            assert len(address) == 64
        elif kind == "fcm":
            assert token_problem(address) is None
        elif kind == "email":
            assert address.endswith("@bench.example.org")
        else:
            assert address.startswith(ENDPOINT + "/")
    web = Channel.objects.filter(type="webpush")
    assert all(c.p256dh and c.auth for c in web)


def test_the_same_seed_gives_the_same_addresses_and_running_again_adds_nobody():
    args = ("--subscribers", "40", "--push-endpoint", ENDPOINT, "--channel-mix", MIX)
    run("demo", *args, "--seed", "5")
    first = {(kind, address) for _, kind, _, address, _ in channels()}
    run("demo", *args, "--seed", "5")
    assert Subscriber.objects.count() == 40
    assert {(kind, address) for _, kind, _, address, _ in channels()} == first

    Channel.objects.all().delete()
    Subscriber.objects.all().delete()
    run("demo", *args, "--seed", "5")
    assert {(kind, address) for _, kind, _, address, _ in channels()} == first

    # Endpoints (URL/<n>) and e-mail addresses are per n, as before; app tokens also per seed.
    run("demo", *args, "--seed", "6")
    assert Subscriber.objects.count() == 40 + 10 + 8


def test_a_mix_without_web_push_needs_no_endpoint_and_takes_the_e_mail_domain():
    run(
        "demo",
        "--subscribers",
        "10",
        "--channel-mix",
        "apns=1,email=1",
        "--email-domain",
        "mail.test",
    )
    rows = channels()
    assert Counter(kind for _, kind, *_ in rows) == {"apns": 5, "email": 5}
    assert {a for _, k, _, a, _ in rows if k == "email"} == {
        f"buerger{n}@mail.test" for n in range(1, 10, 2)
    }


def test_without_a_mix_the_demo_behaves_as_before():
    run("demo", "--subscribers", "5", "--push-endpoint", ENDPOINT)
    assert {(k, a) for _, k, _, a, _ in channels()} == {
        ("webpush", f"{ENDPOINT}/{n}") for n in range(5)
    }
    run("demo", "--subscribers", "3")
    assert Subscriber.objects.count() == 8
    assert Channel.objects.count() == 5


def test_sms_in_the_mix_gives_german_mobile_numbers_from_seed_and_n():
    mix = "webpush=40,fcm=25,apns=20,email=15,sms=10"
    args = ("--subscribers", "110", "--push-endpoint", ENDPOINT, "--channel-mix", mix)
    run("demo", *args, "--seed", "7")

    rows = channels()
    assert Counter(kind for _, kind, *_ in rows) == {
        "webpush": 40,
        "fcm": 25,
        "apns": 20,
        "email": 15,
        "sms": 10,
    }
    numbers = {address for _, kind, _, address, _ in rows if kind == "sms"}
    assert len(numbers) == 10
    for _, kind, status, address, key in rows:
        if kind != "sms":
            continue
        assert status == "confirmed"
        assert key == tokens.address_key("sms", address)
        # E.164 as sign-up stores it, and a number sign-up would accept (German mobile).
        assert address.startswith("+4915107")
        assert len(address) == 14
        assert normalise_number(address) == address
        assert check_reachable(address) == address
    # From (seed, n) only: the same numbers again after a wipe, others for another seed.
    pattern = mix_pattern(parse_channel_mix(mix))
    assert numbers == {synthetic_number(7, n) for n in range(110) if pattern[n % 110] == "sms"}
    Channel.objects.all().delete()
    Subscriber.objects.all().delete()
    run("demo", *args, "--seed", "7")
    assert {a for _, k, _, a, _ in channels() if k == "sms"} == numbers
    run("demo", *args, "--seed", "8")
    assert Subscriber.objects.count() == 110 + 10 + 25 + 20  # new SMS, FCM and APNs addresses
    assert synthetic_number(8, 3) == "+4915108000003"
    assert synthetic_number(108, 999_999) == "+4915108999999"
    with pytest.raises(ValueError, match="999,999"):
        synthetic_number(1, 1_000_000)


@pytest.mark.parametrize(
    ("mix", "problem"),
    [
        ("webpush=40,fax=10", "bad channel mix entry 'fax=10'"),
        ("sms=1", "at most 1,000,000"),
        ("fcm=x", "bad channel mix entry"),
        ("fcm=1,fcm=2", "bad channel mix entry 'fcm=2'"),
        ("fcm=0", "positive weight"),
        ("webpush=1", "needs --push-endpoint"),
    ],
)
def test_a_bad_mix_is_refused_naming_the_problem(mix: str, problem: str):
    count = "1000001" if mix.startswith("sms") else "3"
    with pytest.raises(CommandError, match=problem):
        run("demo", "--subscribers", count, "--channel-mix", mix)
    assert not Subscriber.objects.exists()


def test_the_pattern_interleaves_the_types_by_weight():
    pattern = mix_pattern(parse_channel_mix("webpush=2,email=1"))
    assert pattern == ["webpush", "email", "webpush"]
    assert Counter(mix_pattern(parse_channel_mix(MIX))) == {
        "webpush": 40,
        "fcm": 25,
        "apns": 20,
        "email": 15,
    }
