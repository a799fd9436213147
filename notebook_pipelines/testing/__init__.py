"""Conformance suites that every executor and every storage must pass (subclass a suite's test
class and provide its fixture)."""
