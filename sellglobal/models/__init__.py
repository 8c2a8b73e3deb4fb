"""The learned parts: encoders with their embedding cache, cross-lingual matching, the ranker."""
