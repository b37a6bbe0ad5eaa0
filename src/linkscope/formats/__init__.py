"""Container formats. Each module parses one format into an Image with the same small verbs."""
