"""The notebook layer (L7): ``%%solid`` magics, cell modules and the reconstruction strategy
that lets notebook-defined pipelines run in worker processes. Load it with
``%load_ext notebook_pipelines``; nothing here is imported by the engine."""
