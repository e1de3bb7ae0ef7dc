"""External formats: one module per format, reading and writing."""
