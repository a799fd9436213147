"""Tests of the notebook layer."""
