"""Wharf's benchmark suite: ``python bench/run.py [--quick | --smoke] [options]``.
See bench/README.md, or ``--help``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wharfbench.main import main

if __name__ == "__main__":
    sys.exit(main())
