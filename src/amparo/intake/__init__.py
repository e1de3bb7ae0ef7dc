"""Intake: reading inputs safely and recording each as ingested or quarantined."""
