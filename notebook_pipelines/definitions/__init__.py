"""Definitions: solids, pipelines, dependencies, modes, resources, types and selection (layer 2)."""
