"""The format-neutral domain: plain data, the error tree and the ports. Standard library only."""
