"""Hash sets, perceptual indexes, matching and the clustering of new material."""
