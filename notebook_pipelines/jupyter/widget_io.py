"""What the run widget reads from disk and results (L7): its front end files (``extension/``,
packaged as ``_extension``), the tail of a step's captured output, a stored run's outputs, a
result's outputs, and the executed notebook a notebook solid recorded."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import DagsterInvariantViolationError
from ..events import StepOutputHandle
from ..storage.instance import DagsterInstance
from ..storage.intermediates import ObjectStoreIntermediateStorage, run_id_root, run_values_store
from .previews import OutputReader

__all__ = ["executed_notebook", "extension_file", "result_reader", "stored_reader", "tail"]


def extension_file(name: str) -> Path:
    """``name`` from the widget's front end: inside the installed package (``_extension``, put
    there by the wheel build) first, the repository's ``extension/`` folder second."""
    packaged = resources.files("notebook_pipelines") / "_extension" / name
    if packaged.is_file():
        return Path(str(packaged))
    in_repo = Path(__file__).resolve().parents[2] / "extension" / name
    if in_repo.is_file():
        return in_repo
    raise DagsterInvariantViolationError(
        f"The run widget's front end file {name!r} is missing: neither "
        f"notebook_pipelines/_extension/{name} nor {in_repo} exists (reinstall the package)."
    )


def stored_reader(instance: DagsterInstance, run_id: str) -> OutputReader | None:
    """Reads outputs stored run ``run_id`` kept where the instance keeps its runs' values (its
    folder, or the object store its ``instance.yaml`` names)."""
    if instance.is_ephemeral:
        return None
    storage = ObjectStoreIntermediateStorage(run_values_store(instance), run_id_root, run_id)

    def read(step_key: str, output_name: str) -> Any:
        return storage.get_intermediate(None, StepOutputHandle(step_key, output_name))

    return read


def executed_notebook(data: Any) -> str | None:
    """The executed notebook a notebook solid recorded (an ``.ipynb`` path in a
    materialization's metadata), if ``data`` is that materialization."""
    materialization = getattr(data, "materialization", None)
    for entry in getattr(materialization, "metadata_entries", None) or ():
        path = getattr(entry.entry_data, "path", None)
        if isinstance(path, str) and path.endswith(".ipynb") and entry.label == "executed notebook":
            return path
    return None


#: bytes of a step's captured stdout/stderr sent along with its state (the end of it)
TAIL_BYTES = 2000


def tail(path: str, limit: int = TAIL_BYTES) -> str:
    """The last ``limit`` bytes of file ``path`` as text (``""`` when it does not exist)."""
    try:
        with open(path, "rb") as file:
            size = file.seek(0, 2)
            file.seek(max(0, size - limit))
            data = file.read()
    except FileNotFoundError:
        return ""
    text = data.decode("utf-8", "replace")
    return "…" + text if size > limit else text


def result_reader(result: Any) -> Callable[[str, str], Any]:
    def read(step_key: str, output_name: str) -> Any:
        handle = step_key[: -len(".compute")] if step_key.endswith(".compute") else step_key
        return result.output_for_solid(handle, output_name)

    return read
