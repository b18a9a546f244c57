"""Start-up check: every native push credential set in the environment must build a channel.

A wrong key file is found when ``stadtbote serve`` or ``migrate`` starts, naming the variable,
instead of at the first warning that has to reach the town's app.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.core import checks

from stadtbote.delivery import push_credentials as creds


def credential_problems(env: Mapping[str, str]) -> list[str]:
    from stadtbote.delivery.channels.apns.token import load_signing_key
    from stadtbote.delivery.channels.fcm import ServiceAccount

    problems: list[str] = []
    towns = creds.configured_towns(env)
    for town in sorted(towns["fcm"]):
        slug = town.lower() or "(shared)"
        try:
            fcm = creds.fcm_for(env, town.lower())
            if fcm is not None:
                ServiceAccount.load(fcm.service_account)
        except ValueError as exc:
            problems.append(f"FCM credentials for {slug}: {exc}")
    for town in sorted(towns["apns"]):
        slug = town.lower() or "(shared)"
        try:
            apns = creds.apns_for(env, town.lower())
            if apns is not None:
                load_signing_key(apns.private_key_pem)
        except ValueError as exc:
            problems.append(f"APNs credentials for {slug}: {exc}")
    problems.extend(sms_problems(env))
    return problems


def sms_problems(env: Mapping[str, str]) -> list[str]:
    """Every SMS provider set in the environment must parse and build."""
    from stadtbote.delivery import sms_config
    from stadtbote.delivery.registry import smpp_provider

    problems: list[str] = []
    towns = {""} if env.get(sms_config.PREFIX + "PROVIDERS") else set()
    towns |= {
        name[len(sms_config.PREFIX) : -len("_PROVIDERS")]
        for name in env
        if name.startswith(sms_config.PREFIX) and name.endswith("_PROVIDERS") and env[name]
    } - {""}
    for town in sorted(towns):
        try:
            for spec in sms_config.providers_for(env, town.lower() or "-") or []:
                if spec.kind == "smpp":
                    # Field lengths SMPP allows (system_id 15, password 8, sender 11).
                    smpp_provider(spec).close()
        except ValueError as exc:
            problems.append(f"SMS providers for {town.lower() or '(shared)'}: {exc}")
    return problems


@checks.register(checks.Tags.compatibility)
def check_push_credentials(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(problem, id="stadtbote.E201") for problem in credential_problems(os.environ)
    ]
