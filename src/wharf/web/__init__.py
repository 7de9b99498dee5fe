"""HTTP: the app factory, authentication, the error table, the management API."""
