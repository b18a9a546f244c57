"""Message page under a warning storm: many citizens open the same message at once.

    .venv/bin/python bench/message_page.py [--duration 15] [--rounds 3] [--connections 200]
        [--database postgres://postgres@127.0.0.1:5432/stadtbote_bench] [--src SRC_DIR]

A fresh state (migrated, demo town, collectstatic, one published severe message; no worker
runs, so nothing is sent) served by ``stadtbote serve`` with its defaults. wrk loads, in turn:

(a) ``page``: the message page (HTML); (b) ``json``: the same message from the API;
(c) ``page_304``: the page with ``If-None-Match`` = its ETag (skipped, and reported, when the
page sends none); (d) ``static``: the stylesheet the page links, served by whitenoise from the
same gunicorn -- the yardstick; (e) ``json_304``: the JSON with its ETag (the API answers 304).

The machine is small and shared, so req/s drift: every target is compared with (d) of the
same round, rounds alternate the order, and the gunicorn workers' CPU time per request is
recorded too. ``--src DIR`` measures another source tree (``PYTHONPATH``, e.g. a ``git archive``
of a commit's ``src/``) instead of the working tree.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from harness import (
    PY,
    ROOT,
    Stack,
    State,
    States,
    background_load,
    children,
    cpu_seconds,
    exit_cleanly_on_sigterm,
    free_port,
    http_json,
    log,
    machine,
    table,
    wait_port,
)

WRK = "/usr/bin/wrk"
# What a phone's browser sends: whitenoise picks its pre-compressed file by Accept-Encoding,
# LocaleMiddleware the language by Accept-Language.
BROWSER = {"Accept-Encoding": "gzip, deflate, br", "Accept-Language": "de-DE,de;q=0.9,en;q=0.8"}
MESSAGE = {
    "title": {"de": "Unwetterwarnung: Orkanböen bis 120 km/h", "en": "Storm: gusts to 120 km/h"},
    "body": {
        "de": "Ab 18 Uhr Orkanböen.\nBleiben Sie in Gebäuden, meiden Sie Parks und Alleen.",
        "en": "Hurricane-force gusts from 6 pm.\nStay indoors, avoid parks and tree-lined roads.",
    },
    "severity": "severe",
    "channels": ["webpush"],  # no worker runs: the fan-out stays queued, nothing is sent
}
UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:  # 304 lands here too
        return exc.code, exc.headers, exc.read()


def prepare(state: State) -> None:
    state.stadtbote("migrate", "--noinput")
    state.stadtbote("demo")
    # Manifest storage: the page links hashed names, which exist only after collectstatic.
    state.stadtbote("collectstatic", "--noinput")


def serve(stack: Stack, state: State) -> tuple[str, list[str], int]:
    """Start ``stadtbote serve`` with its defaults: base URL, gunicorn's argv and master pid."""
    port = free_port()
    argv = [PY, "-m", "stadtbote.cli", "serve", "--bind", f"127.0.0.1:{port}"]
    proc = stack.start("serve", argv, state.env())
    wait_port(port, timeout=90)
    base = f"http://127.0.0.1:{port}"
    # gunicorn listens before its workers have imported Django; this waits for a real answer.
    status, _ = http_json("GET", f"{base}/api/v1/musterstadt", timeout=60)
    if status != 200:
        raise RuntimeError(f"server answers {status}")
    for pid in children(proc.pid):  # the supervisor's child is the gunicorn master
        cmd = [a for a in Path(f"/proc/{pid}/cmdline").read_text().split("\0") if a]
        if "gunicorn" in cmd:
            return base, [*cmd[cmd.index("gunicorn") :], f"# {len(children(pid))} workers"], pid
    raise RuntimeError("no gunicorn process under stadtbote serve")


