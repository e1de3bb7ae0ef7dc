"""The pipeline's stages by name, in the order they run.

Kept apart from ``pipeline`` so that the command line's help can list them without importing
the stages themselves.
"""

STAGE_NAMES = ("hash", "match", "cluster", "resolve", "locate", "score")
