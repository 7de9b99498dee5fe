"""Wharf: one self-hosted service for a team's Python and npm packages."""

import sys

__version__ = "0.1.0"

# httpx imports its own command line (``httpx._main``) whenever click, rich and pygments
# are installed, as they are beside Wharf (granian's command line, Wharf's progress bars):
# about 5 MB in every server worker for a command Wharf never runs. Marking the module
# absent makes httpx skip it, exactly as when those packages are missing.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