def wrk(
    url: str, headers: dict[str, str], args: argparse.Namespace, seconds: int
) -> dict[str, Any]:
    argv = [WRK, "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s"]
    # wrk's default 2 s timeout drops slow answers from the latency figures; 10 s keeps them.
    argv += ["--timeout", "10s", "--latency", *(f"-H{k}: {v}" for k, v in headers.items())]
    done = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def parse_wrk(out: str) -> dict[str, Any]:
    def number(pattern: str) -> float:
        m = re.search(pattern, out)
        return float(m[1]) if m else 0.0

    def ms(value: str) -> float | None:
        m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
        return round(float(m[1]) * UNIT_MS[m[2]], 2) if m else None

    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))  # seconds end in "s "
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "requests": int(number(r"(\d+) requests in")),
        "p50_ms": ms(latency.get("50", "")),
        "p99_ms": ms(latency.get("99", "")),
        "non_2xx_3xx": int(number(r"Non-2xx or 3xx responses: (\d+)")),
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def sizes(url: str) -> dict[str, int | None]:
    raw = fetch(url)[2]
    _, headers, served = fetch(url, {"Accept-Encoding": "gzip"})
    return {
        "raw": len(raw),
        # None: the server does not compress this response
        "gzip_served": len(served) if headers.get("Content-Encoding") == "gzip" else None,
        "gzip_possible": len(gzip.compress(raw)),
    }


def loaded(target: tuple[str, dict[str, str]], args: argparse.Namespace, master: int) -> dict:
    """One wrk run, plus the gunicorn workers' CPU time per request: other tenants of the
    machine move it less than req/s (PostgreSQL's own CPU is not included)."""
    workers = children(master)
    before = [cpu_seconds(p) for p in workers]
    run = wrk(*target, args, args.duration)
    used = [cpu_seconds(p) - b for p, b in zip(workers, before, strict=True)]
    run["cpu_us"] = round(sum(used) / max(run["requests"], 1) * 1e6)
    # wrk opens all its connections at once and each stays with the worker that accepted it;
    # now and then one worker takes (nearly) all of them and the run measures half the server.
    run["busiest_worker"] = round(max(used) / (sum(used) or 1), 2)
    return run


def summarise(runs: list[dict[str, Any]], targets: list[str]) -> list[dict[str, Any]]:
    """Medians over rounds; ratios are taken within a round, against (d) of that round."""
    runs = [r for r in runs if not r.get("superseded")]
    static = {r["round"]: r for r in runs if r["target"] == "static"}
    rows = []
    for name in targets:
        mine = [(r, static[r["round"]]) for r in runs if r["target"] == name]
        p99 = [r["p99_ms"] / s["p99_ms"] for r, s in mine if r["p99_ms"] and s["p99_ms"]]
        ratios = [r["rps"] / s["rps"] for r, s in mine]
        rows.append(
            {
                "target": name,
                "rps": round(statistics.median(r["rps"] for r, _ in mine)),
                "p50_ms": round(statistics.median(r["p50_ms"] or 0 for r, _ in mine), 1),
                "p99_ms": round(statistics.median(r["p99_ms"] or 0 for r, _ in mine), 1),
                "rps_ratio": round(statistics.median(ratios), 3),
                "rps_ratio_range": f"{min(ratios):.2f}–{max(ratios):.2f}",
                "p99_ratio": round(statistics.median(p99), 1) if p99 else None,
                "cpu_us": round(statistics.median(r["cpu_us"] for r, _ in mine)),
                "busiest_worker": max(r["busiest_worker"] for r, _ in mine),
                "non_2xx_3xx": sum(r["non_2xx_3xx"] for r, _ in mine),
                "socket_errors": sum(r["socket_errors"] for r, _ in mine),
            }
        )
    return rows


