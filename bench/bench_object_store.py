"""Object-store intermediates benchmark: the chain of 8 (bench/mp_workloads.py) with its values in
an S3-compatible server on loopback (moto's server, started here as a subprocess on 127.0.0.1 and
a free port, stopped at the end) next to the same chain with filesystem intermediates, in process
and on the multiprocess executor (2 workers). Ours only (the peers' S3 storages need dagster_aws).

Each figure is the wall time of one whole ``execute_pipeline`` call (worker start included),
median of ``--reps`` runs after one warm-up run, on a persistent instance made outside the timing:
one whose ``instance.yaml`` names the bucket for ``intermediates`` and ``compute_logs``, one with
the defaults. Ratio = object store / filesystem.

Target stated by issue 16: the chain of 8 on Dask within 2x of the shared-disk figure (the Dask
run is measured by bench_dask.py once its executor reads the instance's store; here the two
executors that run today).

    .venv/bin/python bench/bench_object_store.py [--reps 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import mp_workloads  # noqa: E402
import yaml  # noqa: E402

import notebook_pipelines as api  # noqa: E402

KEY, SECRET = "bench-key", "bench-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto_server did not start")


def make_instance(root: str, endpoint: str | None, bucket: str) -> api.DagsterInstance:
    os.makedirs(root)
    if endpoint is not None:
        options = {
            "endpoint_url": endpoint,
            "key": {"env": "AWS_ACCESS_KEY_ID"},
            "secret": {"env": "AWS_SECRET_ACCESS_KEY"},
        }
        section = {"storage_options": options}
        config = {
            "intermediates": {"url": f"s3://{bucket}/values", **section},
            "compute_logs": {"url": f"s3://{bucket}/logs", **section},
        }
        Path(root, "instance.yaml").write_text(yaml.safe_dump(config))
    return api.DagsterInstance.local_temp(root)


def time_runs(instance: api.DagsterInstance, multiprocess: bool, reps: int) -> float:
    config: dict[str, Any] = {"intermediate_storage": {"filesystem": {}}}
    if multiprocess:
        config["execution"] = {"multiprocess": {"config": {"max_concurrent": 2}}}
    pipe = api.reconstructable(mp_workloads.chain_8)
    samples = []
    for i in range(reps + 1):
        started = time.perf_counter()
        result = api.execute_pipeline(pipe, config, instance=instance)
        elapsed = time.perf_counter() - started
        assert result.success
        if i:  # the first run warms imports and connections
            samples.append(elapsed)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    server, endpoint = start_server()
    try:
        import boto3

        client = boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET
        )
        client.create_bucket(Bucket="bench")
        with tempfile.TemporaryDirectory() as work:
            fs_instance = make_instance(os.path.join(work, "fs"), None, "bench")
            s3_instance = make_instance(os.path.join(work, "s3"), endpoint, "bench")
            print(f"chain of 8, median of {args.reps} runs (s); S3: moto_server at {endpoint}")
            print(f"{'executor':<14}{'filesystem':>12}{'S3 (loopback)':>16}{'ratio':>8}")
            for name, multiprocess in (("in_process", False), ("multiprocess", True)):
                fs = time_runs(fs_instance, multiprocess, args.reps)
                s3 = time_runs(s3_instance, multiprocess, args.reps)
                print(f"{name:<14}{fs:>12.3f}{s3:>16.3f}{s3 / fs:>7.2f}x")
            fs_instance.dispose()
            s3_instance.dispose()
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
