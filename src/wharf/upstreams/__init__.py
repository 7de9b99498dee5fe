"""Upstream backends: HTTP access to the registries that proxy indexes read from.

They implement ``wharf.core.ports.Upstream``; only the composition root picks one.
"""
