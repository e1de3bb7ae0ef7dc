"""Exports: the findings document and, later, the formats other tools read."""
