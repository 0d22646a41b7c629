"""The generated project's open-loop load, as the benchmark loads it from the template's
source (scripts/benchmark/open_loop.py)."""

from scripts.benchmark.open_loop import Answer, offer

__all__ = ["Answer", "offer"]
