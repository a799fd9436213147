"""Notebooks as solids (layer 5): :func:`define_notebook_solid` runs a notebook with papermill as a
step; :mod:`.context` is what the notebook imports (``from notebook_pipelines import notebook``);
:mod:`.batch_pipeline` holds the pieces of a papermill batch (one notebook over many parameter
sets). papermill, nbformat and jupyter_client are imported only when a notebook runs."""

from .batch_pipeline import parameter_sets_from
from .pool import WARM_KERNELS_TAG, KernelPool, kernel_pool
from .solid import NOTEBOOK_TAG, define_notebook_solid

__all__ = [
    "NOTEBOOK_TAG",
    "WARM_KERNELS_TAG",
    "KernelPool",
    "define_notebook_solid",
    "kernel_pool",
    "parameter_sets_from",
]
