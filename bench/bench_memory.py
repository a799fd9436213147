"""Peak memory of big values: storing and loading a large intermediate, and ``runs logs`` of a
large compute log. Each case runs in a fresh subprocess; its peak resident size (``VmHWM`` from
``/proc/self/status``, or ``ru_maxrss`` of the child) is compared with its size.

    store     FilesystemObjectStore.set_object of a SIZE-MB bytes value (the value itself is in
              memory already: the figure is the peak *above* it, from pickling and writing)
    load      get_object of that value in a fresh process (peak above the start)
    runs logs ``notebook-pipelines runs logs RUN STEP --stdout`` of a LOG-MB compute log (peak of
              the whole command)

A streamed write or read adds little above the value (ratio near 0 for store, near 1 for load,
small for runs logs); pickling to bytes first, or reading the log whole, shows up as about one
more size.

    python bench/bench_memory.py [--size-mb 500] [--log-mb 200] [--root DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap

MB = 1 << 20

STORE = """
import sys
from notebook_pipelines.storage.object_store import FilesystemObjectStore
from bench_memory_probe import hwm
size = int(sys.argv[2]) * (1 << 20)
value = bytes(size)  # every page touched
before = hwm()
FilesystemObjectStore(sys.argv[1]).set_object("run/intermediates/a.compute/result", value)
print(hwm() - before)
"""

LOAD = """
import sys
from notebook_pipelines.storage.object_store import FilesystemObjectStore
from bench_memory_probe import hwm
before = hwm()
value = FilesystemObjectStore(sys.argv[1]).get_object("run/intermediates/a.compute/result")
assert len(value) == int(sys.argv[2]) * (1 << 20)
print(hwm() - before)
"""

PROBE = '''
def hwm():
    """This process's peak resident size so far, in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
'''

MAKE_RUN = """
import sys
from notebook_pipelines import DagsterInstance, execute_pipeline, lambda_solid, pipeline

@lambda_solid
def talk():
    print("start")

@pipeline
def talker():
    talk()

instance = DagsterInstance.local_temp(sys.argv[1])
result = execute_pipeline(
    talker, instance=instance, run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
)
path = instance.compute_log_manager.log_paths(result.run_id, "talk.compute").out
line = b"x" * 99 + b"\\n"
with open(path, "ab") as out:
    for _ in range(int(sys.argv[2]) * (1 << 20) // len(line)):
        out.write(line)
print(result.run_id)
instance.dispose()
"""


def python(code: str, *args: str, cwd: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": cwd},
        check=True,
    )
    return done.stdout.strip()


def child_peak(command: list[str], env: dict[str, str]) -> int:
    """Peak resident size (bytes) of ``command``, run with its stdout thrown away."""
    with open(os.devnull, "wb") as devnull:
        process = subprocess.Popen(command, stdout=devnull, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command} failed: {process.stderr.read() if process.stderr else ''}")
    return usage.ru_maxrss * 1024  # kilobytes on Linux


def row(name: str, size: int, peak: int) -> str:
    return f"{name:<12}{size / MB:>10.0f}{peak / MB:>12.1f}{peak / size:>10.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--log-mb", type=int, default=200)
    parser.add_argument("--root", default=os.path.dirname(os.path.abspath(__file__)))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.root, prefix="bench-memory-") as work:
        with open(os.path.join(work, "bench_memory_probe.py"), "w") as probe:
            probe.write(PROBE)
        store = os.path.join(work, "store")
        size = args.size_mb * MB
        print(f"{'case':<12}{'size MB':>10}{'peak MB':>12}{'peak/size':>10}")
        print(row("store", size, int(python(STORE, store, str(args.size_mb), cwd=work))))
        print(row("load", size, int(python(LOAD, store, str(args.size_mb), cwd=work))))
        home = os.path.join(work, "home")
        run_id = python(MAKE_RUN, home, str(args.log_mb), cwd=work).splitlines()[-1]
        env = {**os.environ, "NOTEBOOK_PIPELINES_HOME": home}
        command = [sys.executable, "-m", "notebook_pipelines.cli", "runs", "logs", run_id]
        peak = child_peak([*command, "talk.compute", "--stdout"], env)
        print(row("runs logs", args.log_mb * MB, peak))
        print("(store: peak above the value already in memory; load: above the start; runs logs:")
        print(" the whole command, the interpreter and the package included)")


if __name__ == "__main__":
    main()
