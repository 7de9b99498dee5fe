"""The Python package format: names, archives, metadata, index pages, upstream protocol."""
