"""A realistic simulated shop for demos, tests and benchmarks: it writes landing files in the
layout of the contract and takes every enum from the contract (`ingest`). Nothing in the pipeline
imports it.

Interface: `from simulator import simulate` (`simulate(landing, start, days, scale=..., seed=...,
progress=...)`: write the files, return the summary).
"""

from simulator.simulate import simulate

__all__ = ["simulate"]
