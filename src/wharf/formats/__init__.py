"""Everything format-specific lives in one folder per format; ``base`` is the shared contract."""
