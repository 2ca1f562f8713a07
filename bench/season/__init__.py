"""The season benchmark: `python -m bench.season` (see bench/README.md); the driver is reusable."""
