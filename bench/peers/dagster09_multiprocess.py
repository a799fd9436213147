"""The multiprocess workloads (bench/mp_workloads.py) on Dagster 0.9.22, the reference, run with
bench/peers/.venv-dagster09 by bench_multiprocess.py. Prints one JSON object {workload: [seconds]}.
The `__main__` guard is required: 0.9's spawned children re-import the main module."""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))
os.environ["MP_BENCH_API"] = "dagster"

if __name__ == "__main__":
    import dagster
    import mp_workloads

    config = {
        "execution": {"multiprocess": {"config": {"max_concurrent": 2}}},
        "intermediate_storage": {"filesystem": {}},
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    figures = {}
    with tempfile.TemporaryDirectory() as home:
        instance = dagster.DagsterInstance.local_temp(home)
        for name in sys.argv[2:]:
            target = dagster.reconstructable(getattr(mp_workloads, name))
            samples = []
            for _ in range(reps):
                start = time.perf_counter()
                result = dagster.execute_pipeline(target, run_config=config, instance=instance)
                samples.append(time.perf_counter() - start)
                assert result.success, name
            figures[name] = samples
    print(json.dumps({"version": dagster.__version__, "figures": figures}))