def measure(state: State, args: argparse.Namespace, result: dict[str, Any]) -> None:
    printed = state.stadtbote(
        "apikey", "create", "--tenant", "musterstadt", "--role", "publisher", "--name", "bench"
    )
    key = printed.strip().splitlines()[-1]  # the key stands alone on the last line
    manifest = json.loads((state.var_dir / "static" / "staticfiles.json").read_text())
    css = "/static/" + manifest["paths"]["web/base.css"]
    with Stack() as stack:  # stops the server also when wrk or a check fails
        result["background_load"] = round(background_load(), 2)
        base, result["server"], master = serve(stack, state)
        log(f"server: {' '.join(result['server'])}")
        status, created = http_json(
            "POST", f"{base}/api/v1/musterstadt/messages", MESSAGE, token=key
        )
        if status != 201 or created.get("status") != "published":
            raise RuntimeError(f"publish answered {status}: {created}")
        page = f"{base}/musterstadt/messages/{created['id']}"
        api = f"{base}/api/v1/musterstadt/messages/{created['id']}"
        status, headers, html = fetch(page, BROWSER)
        if status != 200 or css.encode() not in html:
            raise RuntimeError(f"page answered {status} or does not link {css}")
        page_etag, api_etag = headers.get("ETag"), fetch(api)[1].get("ETag")
        result.update(page_etag=page_etag, page_headers=dict(headers), static_url=css)
        result["sizes"] = {"html": sizes(page), "json": sizes(api), "css": sizes(base + css)}
        targets = {
            "page": (page, BROWSER),
            "json": (api, BROWSER),
            "page_304": (page, {**BROWSER, "If-None-Match": page_etag or ""}),
            "static": (base + css, BROWSER),
            "json_304": (api, {**BROWSER, "If-None-Match": api_etag or ""}),
        }
        if not page_etag:
            log("the message page sends no ETag: (c) page_304 skipped")
            del targets["page_304"]
        for name, (url, extra) in targets.items():
            if "If-None-Match" in extra and fetch(url, extra)[0] != 304:
                raise RuntimeError(f"{name}: sending the ETag back does not give 304")
        for url, extra in targets.values():  # warm-up: imports, templates, connections
            wrk(url, extra, args, 3)
        runs = result["runs"] = []
        for round_no in range(args.rounds):
            for name in list(targets)[:: 1 if round_no % 2 == 0 else -1]:
                for attempt in range(3):
                    run = {"target": name, "round": round_no, **loaded(targets[name], args, master)}
                    log(f"{name}: {run}")
                    runs.append(run)
                    if run["busiest_worker"] < 0.8 or attempt == 2:
                        break
                    run["superseded"] = True  # half the server measured: again (kept in JSON)
        result["summary"] = summarise(runs, list(targets))


def source(src: Path | None) -> str:
    if src:
        return f"PYTHONPATH={src}"
    git = ["git", "-C", str(ROOT), "describe", "--always", "--dirty"]
    done = subprocess.run(git, capture_output=True, text=True, timeout=30, check=False)
    return "working tree " + done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--database",
        "--database-url",
        default=None,
        help="postgres://… (<its name>_message_page is created and dropped); default SQLite",
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="median of N")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--src", type=Path, default=None, help="measure this src/ instead")
    parser.add_argument("--json", type=Path, default=None, help="var/bench/message_page_DB.json")
    args = parser.parse_args(argv)
    exit_cleanly_on_sigterm()
    database = None if args.database in (None, "sqlite") else args.database
    db = "postgresql" if database else "sqlite"
    out = args.json or ROOT / "var" / "bench" / f"message_page_{db}.json"
    result: dict[str, Any] = {"machine": machine(), "database": db, "source": source(args.src)}
    result["wrk"] = {**vars(args), "src": str(args.src), "json": str(out), "timeout": "10s"}
    log(f"machine: {result['machine']}; {result['source']}")
    env = {"PYTHONPATH": str(args.src.resolve())} if args.src else {}
    states = States(database)
    state = None
    try:
        state = states.template("message_page", prepare, env)
        measure(state, args, result)
    except Exception:
        if state:
            state.dump_logs(30)
        raise
    finally:
        states.cleanup()

    columns = [("target", "target"), ("rps", "req/s"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms")]
    columns += [("rps_ratio", "req/s ÷ static"), ("rps_ratio_range", "per round")]
    columns += [("p99_ratio", "p99 ÷ static"), ("cpu_us", "server CPU µs/req")]
    columns += [("busiest_worker", "busiest worker's CPU share (max)")]
    columns += [("non_2xx_3xx", "non-2xx/3xx"), ("socket_errors", "socket errors")]
    print("\n" + table(result["summary"], columns))
    print(f"\npage ETag: {result['page_etag'] or 'none'}; bytes: {json.dumps(result['sizes'])}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
