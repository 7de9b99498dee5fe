"""Secrets: password hashing (argon2 and imported htpasswd hashes) and API token secrets."""
