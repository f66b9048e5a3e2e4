"""Load test: concurrent writers and readers against a real `tuoyu serve`, then a full check.

    .venv/bin/python -m bench.load [--store sqlite|postgres] [--writers 4] [--readers 2]
                                      [--requests 200] [--events-per-request 100]

`--requests` is the total number of write requests, shared out evenly between the writers.
Each writer owns its institutions (synthetic_events with seed = its index, so its ids are
its own) and posts its requests in order, on its own keep-alive connection; the readers loop
GET /api/kpi (with the token) and GET /metrics, alternately, until the writers are done.
Everything runs against 127.0.0.1 and is bounded by the request counts and `--timeout`.

Then it checks, on the same store: every accepted event_id is stored exactly once, nothing
posted is missing, and the live view (GET /api/kpi once /healthz shows lag 0) equals a
replay from event zero evaluated at the live snapshot's own time. The baseline, measured in
the same run, is `tuoyu import` of the same events (one JSONL file, a fresh store, the
subprocess timed like bench/run.py). Prints a Markdown table; exits 1 on any error, loss,
duplicate or mismatch.
"""

from __future__ import annotations

import argparse
import math
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.support.ports import free_port
from tests.support.stores import fresh_store, store_env
from tuoyu.demo.synthetic import synthetic_events
from tuoyu.service.wiring import open_registry
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import replay_snapshot

TUOYU = str(Path(sys.executable).parent / "tuoyu")
STARTED = time.monotonic()
COMPARED = ("position", "district", "townships", "targets")  # as_of/known_at are evaluation times


