"""The engine workloads on Dagster 0.9.22, the reference (run with bench/peers/.venv-dagster09).

The very same workload code as ours (bench/solids_workloads.py), with `dagster` as the API module:
@solid, @pipeline, execute_pipeline with the default ephemeral instance. Prints one JSON object.

"pchain" (persistent): `DagsterInstance.local_temp(folder)` (SQLite run storage, one SQLite event
log per run, compute logs captured per step) and `intermediate_storage: {filesystem: {}}`, which
0.9.22 accepts (its system storage, `storage: {filesystem: {}}`, is deprecated there); the
intermediates land in `storage/<run_id>/intermediates/<step>.compute/result`.
"""

import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster
import harness
import solids_workloads

if __name__ == "__main__":
    harness.peer_main(
        "dagster",
        dagster.__version__,
        partial(solids_workloads.build, dagster),
        partial(solids_workloads.run, dagster),
        solids_workloads.result_of,
    )
