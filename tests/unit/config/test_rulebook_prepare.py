"""A worker builds the typosquat rule's popular-name index as it starts (RuleBook.prepare),
so the first upstream name a client asks for does not wait for it; with the rule off
everywhere nothing is built."""

from __future__ import annotations

from wharf.config.policy import PolicySettings
from wharf.config.rulebook import PopularNames, RuleBook
from wharf.policy import typosquat


def book(mode: str) -> RuleBook:
    names = PopularNames({"python": lambda: frozenset({"requests", "numpy", "django"})})
    return RuleBook(PolicySettings.model_validate({"typosquat": {"mode": mode}}), names)


def test_prepare_builds_the_popular_name_index_once() -> None:
    typosquat._popular.cache_clear()
    book("enforce").prepare()
    assert typosquat._popular.cache_info().currsize == 1
    book("warn").prepare()
    assert typosquat._popular.cache_info().currsize == 1  # the same names: built once


def test_nothing_is_built_with_the_rule_off() -> None:
    typosquat._popular.cache_clear()
    book("off").prepare()
    assert typosquat._popular.cache_info().currsize == 0
