"""Beacon's load and soak tools (`bench/run`), with the helpers they share."""
