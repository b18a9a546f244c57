"""The local servers of the mixed fan-out benchmark, one per channel type, and how to read
their counters (bench/fanout_mixed.py). SMS, or any further channel, is one more entry."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import PY, Stack, start_push_service

HERE = Path(__file__).resolve().parent
SEED = 1


# -- one local server per channel type -------------------------------------------------------


@dataclass
class Setup:
    """Fixed for the whole script: the demo data and the template's settings name the ports."""

    push: int
    smtp: int
    apns_token_rule: str = "connection"
    sms_receipts: bool = False


@dataclass
class Endpoint:
    stats_url: str
    pid: int
    env: dict[str, str]  # what the worker needs to reach this server (per run)


@dataclass(frozen=True)
class ChannelBench:
    """How to run one channel type's local server and read its counters.

    ``start`` launches the server as a process of ``stack``; ``counts`` maps the server's stats
    to ``accepted``, ``rejected``, ``first_at``, ``last_at`` (epoch seconds), ``connections``.
    """

    start: Callable[[Stack, dict[str, str], Setup], Endpoint]
    counts: Callable[[dict[str, Any]], dict[str, Any]]


def _announced(proc: subprocess.Popen[str], what: str) -> Endpoint:
    """A server that announces itself with one JSON line: its stats URL and the settings the
    worker needs to reach it (bench/native_push_servers.py, bench/sms_server.py)."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("{"):
        raise RuntimeError(f"{what} did not start")
    info = json.loads(line)
    return Endpoint(info["stats"], proc.pid, info["env"])


def _start_webpush(stack: Stack, env: dict[str, str], setup: Setup) -> Endpoint:
    url = start_push_service(stack, env, setup.push, SEED, decrypt=False)
    return Endpoint(f"{url}/_stats", stack.procs[-1][1].pid, {})


def _start_native(kind: str) -> Callable[[Stack, dict[str, str], Setup], Endpoint]:
    def start(stack: Stack, env: dict[str, str], setup: Setup) -> Endpoint:
        argv = [PY, "-m", "bench.native_push_servers", kind, "--seed", str(SEED)]
        if kind == "apns":
            argv += ["--token-rule", setup.apns_token_rule]
        proc = stack.start(f"{kind}-server", argv, env, stdout=subprocess.PIPE)
        return _announced(proc, f"{kind} server")

    return start


def _start_smtp(stack: Stack, env: dict[str, str], setup: Setup) -> Endpoint:
    argv = [PY, str(HERE / "smtp_sink.py"), "--port", str(setup.smtp)]
    proc = stack.start("smtp-sink", argv, env, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if len(line) != 2:
        raise RuntimeError("SMTP sink did not start")
    return Endpoint(line[1], proc.pid, {})


def _start_smsc(stack: Stack, env: dict[str, str], setup: Setup) -> Endpoint:
    argv = [PY, "-m", "bench.sms_server"] + (["--receipts"] if setup.sms_receipts else [])
    return _announced(stack.start("smsc", argv, env, stdout=subprocess.PIPE), "SMSC")


def _same(stats: dict[str, Any]) -> dict[str, Any]:
    return stats


def _smtp_counts(stats: dict[str, Any]) -> dict[str, Any]:
    return {**stats, "accepted": stats["messages"], "rejected": 0}


CHANNELS: dict[str, ChannelBench] = {
    "webpush": ChannelBench(_start_webpush, _same),
    "fcm": ChannelBench(_start_native("fcm"), _same),
    "apns": ChannelBench(_start_native("apns"), _same),
    "email": ChannelBench(_start_smtp, _smtp_counts),
    # The SMSC counts whole SMS as "accepted" (parts separately); see bench/sms_server.py.
    "sms": ChannelBench(_start_smsc, _same),
}
