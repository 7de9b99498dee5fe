"""Wharf's own benchmark suite: a self-built corpus, a local static upstream, Wharf and (when
installed) its peers and nginx as the static-file limit, one results table. Run
``python bench/run.py``; see bench/README.md."""
