"""Format-neutral use cases. They see the ports and ``formats.base`` only."""