def log(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


# ---- stores and the server ------------------------------------------------------------------


class Store:
    """A fresh, empty store (tests.support.stores.fresh_store), kept until close()."""

    def __init__(self, kind: str, workdir: Path, name: str) -> None:
        self.kind = kind
        self._resources = ExitStack()
        self.settings = self._resources.enter_context(fresh_store(kind, workdir, name))

    @property
    def env(self) -> dict[str, str]:
        return store_env(self.settings)

    def close(self) -> None:
        self._resources.close()


def create_token(store: Store) -> str:
    done = subprocess.run(
        [TUOYU, "token", "create", "--role", "admin", "--name", f"load-{uuid.uuid4().hex[:6]}"],
        env=store.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        sys.exit(f"tuoyu token create failed: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


class Server:
    def __init__(self, store: Store, workdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (workdir / f"serve-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            [TUOYU, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=store.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"tuoyu serve exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        sys.exit(f"tuoyu serve did not answer /healthz in {timeout:g} s:\n{self.tail()}")

    def tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly (lifespan stops the projector)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()


# ---- the load ---------------------------------------------------------------------------------


@dataclass
class Calls:
    """Latency (seconds) and status of each request of one route; status None = no response."""

    latencies: list[float] = field(default_factory=list)
    statuses: list[int | None] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, status: int | None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses.append(status)

    @property
    def errors(self) -> int:
        return sum(1 for s in self.statuses if s is None or not 200 <= s < 300)

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile, in milliseconds (nan when there was no call)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    def tenth(self, last: bool) -> float:
        """The median latency (ms) of the first or the last tenth of the calls, as they completed."""
        if not self.latencies:
            return float("nan")
        k = max(1, len(self.latencies) // 10)
        part = sorted(self.latencies[-k:] if last else self.latencies[:k])
        return 1000 * part[(len(part) - 1) // 2]


def prepare(writers: int, requests: int, per_request: int) -> list[list[list[dict[str, Any]]]]:
    """Per writer, its requests (lists of events, in order); writer w's events use seed w."""
    plans = []
    for w in range(writers):
        count = requests // writers + (1 if w < requests % writers else 0)
        events = list(synthetic_events(count * per_request, seed=w))
        plans.append([events[i : i + per_request] for i in range(0, len(events), per_request)])
    return plans


def run_load(
    base: str, token: str, plans: list[list[list[dict[str, Any]]]], readers: int, timeout: float, read_pause: float
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    bodies = [[orjson.dumps(request) for request in plan] for plan in plans]  # encoded before the clock starts
    writes, kpi, metrics = Calls(), Calls(), Calls()
    accepted_ids: list[str] = []
    recorded = [0] * len(plans)
    failures: list[str] = []
    deadline = time.monotonic() + timeout
    writers_done = threading.Event()
    start = threading.Barrier(len(plans) + readers + 1)

    def writer(w: int) -> None:
        with httpx.Client(
            base_url=base, headers={**headers, "Content-Type": "application/json"}, timeout=httpx.Timeout(60.0)
        ) as client:
            start.wait()
            for i, body in enumerate(bodies[w]):
                if time.monotonic() > deadline:
                    failures.append(f"writer {w}: global timeout before request {i}")
                    for _ in bodies[w][i:]:
                        writes.add(0.0, None)
                    return
                began = time.perf_counter()
                try:
                    response = client.post("/api/events", content=body)
                except httpx.HTTPError as error:
                    writes.add(time.perf_counter() - began, None)
                    failures.append(f"writer {w} request {i}: {error!r}")
                    continue
                writes.add(time.perf_counter() - began, response.status_code)
                if response.status_code == 201:
                    recorded[w] += response.json()["recorded"]
                    with writes.lock:
                        accepted_ids.extend(e["event_id"] for e in plans[w][i])
                else:
                    failures.append(f"writer {w} request {i}: {response.status_code} {response.text[:500]}")

    def reader(r: int) -> None:
        routes = [("/api/kpi", kpi), ("/metrics", metrics)]
        with httpx.Client(base_url=base, headers=headers, timeout=httpx.Timeout(60.0)) as client:
            start.wait()
            n = r  # readers start on different routes
            while not writers_done.is_set() and time.monotonic() < deadline:
                path, calls = routes[n % 2]
                n += 1
                began = time.perf_counter()
                try:
                    response = client.get(path)
                    calls.add(time.perf_counter() - began, response.status_code)
                    if response.status_code != 200:
                        failures.append(f"reader {r} {path}: {response.status_code} {response.text[:300]}")
                except httpx.HTTPError as error:
                    calls.add(time.perf_counter() - began, None)
                    failures.append(f"reader {r} {path}: {error!r}")
                if read_pause:
                    writers_done.wait(read_pause)

    writer_threads = [threading.Thread(target=writer, args=(w,), name=f"writer-{w}") for w in range(len(plans))]
    reader_threads = [threading.Thread(target=reader, args=(r,), name=f"reader-{r}") for r in range(readers)]
    for thread in writer_threads + reader_threads:
        thread.start()
    start.wait()
    began, cpu = time.perf_counter(), time.process_time()
    for thread in writer_threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 65)
    write_seconds = time.perf_counter() - began
    client_cpu = time.process_time() - cpu
    writers_done.set()
    for thread in reader_threads:
        thread.join(65)
    return {
        "writes": writes,
        "kpi": kpi,
        "metrics": metrics,
        "accepted_ids": accepted_ids,
        "recorded": sum(recorded),
        "write_seconds": write_seconds,
        "client_cpu_seconds": client_cpu,
        "failures": failures,
    }


# ---- the checks -------------------------------------------------------------------------------


def wait_for_view(base: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        health = httpx.get(f"{base}/healthz", timeout=10).json()
        if health.get("projection_lag") == 0:
            return health
        if time.monotonic() > deadline:
            raise SystemExit(f"the live view did not catch up in {timeout:g} s: {health}")
        time.sleep(0.1)


def differences(left: Any, right: Any, path: str = "") -> list[str]:
    if isinstance(left, dict) and isinstance(right, dict):
        found = []
        for key in sorted(set(left) | set(right), key=str):
            if key not in left or key not in right:
                found.append(f"{path}/{key}: only in {'replay' if key in right else 'live'}")
            else:
                found.extend(differences(left[key], right[key], f"{path}/{key}"))
        return found
    return [] if left == right else [f"{path}: live {left!r} != replay {right!r}"]


def verify(store: Store, base: str, token: str, posted_ids: list[str], accepted_ids: list[str]) -> dict[str, Any]:
    health = wait_for_view(base)
    registry = open_registry(store.settings)  # keep it referenced while reading: it owns the connection pool
    try:
        return _check(registry, base, token, health, posted_ids, accepted_ids)
    finally:
        registry.close()  # release its connections before the schema is dropped


def _check(
    registry: Any, base: str, token: str, health: dict[str, Any], posted_ids: list[str], accepted_ids: list[str]
) -> dict[str, Any]:
    # The live snapshot is rebuilt when the projector reports a change; give that a moment
    # after /healthz first shows lag 0, then compare (a real difference persists).
    for _ in range(20):
        live = httpx.get(f"{base}/api/kpi", headers={"Authorization": f"Bearer {token}"}, timeout=60).json()
        if live["position"] == health["events_recorded"]:
            break
        time.sleep(0.1)
    stored: Counter[str] = Counter()

    def counted(facts):
        for fact in facts:
            if "event_id" in fact["event"]:  # not the platform's own records (the bench token's grant)
                stored[fact["event"]["event_id"]] += 1
            yield fact

    # Evaluated at the live snapshot's own time, so that time-dependent figures (target pace,
    # overdue rectifications) are computed for the same moment.
    replayed = replay_snapshot(counted(read_facts(registry.recorder)), datetime.fromisoformat(live["as_of"]))
    mismatches = [d for key in COMPARED for d in differences(live[key], replayed[key], key)]
    accepted, posted = set(accepted_ids), set(posted_ids)
    return {
        "stored_events": sum(stored.values()),
        "lost": sum(1 for event_id in accepted if stored[event_id] == 0),  # acknowledged, not stored
        "not_stored": sum(1 for event_id in posted if stored[event_id] == 0),  # posted, not stored
        "duplicates": sum(n - 1 for n in stored.values() if n > 1),
        "unexpected": sum(1 for event_id in stored if event_id not in posted),
        "mismatches": mismatches,
    }


def import_baseline(kind: str, plans: list[list[list[dict[str, Any]]]], workdir: Path) -> tuple[int, float]:
    source = workdir / "load-events.jsonl"
    events = 0
    with source.open("wb") as out:
        for plan in plans:
            for request in plan:
                for event in request:
                    out.write(orjson.dumps(event) + b"\n")
                    events += 1
    store = Store(kind, workdir, "import")
    try:
        started = time.perf_counter()
        done = subprocess.run([TUOYU, "import", str(source)], env=store.env, capture_output=True, timeout=600)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"tuoyu import failed: {done.stderr.decode(errors='replace')[-2000:]}")
    finally:
        store.close()
    return events, seconds


# ---- main -------------------------------------------------------------------------------------


def bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    plans = prepare(args.writers, args.requests, args.events_per_request)
    posted_ids = [e["event_id"] for plan in plans for request in plan for e in request]
    import_events, import_seconds = import_baseline(args.store, plans, workdir)
    log(f"import baseline: {import_events:,} events in {import_seconds:.2f} s")

    store = Store(args.store, workdir, "serve")
    server = None
    try:
        token = create_token(store)
        server = Server(store, workdir)
        server.wait_ready()
        log(f"tuoyu serve ready at {server.base}; writing")
        load = run_load(server.base, token, plans, args.readers, args.timeout, args.read_pause)
        log(f"write phase: {load['recorded']:,} events recorded in {load['write_seconds']:.2f} s")
        started = time.perf_counter()
        checked = verify(store, server.base, token, posted_ids, load["accepted_ids"])
        log(
            f"checks: {checked['stored_events']:,} stored events read and replayed in "
            f"{time.perf_counter() - started:.2f} s"
        )
    except BaseException:
        if server is not None:
            print(server.tail(), file=sys.stderr)
        raise
    finally:
        if server is not None:
            server.stop()
            log("tuoyu serve stopped")
        store.close()
    write_rate = load["recorded"] / load["write_seconds"]
    import_rate = import_events / import_seconds
    errors = load["writes"].errors + load["kpi"].errors + load["metrics"].errors
    return {
        "store": args.store,
        "writers": args.writers,
        "readers": args.readers,
        "requests": args.requests,
        "events_per_request": args.events_per_request,
        "posted": len(posted_ids),
        "recorded": load["recorded"],
        "write_seconds": load["write_seconds"],
        "client_cpu_seconds": load["client_cpu_seconds"],
        "write_p50_ms_first_tenth": load["writes"].tenth(last=False),
        "write_p50_ms_last_tenth": load["writes"].tenth(last=True),
        "write_rate": write_rate,
        "import_rate": import_rate,
        "ratio": write_rate / import_rate,
        "errors": errors,
        "write": load["writes"],
        "kpi": load["kpi"],
        "metrics": load["metrics"],
        "failures": load["failures"],
        **checked,
    }


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| store | writers | readers | requests | events/request | accepted events/s | import events/s "
        "| ratio | write p50/p99 ms | kpi p50/p99 ms (n) | metrics p50/p99 ms (n) | errors | lost | duplicates "
        "| view = replay |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:

        def pp(calls: Calls, count: bool = False) -> str:
            text = f"{calls.percentile(50):,.0f} / {calls.percentile(99):,.0f}"
            return f"{text} ({len(calls.latencies):,})" if count else text

        lines.append(
            f"| {r['store']} | {r['writers']} | {r['readers']} | {r['requests']} | {r['events_per_request']} | "
            f"{r['write_rate']:,.0f} | {r['import_rate']:,.0f} | {r['ratio']:.2f} | {pp(r['write'])} | "
            f"{pp(r['kpi'], True)} | {pp(r['metrics'], True)} | {r['errors']} | {r['lost']} | "
            f"{r['duplicates']} | {'yes' if not r['mismatches'] else 'NO'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200, help="write requests in all, shared by the writers")
    parser.add_argument("--events-per-request", type=int, default=100)
    parser.add_argument(
        "--read-pause",
        type=float,
        default=0.0,
        help="seconds a reader waits between two requests (default: none, read flat out)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="global bound of the write phase, seconds")
    args = parser.parse_args(argv)
    if args.writers < 1 or args.requests < args.writers or args.events_per_request < 1 or args.readers < 0:
        parser.error("need writers >= 1, requests >= writers, events-per-request >= 1, readers >= 0")

    with tempfile.TemporaryDirectory(prefix="tuoyu-load-") as tmp:
        result = bench(args, Path(tmp))
    print(orjson.dumps({k: v for k, v in result.items() if not isinstance(v, Calls)}).decode(), file=sys.stderr)
    for failure in result["failures"][:20]:
        print(f"failure: {failure}", file=sys.stderr)
    for mismatch in result["mismatches"][:20]:
        print(f"view != replay: {mismatch}", file=sys.stderr)
    print(table([result]))
    verdicts = {
        "requests failed (non-2xx or no response)": result["errors"],
        "accepted events missing from the store": result["lost"],
        "posted events not in the store": result["not_stored"],
        "event_ids stored more than once": result["duplicates"],
        "stored events nobody posted": result["unexpected"],
        "responses' recorded counts differ from the events posted": result["recorded"] != result["posted"],
        "live view differs from the replay": len(result["mismatches"]),
    }
    failed = {what: n for what, n in verdicts.items() if n}
    for what, n in failed.items():
        print(f"FAILED: {what}: {n}", file=sys.stderr)
    if not failed:
        print(
            f"ok: no error, no loss, no duplicate, view = replay; write/import ratio {result['ratio']:.2f} "
            f"(goal >= 0.5{'' if result['ratio'] >= 0.5 else ': NOT MET'})",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
