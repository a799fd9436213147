"""The test suite; it mirrors the package (tests/config tests notebook_pipelines/config, ...)."""
