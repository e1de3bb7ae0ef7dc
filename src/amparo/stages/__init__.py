"""Pipeline stages: each a pure core plus a thin adapter to the store, safe to re-run."""
