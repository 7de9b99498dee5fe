"""The ``wharf`` command line."""
