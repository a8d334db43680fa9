"""The published file formats: export of editions, import of others' published charts."""
