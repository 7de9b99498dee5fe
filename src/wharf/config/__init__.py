"""Settings: the typed model, its sources, and the machine's own upstream defaults."""
