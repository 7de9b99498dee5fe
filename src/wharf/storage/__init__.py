"""Storage backends: blob stores, change stamps and locks.

These implement ports from ``wharf.core.ports``. Only the composition root picks one; the
services see the ports alone.
"""
