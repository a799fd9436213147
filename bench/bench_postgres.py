"""PostgreSQL benchmark: what a PostgreSQL instance costs the engine, next to SQLite, and the peer.

Starts a private PostgreSQL server (tests/storage/postgres_server.py: initdb into a temporary
folder, loopback TCP only, default durability settings: fsync and synchronous_commit on), then,
in this process and interleaved so that machine noise hits every variant alike:

1. ``handle_new_event`` throughput: the records of a real chain-1000 run replayed into a fresh
   run of each instance; microseconds per event (median of the reps).
2. The chain workload through ``execute_pipeline`` with filesystem intermediates on an ephemeral
   instance, a SQLite instance (``local_temp``) and a PostgreSQL one (``instance.yaml`` with
   ``kind: postgres`` for runs and events, the password from ``$PG_PASSWORD``); median ms/step
   and what each persistent instance adds to the ephemeral one ("persisted" cost).
3. The peer, when bench/peers/.venv-dagster1 has dagster-postgres (``WITH_POSTGRES=1
   bench/peers/setup.sh``): Dagster 1.x's chain job on its SQLite and its PostgreSQL storage
   (bench/peers/dagster1_postgres.py), in the same run, against the same server.

Target (issue 16): at most 2 ms per step persisted on PostgreSQL on loopback.

    python bench/bench_postgres.py [--sizes chain:100,chain:500] [--reps 5] [--no-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import harness
import solids_workloads
from bench_persistent import replay_records, time_chain, time_handle_new_event

import notebook_pipelines as api

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.storage.postgres_server import PostgresServer, find_bin_dir  # noqa: E402

TARGET_MS_PER_STEP = 2.0
PEER_PYTHON = REPO / "bench" / "peers" / ".venv-dagster1" / "bin" / "python"


def postgres_home(folder: str, server: PostgresServer) -> api.DagsterInstance:
    """A home whose instance.yaml puts runs and events in the server (schema np_bench)."""
    os.makedirs(folder, exist_ok=True)
    part = (
        f"  kind: postgres\n  config:\n    url: {server.url}\n"
        "    password: {env: PG_PASSWORD}\n    schema: np_bench\n"
    )
    with open(os.path.join(folder, "instance.yaml"), "w") as file:
        file.write(f"instance_version: 1\nrun_storage:\n{part}event_log_storage:\n{part}")
    os.environ["PG_PASSWORD"] = server.password
    return api.DagsterInstance.local_temp(folder)


def run_peer(server: PostgresServer, sizes: list[int], reps: int) -> dict[str, object] | str:
    """The peer's figures, or why there are none."""
    if not PEER_PYTHON.exists():
        return "no bench/peers/.venv-dagster1 (run bench/peers/setup.sh)"
    check = subprocess.run([str(PEER_PYTHON), "-c", "import dagster_postgres"], capture_output=True)
    if check.returncode != 0:
        return "dagster-postgres is not installed (WITH_POSTGRES=1 bench/peers/setup.sh)"
    import psycopg

    with psycopg.connect(server.url, password=server.password, autocommit=True) as conn:
        conn.execute("CREATE DATABASE dagster_peer")
    # psycopg2, which dagster-postgres is written for (SQLAlchemy 2.1 would choose psycopg 3)
    url = server.url.replace(
        "postgresql://pipelines@", f"postgresql+psycopg2://pipelines:{server.password}@"
    )
    url = url.rsplit("/", 1)[0]
    done = subprocess.run(
        [
            str(PEER_PYTHON),
            str(REPO / "bench" / "peers" / "dagster1_postgres.py"),
            "--url",
            f"{url}/dagster_peer",
            "--sizes",
            ",".join(map(str, sizes)),
            "--reps",
            str(reps),
        ],
        capture_output=True,
        text=True,
        env=harness.clean_env(),
        timeout=3600,
    )
    if done.returncode != 0:
        return f"the peer failed: {done.stderr.strip().splitlines()[-1:]}"
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="chain:100,chain:500")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    sizes = [size for kind, size in harness.parse_sizes(args.sizes) if kind == "chain"]
    bin_dir = find_bin_dir()
    if bin_dir is None:
        sys.exit("PostgreSQL's initdb/pg_ctl are not installed (make system-deps)")
    server = PostgresServer(bin_dir).start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            instances = {
                "ephemeral": api.DagsterInstance.ephemeral(f"{folder}/ephemeral"),
                "sqlite": api.DagsterInstance.local_temp(f"{folder}/sqlite"),
                "postgres": postgres_home(f"{folder}/postgres", server),
            }
            records = replay_records(1000)
            per_event: dict[str, list[float]] = {name: [] for name in instances}
            for _ in range(args.reps):
                for name, instance in instances.items():
                    per_event[name].append(time_handle_new_event(instance, records))
            print(f"handle_new_event, {len(records)} records of a chain-1000 run (us/event):")
            for name in instances:
                print(f"  {name:<10} {statistics.median(per_event[name]):7.1f}")

            print(
                "\nchain, filesystem intermediates (median ms/step; persisted = minus ephemeral):"
            )
            print(
                f"  {'N':>5}  {'ephemeral':>9}  {'sqlite':>7}  {'postgres':>8}  "
                f"{'sqlite +':>8}  {'postgres +':>10}  target (postgres)"
            )
            ours: dict[int, dict[str, float]] = {}
            for size in sizes:
                pipeline = solids_workloads.build(api, "chain", size)
                for instance in instances.values():
                    time_chain(pipeline, instance, size)  # warm up
                samples: dict[str, list[float]] = {name: [] for name in instances}
                for _ in range(args.reps):
                    for name, instance in instances.items():
                        samples[name].append(time_chain(pipeline, instance, size))
                ms = {name: statistics.median(values) for name, values in samples.items()}
                ours[size] = ms
                verdict = "ok" if ms["postgres"] <= TARGET_MS_PER_STEP else "OVER"
                print(
                    f"  {size:>5}  {ms['ephemeral']:9.3f}  {ms['sqlite']:7.3f}  "
                    f"{ms['postgres']:8.3f}  {ms['sqlite'] - ms['ephemeral']:8.3f}  "
                    f"{ms['postgres'] - ms['ephemeral']:10.3f}  <= {TARGET_MS_PER_STEP} {verdict}"
                )
            for instance in instances.values():
                instance.dispose()

        if not args.no_peer:
            peer = run_peer(server, sizes, max(1, min(args.reps, 3)))
            print("\npeer: Dagster 1.x execute_in_process, FilesystemIOManager (median ms/step):")
            if isinstance(peer, str):
                print(f"  not measured: {peer}")
            else:
                figures = peer["figures"]
                assert isinstance(figures, dict)
                print(f"  dagster {peer['dagster']}, dagster-postgres {peer['dagster_postgres']}")
                print(f"  {'N':>5}  {'sqlite':>8}  {'postgres':>8}  peer/ours: sqlite  postgres")
                for size in sizes:
                    peer_sqlite = figures["sqlite"][str(size)]
                    peer_pg = figures["postgres"][str(size)]
                    print(
                        f"  {size:>5}  {peer_sqlite:8.3f}  {peer_pg:8.3f}  "
                        f"{peer_sqlite / ours[size]['sqlite']:16.1f}x  "
                        f"{peer_pg / ours[size]['postgres']:7.1f}x"
                    )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
