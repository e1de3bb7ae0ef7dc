"""Places and legal process: IP lookup, provider requests and returns, locations, ages."""
