"""End-to-end tests: real ``wharf serve`` processes on loopback, driven by pip, uv and twine."""
