"""Wharf: one self-hosted service for a team's Python and npm packages."""

__version__ = "0.1.0"
