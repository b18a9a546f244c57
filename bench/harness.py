"""Shared plumbing of the end-to-end benchmarks: a fresh state per run, child processes,
polling, memory sampling and a description of the machine.

Everything runs on 127.0.0.1. Every process a benchmark starts is stopped by that benchmark
(``Stack.close``), also when it fails half-way.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
# Fixed so runs are comparable; any 32+ character value works.
SECRET = "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so ``Stack``/``States`` clean-ups run (``run_all``'s time
    limit, Ctrl-C from a supervisor)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def http_json(
    method: str, url: str, body: Any = None, token: str | None = None, timeout: float = 30
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


# -- machine --------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    pg = "?"
    try:
        import psycopg

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3
        ) as c:
            row = c.execute("SHOW server_version").fetchone()
            pg = row[0] if row else "?"
    except Exception as exc:  # PostgreSQL is optional for the SQLite runs
        pg = f"unavailable ({type(exc).__name__})"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
    }


def print_machine() -> dict[str, str]:
    m = machine()
    log("machine: " + ", ".join(f"{k}={v}" for k, v in m.items()))
    return m


# -- state: one fresh database per run ------------------------------------------------------


@dataclass
class State:
    """A state dir (and, for PostgreSQL, a database) that no other run shares."""

    var_dir: Path
    database_url: str | None  # None: SQLite in var_dir
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            STADTBOTE_VAR_DIR=str(self.var_dir),
            STADTBOTE_SECRET_KEY=SECRET,
            PYTHONUNBUFFERED="1",
        )
        env.pop("STADTBOTE_DATABASE_URL", None)
        env.pop("STADTBOTE_TESTING", None)
        if self.database_url:
            env["STADTBOTE_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def stadtbote(self, *args: str, timeout: float = 600) -> str:
        """Run a management command to completion; returns its stdout."""
        done = subprocess.run(
            [PY, "-m", "stadtbote.cli", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"stadtbote {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def shell(self, code: str, timeout: float = 600) -> str:
        return self.stadtbote("shell", "-c", code, timeout=timeout)

    def dump_logs(self, lines: int = 400) -> None:
        """Print the end of every process log of this run (when a run went wrong)."""
        for path in sorted(self.var_dir.glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            print(f"----- {path.name} (last {len(tail)} lines)", flush=True)
            print("\n".join(tail), flush=True)

    def sqlite_path(self) -> Path:
        return self.var_dir / "stadtbote.sqlite3"

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read-only SQL straight on the run's database (``%s`` placeholders)."""
        if self.database_url:
            import psycopg

            url = self.database_url.replace("postgres://", "postgresql://", 1)
            with psycopg.connect(url) as conn:
                return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]
        with sqlite3.connect(self.sqlite_path()) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()

    def task_timeline(self, t0: float) -> dict[str, Any]:
        """When the fan-out and the send batches ran, in seconds after ``t0`` (epoch)."""
        rows = self.query(
            "SELECT task_path, enqueued_at, started_at, finished_at "
            "FROM django_tasks_database_dbtaskresult WHERE started_at IS NOT NULL"
        )

        def ts(value: Any) -> float:
            if isinstance(value, str):
                value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            return float(value.timestamp()) - t0

        fan = [r for r in rows if r[0].endswith(".fanout")]
        sends = [r for r in rows if r[0].endswith(".send_batch")]
        out: dict[str, Any] = {"send_tasks": len(sends)}
        if fan:
            out["fanout_tasks"] = len(fan)
            out["fanout_start"] = round(min(ts(r[2]) for r in fan), 3)
            out["fanout_end"] = round(max(ts(r[3]) for r in fan), 3)
        if sends:
            out["first_send_enqueued"] = round(min(ts(r[1]) for r in sends), 3)
            out["first_send_start"] = round(min(ts(r[2]) for r in sends), 3)
            out["last_send_end"] = round(max(ts(r[3]) for r in sends), 3)
            durations = sorted(ts(r[3]) - ts(r[2]) for r in sends)
            out["send_task_median_s"] = round(durations[len(durations) // 2], 3)
            waits = sorted(ts(r[2]) - ts(r[1]) for r in sends)
            out["send_wait_median_s"] = round(waits[len(waits) // 2], 3)
        return out


def _pg_admin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    return admin, name


def _pg(admin: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)  # type: ignore[arg-type]


class States:
    """Prepared states (migrated, demo loaded) are templates; each run gets a copy."""

    def __init__(self, database_url: str | None):
        self.database_url = database_url
        self.root = Path(tempfile.mkdtemp(prefix="stadtbote-bench-"))
        self._made: list[str] = []

    def _url(self, suffix: str) -> str | None:
        if not self.database_url:
            return None
        name = f"{self._base()}_{suffix}"
        parts = urlsplit(self.database_url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))

    def template(self, name: str, prepare: Callable[[State], None], env: dict[str, str]) -> State:
        state = State(self.root / name, self._url(name), dict(env))
        state.var_dir.mkdir(parents=True)
        if state.database_url:
            admin, db = _pg_admin(state.database_url)
            _pg(admin, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}"')
            self._made.append(state.database_url)
        prepare(state)
        return state

    def copy(self, template: State, name: str) -> State:
        """A fresh run from a template: copy the SQLite file, or CREATE DATABASE ... TEMPLATE."""
        name = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
        state = State(
            self.root / name,
            self._url(name) if template.database_url else None,
            dict(template.extra_env),
        )
        state.var_dir.mkdir(parents=True)
        if template.database_url and state.database_url:
            admin, db = _pg_admin(state.database_url)
            _, source = _pg_admin(template.database_url)
            _pg(
                admin,
                f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)',
                f'CREATE DATABASE "{db}" TEMPLATE "{source}"',
            )
            self._made.append(state.database_url)
        else:
            src = template.sqlite_path()
            # Fold the WAL into the main file first so a plain copy is complete.
            with sqlite3.connect(src) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copyfile(src, state.sqlite_path())
        return state

    def _base(self) -> str:
        assert self.database_url
        return urlsplit(self.database_url).path.lstrip("/") or "stadtbote_bench"

    def cleanup(self) -> None:
        for url in self._made:
            admin, db = _pg_admin(url)
            try:
                _pg(admin, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            except Exception as exc:
                log(f"could not drop {db}: {exc}")
        shutil.rmtree(self.root, ignore_errors=True)


# -- processes ------------------------------------------------------------------------------


class Stack:
    """Child processes of one run, stopped in reverse order by ``close``."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen[str]]] = []

    def start(
        self, name: str, argv: Sequence[str], env: dict[str, str], stdout: Any = None
    ) -> subprocess.Popen[str]:
        logs = Path(env.get("STADTBOTE_VAR_DIR", tempfile.gettempdir())) / f"{name}.log"
        out = stdout if stdout is not None else open(logs, "w")  # noqa: SIM115 - closed with proc
        proc = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT if stdout is None else open(logs, "w"),  # noqa: SIM115
            text=True,
            start_new_session=True,
        )
        self.procs.append((name, proc))
        return proc

    def close(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop; killing pid {proc.pid}")
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self.procs.clear()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_worker(stack: Stack, state: State, processes: int) -> subprocess.Popen[str]:
    proc = stack.start(
        "worker",
        [PY, "-m", "stadtbote.cli", "worker", "--processes", str(processes)],
        state.env(),
    )
    deadline = time.monotonic() + 30
    # Ready once every db_worker child exists and has imported Django (RSS settles).
    while time.monotonic() < deadline:
        if len(children(proc.pid)) >= processes:
            break
        time.sleep(0.05)
    else:
        raise TimeoutError("worker processes did not start")
    time.sleep(2.0)
    return proc


def start_server(stack: Stack, state: State) -> str:
    port = free_port()
    stack.start(
        "serve",
        [PY, "-m", "stadtbote.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        state.env(),
    )
    wait_port(port, timeout=60)
    base = f"http://127.0.0.1:{port}"
    # First request imports the app; don't let that count towards the publish call.
    http_json("GET", f"{base}/api/v1/musterstadt")
    return base


def start_push_service(
    stack: Stack, env: dict[str, str], port: int, seed: int, decrypt: bool, delay: float = 0.0
) -> str:
    argv = [PY, "-m", "tests.support.push_service", "--port", str(port), "--seed", str(seed)]
    if not decrypt:
        argv.append("--no-decrypt")
    if delay:
        argv += ["--delay", str(delay)]
    proc = stack.start("push-service", argv, env, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        raise RuntimeError("push service did not start")
    return url


# -- memory ---------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def system_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])
    return float(total - idle), float(total)


def busy_share(before: tuple[float, float], after: tuple[float, float]) -> float:
    """Share of all CPUs' time that was busy between two ``system_cpu()`` readings."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def db_server_cpu() -> float:
    """CPU seconds used so far by all PostgreSQL server processes on this machine."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


def background_load(seconds: float = 1.0) -> float:
    """Share of the machine busy while our stack idles (other tenants of a shared machine)."""
    before = system_cpu()
    time.sleep(seconds)
    return busy_share(before, system_cpu())


def worker_memory(worker_pid: int) -> dict[str, float]:
    """Current and peak (VmHWM) resident memory of the worker's processes, in MiB."""
    pids = children(worker_pid)
    rss = [status_kib(p, "VmRSS") / 1024 for p in pids]
    hwm = [status_kib(p, "VmHWM") / 1024 for p in pids]
    return {
        "rss_max": max(rss, default=0.0),
        "hwm_max": max(hwm, default=0.0),
        "hwm_sum": sum(hwm),
        "supervisor_hwm": status_kib(worker_pid, "VmHWM") / 1024,
        "cpu_s": sum(cpu_seconds(p) for p in pids),
    }


def poll(fn: Callable[[], Any], until: Callable[[Any], bool], timeout: float, every: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout}s; last value {value!r}")
        time.sleep(every)


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    """A Markdown table (also readable on a terminal)."""
    head = "| " + " | ".join(title for _, title in columns) + " |"
    sep = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(str(r.get(key, "")) for key, _ in columns) + " |" for r in rows]
    return "\n".join([head, sep, *body])
