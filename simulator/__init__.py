"""A realistic simulated shop for demos, tests and benchmarks (`simulator.simulate.simulate`): it
writes landing files in the layout of the contract and takes every enum from `ingest.contract`.
Nothing in the pipeline imports it."""
