"""Read catalogues and demand signals, build features, score and select."""
