"""Measurement plans: plan services, hooks, missed assignments, due links and their jobs."""
