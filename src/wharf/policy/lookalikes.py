"""Which popular or private name a new package name imitates, character by character.

Two names are compared the way a person misreads or mistypes them: one character added,
left out, changed or two swapped (Damerau-Levenshtein distance 1), separators changed or
dropped, look-alike characters (``0``/``o``, ``rn``/``m``, a capital ``I`` for an ``l``) and
npm scopes (``@bable/core``, or ``babel-core`` for ``@babel/core``). Nothing here guesses at
meaning: ``requests-toolbelt`` is a name of its own.

Real names sit one edit from each other all the time (``scipy``/``scapy``, ``typer``/
``hyper``), so not every edit counts against every name. Swaps, look-alikes, separators
and doubled letters are typos whatever they imitate. Any other letter added, left out or
changed imitates only the most popular names (``prominent``), and never at the first
letter (``grequests``, ``preact``); a version number (``markdown2``, ``-cu11`` for
``-cu12``) never does, and neither does anything shorter than ``MIN_EDIT_LENGTH``. The
unit tests measure what that leaves flagged among the popular lists themselves.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MIN_EDIT_LENGTH = 5
"""The shortest name judged, and the shortest name it may imitate: shorter names collide
by nature (``six``, ``sip``, ``sim``)."""

_SEPARATORS = "-_."
# Characters that read alike in a terminal or an address bar, folded to one spelling per
# look after lower-casing (so a capital I reads as an l too).
_LOOKALIKE_CHARACTERS = str.maketrans({"0": "o", "1": "l", "i": "l", "5": "s"})
_LOOKALIKE_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_UNMARKED = str.maketrans("", "", _SEPARATORS + "@/")


def skeleton(name: str) -> str:
    """How a name reads at a glance: lower case, look-alike characters folded, separators
    and scope marks gone (``@babeI/core``, ``babel-core`` and ``babelcore`` all read alike)."""
    folded = name.lower().translate(_LOOKALIKE_CHARACTERS).translate(_UNMARKED)
    for pair, single in _LOOKALIKE_PAIRS:
        folded = folded.replace(pair, single)
    return folded


def one_edit_apart(left: str, right: str) -> bool:
    """True when one insertion, deletion, substitution or swap of neighbours turns ``left``
    into ``right`` (Damerau-Levenshtein distance exactly 1), decided at the first mismatch."""
    if left == right or abs(len(left) - len(right)) > 1:
        return False
    at = _first_difference(left, right)
    if len(left) > len(right):
        return left[at + 1 :] == right[at:]
    if len(left) < len(right):
        return left[at:] == right[at + 1 :]
    swapped = at + 1 < len(left) and left[at] == right[at + 1] and left[at + 1] == right[at]
    return left[at + 1 :] == right[at + 1 :] or (swapped and left[at + 2 :] == right[at + 2 :])


def _first_difference(left: str, right: str) -> int:
    at = 0
    for a, b in zip(left, right, strict=False):
        if a != b:
            break
        at += 1
    return at


def single_edit(name: str, imitated: str) -> tuple[str, bool] | None:
    """How ``name`` differs from ``imitated`` by one edit, and whether that edit is a typo
    whatever the name (a swap, a look-alike, a separator, a doubled letter) rather than one
    that makes a typo only of a very popular name. None for a version number: a digit for a
    digit, or a digit added or left out at the end."""
    at = _first_difference(name, imitated)
    scope, original = _scope(name), _scope(imitated)
    if scope and original and scope != original:
        return f"the scope {scope!r} in place of {original!r}", True
    if len(name) != len(imitated):
        longer = max(name, imitated, key=len)
        extra = longer[at]
        if extra.isdigit() and at == len(longer) - 1:
            return None
        doubled = longer[at - 1 : at] == extra or longer[at + 1 : at + 2] == extra
        how = f"{extra!r} added" if longer is name else f"{extra!r} left out"
        return how, doubled or extra in _SEPARATORS
    written, meant = name[at], imitated[at]
    if name[at + 1 :] != imitated[at + 1 :]:
        return "two letters swapped", True
    if written.isdigit() and meant.isdigit():
        return None
    if written in _SEPARATORS and meant in _SEPARATORS:
        return f"{written!r} in place of {meant!r}", True
    if skeleton(written) == skeleton(meant):
        return f"{written!r} in place of the look-alike {meant!r}", True
    return f"{written!r} in place of {meant!r}", False


def look_alike(name: str, imitated: str) -> str:
    """How ``name`` reads like ``imitated`` (same skeleton) without being one edit away."""
    scope, original = _scope(name), _scope(imitated)
    if original and not scope:
        return f"its scope {original!r} made part of the name"
    if scope and original and scope != original:
        return f"the scope {scope!r} in place of {original!r}"
    if name.lower() == imitated.lower():
        return "the same letters in other capitals"
    if name.lower().translate(_UNMARKED) == imitated.lower().translate(_UNMARKED):
        return "other separators"
    return "look-alike characters"


def _scope(name: str) -> str:
    return name.partition("/")[0] if name.startswith("@") and "/" in name else ""


def _deletions(name: str) -> set[str]:
    """``name`` and every string one character shorter: two names one edit apart always
    share one of these (the symmetric deletion neighbourhood)."""
    return {name, *(name[:at] + name[at + 1 :] for at in range(len(name)))}


class _HashIndex:
    """Which of a list of names have a given key: an open-addressing hash table in one
    array of 64-bit integers (the key's hash in the high bits, the name's position plus one
    in the low bits, 0 for an empty slot), so 250,000 keys take 3 MB and building it
    leaves no garbage behind. A hit is only a candidate: callers check the name itself."""

    __slots__ = ("_bits", "_table")

    def __init__(self, keyed: Iterable[tuple[str, int]], count: int, bound: int) -> None:
        """``count`` names, at most ``bound`` keys."""
        self._bits = (count + 1).bit_length()
        self._table = array("q", [0]) * (bound * 3 // 2 + 1)
        for key, at in keyed:
            entry = self._slot(key) | (at + 1)
            place = self._start(entry)
            while self._table[place] not in (0, entry):
                place = (place + 1) % len(self._table)
            self._table[place] = entry

    def _slot(self, key: str) -> int:
        return hash(key) >> self._bits << self._bits

    def _start(self, entry: int) -> int:
        return (entry >> self._bits) % len(self._table)

    def positions(self, key: str) -> Iterator[int]:
        slot, mask = self._slot(key), (1 << self._bits) - 1
        place = self._start(slot)
        while entry := self._table[place]:
            if entry & ~mask == slot:
                yield (entry & mask) - 1
            place = (place + 1) % len(self._table)


@dataclass(frozen=True, slots=True)
class Resemblance:
    """The name a candidate imitates, and how (for the reason a user reads)."""

    imitated: str
    how: str


class Lookalikes:
    """Finds which of a fixed set of names (one format's popular names, or the team's own)
    a new name imitates. Built once per set: a deletion-neighbourhood index for single edits
    and a skeleton index for look-alike spellings, both compact hash arrays. ``prominent``
    (default: all the names) are the ones any letter changed, added or left out imitates."""

    __slots__ = ("_edits", "_names", "_prominent", "_scopes", "_skeletons")

    def __init__(self, names: Iterable[str], prominent: frozenset[str] | None = None) -> None:
        self._names = tuple(sorted(set(names)))
        self._prominent = prominent
        self._edits = _HashIndex(
            (
                (variant, at)
                for at, name in enumerate(self._names)
                if len(name) >= MIN_EDIT_LENGTH
                for variant in _deletions(name)
            ),
            len(self._names),
            sum(len(name) + 1 for name in self._names if len(name) >= MIN_EDIT_LENGTH),
        )
        self._skeletons = _HashIndex(
            ((skeleton(name), at) for at, name in enumerate(self._names)),
            len(self._names),
            len(self._names),
        )
        self._scopes = frozenset(_scope(name) for name in self._names) - {""}

    def owns_scope(self, name: str) -> bool:
        """True when ``name`` is in the npm scope of one of the names: only that scope's
        owner can publish there, so nothing in it imitates anyone."""
        scope = _scope(name)
        return bool(scope) and scope in self._scopes

    def imitated_by(self, name: str) -> Resemblance | None:
        """The name ``name`` imitates (the first in sorted order when several), or None."""
        if len(name) < MIN_EDIT_LENGTH:
            return None
        edits = sorted(
            (self._names[at], edit)
            for variant in _deletions(name)
            for at in self._edits.positions(variant)
            if (edit := self._typo(name, self._names[at])) is not None
        )
        if edits:
            return Resemblance(*edits[0])
        look = skeleton(name)
        looks = sorted(
            self._names[at]
            for at in set(self._skeletons.positions(look))
            if self._names[at] != name and skeleton(self._names[at]) == look
        )
        return Resemblance(looks[0], look_alike(name, looks[0])) if looks else None

    def _typo(self, name: str, imitated: str) -> str | None:
        if not one_edit_apart(name, imitated):
            return None
        edit = single_edit(name, imitated)
        if edit is None:
            return None
        how, typo = edit
        if typo:
            return how
        prominent = self._prominent is None or imitated in self._prominent
        return how if prominent and name[0] == imitated[0] else None
