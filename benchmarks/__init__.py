"""Benchmarks of the démarche « changement_adresse »: SpiffWorkflow alone, engine.api, the web app.

Run with `python -m benchmarks` (or `make bench`); `--n N` sets the démarches per repetition and
`--quick` makes a short smoke run. Figures and their reading are in docs/performance.md.
"""
