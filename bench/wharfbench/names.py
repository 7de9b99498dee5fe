"""Realistic synthetic package names: words combined the way real projects are named
(``flask-quill``, ``py-tessel``, ``quillkit``, ``aio-lattice-core``), unique, deterministic
for a seed, and never a name the bench would find upstream (there is no upstream but ours)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

PREFIXES = (
    "py", "aio", "async", "flask", "django", "fast", "pytest", "sphinx", "jupyter", "open",
    "tiny", "micro", "simple", "easy", "super", "deep", "auto", "lazy", "smart", "pure",
    "cloud", "data", "web", "http", "json", "yaml", "sql", "graph", "geo", "bio", "astro",
    "ml", "nlp", "cli", "dev", "test", "mock", "typed", "rust", "fluent", "hyper", "meta",
    "net", "node", "react", "vue", "next", "vite", "ember", "redux",
)
NOUNS = (
    "quill", "tessel", "lattice", "harbor", "beacon", "cobalt", "ember", "falcon", "garnet",
    "heron", "iris", "juniper", "kestrel", "lumen", "marlin", "nectar", "onyx", "pylon",
    "quartz", "raven", "saffron", "talon", "umber", "vortex", "willow", "xenon", "yarrow",
    "zephyr", "anchor", "bramble", "cinder", "drift", "eddy", "fjord", "glacier", "hollow",
    "inlet", "jetty", "keel", "lagoon", "mast", "nautilus", "orbit", "pebble", "quiver",
    "reef", "sextant", "tide", "undertow", "vessel", "wharfage", "yawl", "zenith", "arbor",
    "basalt", "canyon", "delta", "estuary", "flint", "grove", "heath", "isle", "jade",
    "kiln", "ledger", "meadow", "nimbus", "oasis", "prism", "quarry", "ridge", "summit",
    "thicket", "upland", "valley", "warren", "yonder", "zinc", "atlas", "bolt", "crate",
    "dynamo", "engine", "forge", "gizmo", "hinge", "ingot", "joist", "knot", "lever",
    "mortar", "nozzle", "piston", "quota", "rivet", "spindle", "turbine", "valve", "widget",
)
SUFFIXES = ("core", "kit", "tools", "lite", "utils", "io", "js", "plus", "x", "ng", "client",
            "server", "compat", "extras", "lib")


def _candidates(rng: random.Random) -> Iterator[str]:
    while True:
        a, b, c = rng.choice(PREFIXES), rng.choice(NOUNS), rng.choice(NOUNS)
        s = rng.choice(SUFFIXES)
        shape = rng.randrange(8)
        yield (f"{a}-{b}", f"{b}-{s}", f"{a}{b}", f"{b}{s}", f"{a}-{b}-{s}",
               f"{b}-{c}", f"{a}-{b}-{c}", f"{b}-{c}-{s}")[shape]


def unique_names(count: int, seed: int, taken: set[str] | None = None,
                 acceptable: Callable[[str], bool] | None = None) -> list[str]:
    """``count`` distinct names (none in ``taken``, which is updated, all ``acceptable``);
    same seed, same list. When the combinations run short it numbers them, as big indexes
    do."""
    rng = random.Random(seed)
    taken = taken if taken is not None else set()
    names: list[str] = []
    misses = 0
    for name in _candidates(rng):
        if len(names) == count:
            break
        chosen = name
        if name in taken or (acceptable is not None and not acceptable(name)):
            misses += 1
            if misses <= 50 * count + 1000:
                continue
            chosen = f"{name}-{len(taken)}"
        taken.add(chosen)
        names.append(chosen)
    return names


def module_name(project: str) -> str:
    return project.replace("-", "_").replace(".", "_")


def upstream_safe(fmt: str) -> Callable[[str], bool]:
    """A filter for names the bench serves from its upstream: not a real popular name and
    not one Wharf's typosquat rule (on by default) would take for an imitation of one,
    judged by the installed Wharf itself. Without Wharf's rule every name passes."""
    try:
        from wharf.policy.lookalikes import Lookalikes  # noqa: PLC0415

        if fmt == "python":
            from wharf.formats.python import popular  # noqa: PLC0415
        else:
            from wharf.formats.npm import popular  # noqa: PLC0415
        known = Lookalikes(popular.popular_names(), popular.prominent_names())
        names = popular.popular_names()
    except (ImportError, AttributeError, TypeError):
        return lambda _name: True
    return lambda name: name not in names and known.imitated_by(name) is None
