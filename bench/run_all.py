"""Run every benchmark in sequence (``make bench``); each one is bounded in time.

    .venv/bin/python bench/run_all.py [--database-url postgres://…] [--only NAME ...]

Figures and how to read them: docs/benchmarks.md. Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# name -> (script, takes --database-url, time limit in seconds)
BENCHMARKS: dict[str, tuple[str, bool, int]] = {
    "targeting": ("targeting.py", False, 300),
    "webpush_micro": ("webpush_micro.py", False, 300),
    "fanout_webpush": ("fanout_webpush.py", True, 300),
    "email_fanout": ("email_fanout.py", True, 300),
    "fanout_mixed": ("fanout_mixed.py", True, 600),  # SMS at 50 parts/s per worker: ~6.5 min
    "fanout_memory": ("fanout_memory.py", False, 300),
    "message_page": ("message_page.py", True, 420),
    "staff_queue": ("staff_queue.py", True, 300),
    "cap_relay": ("cap_relay.py", True, 420),
    "assistant_search": ("assistant_search.py", False, 300),
    "assistant_ask": ("assistant_ask.py", True, 300),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=None, help="postgres://… (default: SQLite)")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), default=None)
    args = parser.parse_args(argv)
    failed: list[str] = []
    for name, (script, takes_db, limit) in BENCHMARKS.items():
        if args.only is not None and name not in args.only:
            continue
        path = HERE / script
        if not path.exists():
            print(f"== {name}: {script} not present, skipped", flush=True)
            continue
        command = [sys.executable, str(path)]
        if takes_db and args.database_url:
            command += ["--database-url", args.database_url]
        print(f"== {name}: {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        proc = subprocess.Popen(command, cwd=HERE.parent)
        try:
            code = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            # SIGTERM first: the benchmark then stops the processes it started.
            print(f"== {name}: over its {limit} s limit, stopping it", flush=True)
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            code = -1
        print(f"== {name}: exit {code} after {time.monotonic() - started:.0f} s\n", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
