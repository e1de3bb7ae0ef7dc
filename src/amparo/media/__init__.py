"""Media analysis: safe decoding, PDQ and vPDQ perceptual hashes, EXIF, worker processes."""
