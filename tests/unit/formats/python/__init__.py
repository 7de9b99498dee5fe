"""Unit tests of the Python format's upload validation."""
