"""Run child processes together; stop all of them when one dies or on Ctrl-C/SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from types import FrameType


def run_together(
    commands: Sequence[Sequence[str]],
    tick: Callable[[], None] | None = None,
    tick_every: float = 10.0,
) -> int:
    """Start every command; return when any exits (after stopping the rest) or on a signal.

    ``tick`` runs in this process every ``tick_every`` seconds (periodic upkeep).
    """
    children = [subprocess.Popen(list(cmd)) for cmd in commands]  # noqa: S603 - our own argv
    names = {id(child): " ".join(cmd[:4]) for child, cmd in zip(children, commands, strict=True)}
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    next_tick = time.monotonic()
    try:
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    code = child.returncode or 0
                    print(
                        f"stadtbote: {names[id(child)]} exited with {code}; stopping",
                        file=sys.stderr,
                    )
                    stopping = True
            if tick and time.monotonic() >= next_tick and not stopping:
                try:
                    tick()
                except Exception as exc:  # upkeep must never take the server down
                    print(f"stadtbote: periodic upkeep failed: {exc!r}", file=sys.stderr)
                next_tick = time.monotonic() + tick_every
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 20
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return code
