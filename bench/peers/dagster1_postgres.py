"""The persisted chain on Dagster 1.x with dagster-postgres (run with bench/peers/.venv-dagster1).

For bench/bench_postgres.py: the chain job of dagster1_engine.py, `execute_in_process` with a
FilesystemIOManager, on an instance whose storage is SQLite (`DagsterInstance.local_temp`) and on
one whose `dagster.yaml` says `storage: postgres: postgres_url: ...` (runs, events and schedules in
PostgreSQL through dagster-postgres). Prints one JSON object: median ms/step per size and storage.

    python dagster1_postgres.py --url postgresql://user:pw@127.0.0.1:PORT/db --sizes 100 --reps 3
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster
import dagster1_engine
import dagster_postgres
import harness


def ms_per_step(job: object, instance: dagster.DagsterInstance, base: str, size: int) -> float:
    start = time.perf_counter()
    result = job.execute_in_process(  # type: ignore[attr-defined]
        run_config=harness.QUIET_RUN_CONFIG,
        instance=instance,
        resources={"io_manager": dagster.FilesystemIOManager(base_dir=base)},
    )
    elapsed = time.perf_counter() - start
    assert result.success
    return elapsed * 1000 / size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--sizes", default="100")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, dict[str, float]] = {"sqlite": {}, "postgres": {}}
    with tempfile.TemporaryDirectory() as folder:
        pg_home = os.path.join(folder, "pg")
        os.makedirs(pg_home)
        with open(os.path.join(pg_home, "dagster.yaml"), "w") as file:
            file.write(f"storage:\n  postgres:\n    postgres_url: {args.url}\n")
        os.makedirs(os.path.join(folder, "sqlite"))
        instances = {
            "sqlite": dagster.DagsterInstance.local_temp(os.path.join(folder, "sqlite")),
            "postgres": dagster.DagsterInstance.from_config(pg_home),
        }
        for size in (int(s) for s in args.sizes.split(",")):
            job = dagster1_engine.build("chain", size)
            for name, instance in instances.items():
                base = os.path.join(folder, name, "io")
                os.makedirs(base, exist_ok=True)
                ms_per_step(job, instance, base, size)  # warm-up
                samples = [ms_per_step(job, instance, base, size) for _ in range(args.reps)]
                figures[name][str(size)] = statistics.median(samples)
        for instance in instances.values():
            instance.dispose()
    json.dump(
        {
            "dagster": dagster.__version__,
            "dagster_postgres": dagster_postgres.__version__,
            "figures": figures,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
