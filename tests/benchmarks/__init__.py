"""Benchmarks: `make bench` runs them all; `make test` runs each as a tiny smoke."""
