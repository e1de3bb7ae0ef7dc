"""Default distances for perceptual matching (a module of its own, light enough for CLI help)."""

# PDQ distance (of 256 bits) within which a file is a variant of a hash-set entry, unless the
# set is imported with another: the threshold Meta publishes for PDQ.
DEFAULT_PDQ_THRESHOLD = 31
