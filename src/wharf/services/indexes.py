"""Creating, finding and deleting indexes, and the default set a first start creates."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace

from wharf.core.errors import ConflictError, InvalidRequestError, NotFoundError
from wharf.core.models import Index, IndexKind, PackageRule
from wharf.core.ports import ChangeStamps, Clock, MetadataStore
from wharf.formats.base import Format

NAME_RULE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# Paths the server itself answers at the top level; an index may not take them.
RESERVED_NAMES = frozenset(
    {"simple", "files", "static", "api", "ui", "admin", "login", "logout", "account",
     "favicon.ico", "robots.txt", "packages", "project", "search"}
)
STAMP_KEY = "indexes"


class IndexService:
    def __init__(
        self,
        store: MetadataStore,
        stamps: ChangeStamps,
        formats: Mapping[str, Format],
        clock: Clock,
    ) -> None:
        self._store = store
        self._stamps = stamps
        self._formats = formats
        self._clock = clock
        self._cache: dict[str, Index] = {}
        self._cache_stamp = -1
        self._expanded: dict[str, tuple[Index, ...]] = {}
        self._expanded_stamp = -1

    async def _current(self) -> dict[str, Index]:
        """Every index by name, from memory until any index changes."""
        stamp = self._stamps.stamp(STAMP_KEY)
        if stamp != self._cache_stamp:
            self._cache = {index.name: index for index in await self._store.list_indexes()}
            self._cache_stamp = stamp
        return self._cache

    async def get(self, name: str) -> Index:
        """The index called ``name``; served from memory until any index changes."""
        index = (await self._current()).get(name)
        if index is None:
            raise NotFoundError(
                f"No index named '{name}'.",
                hint="List the indexes with `wharf index list` or GET /-/api/indexes.",
            )
        return index

    async def find(self, name: str) -> Index | None:
        try:
            return await self.get(name)
        except NotFoundError:
            return None

    async def list_all(self) -> list[Index]:
        return sorted((await self._current()).values(), key=lambda index: index.name)

    async def create(self, index: Index) -> Index:
        await self.check(index)
        created = await self._store.create_index(replace(index, created_at=self._clock.now()))
        self._stamps.bump(STAMP_KEY)
        return created

    async def update(self, index: Index) -> Index:
        await self.check(index, existing=True)
        updated = await self._store.update_index(index)
        self._stamps.bump(STAMP_KEY)
        return updated

    async def delete(self, name: str) -> None:
        await self.get(name)
        users = [i.name for i in await self._store.list_indexes() if name in i.members]
        if users:
            raise ConflictError(
                f"Index '{name}' is a member of group(s) {', '.join(users)}.",
                hint="Remove it from those groups first.",
            )
        await self._store.delete_index(name)
        self._stamps.bump(STAMP_KEY)

    async def ensure(self, defaults: Sequence[Index]) -> list[Index]:
        """Create each index that does not exist yet (first start); returns those created."""
        created = []
        for index in defaults:
            if await self._store.get_index(index.name) is None:
                try:
                    created.append(await self.create(index))
                except ConflictError:  # another worker created it first
                    continue
        return created

    async def set_package_rule(self, name: str, rule: PackageRule) -> Index:
        """Add a rule to an index, or replace the one with the same pattern in place."""
        index = await self.get(name)
        pattern = self._formats[index.format].normalize(rule.pattern.strip())
        if not pattern:
            raise InvalidRequestError(
                "A package rule needs a name pattern.", hint="For example: '@corp/*' or 'corp-*'."
            )
        rule = replace(rule, pattern=pattern)
        rules = list(index.package_rules)
        at = next((i for i, r in enumerate(rules) if r.pattern == pattern), None)
        if at is None:
            rules.append(rule)
        else:
            rules[at] = rule
        return await self.update(replace(index, package_rules=tuple(rules)))

    async def remove_package_rule(self, name: str, pattern: str) -> Index:
        index = await self.get(name)
        pattern = self._formats[index.format].normalize(pattern.strip())
        kept = tuple(r for r in index.package_rules if r.pattern != pattern)
        if len(kept) == len(index.package_rules):
            raise NotFoundError(
                f"Index '{name}' has no package rule for '{pattern}'.",
                hint=f"See its rules with: wharf index show {name}",
            )
        return await self.update(replace(index, package_rules=kept))

    async def expand(self, index: Index) -> tuple[Index, ...]:
        """``index`` and, for a group, its members, depth first in member order, each once;
        remembered until any index changes (package rules are looked up per request)."""
        stamp = self._stamps.stamp(STAMP_KEY)
        if stamp != self._expanded_stamp:
            self._expanded = {}
            self._expanded_stamp = stamp
        found = self._expanded.get(index.name)
        if found is None:
            found = self._expanded[index.name] = await walk_members(index, self.find)
        return found

    async def package_rules(self, index: Index) -> tuple[PackageRule, ...]:
        """The package rules that apply in ``index``: its own, then (for a group) those of
        its members in order, so a rule set on a hosted index holds through every group."""
        return tuple(rule for each in await self.expand(index) for rule in each.package_rules)

    async def hosted_target(self, index: Index) -> Index:
        """Where an upload sent to ``index`` goes: itself, or a group's first hosted member."""
        if index.kind is IndexKind.HOSTED:
            return index
        if index.kind is IndexKind.GROUP:
            for member in index.members:
                candidate = await self.find(member)
                if candidate is not None and candidate.kind is IndexKind.HOSTED:
                    return candidate
            raise InvalidRequestError(
                f"Group '{index.name}' has no hosted member to take uploads.",
                hint="Upload to a hosted index, or add one to the group.",
            )
        raise InvalidRequestError(
            f"Index '{index.name}' is a proxy of {index.upstream}; it takes no uploads.",
            hint="Upload to a hosted index or to a group with a hosted member.",
        )

    async def check(self, index: Index, *, existing: bool = False) -> None:
        problems = []
        if not NAME_RULE.match(index.name) or index.name in RESERVED_NAMES:
            problems.append(
                f"'{index.name}' is not a valid index name: use 1-64 lowercase letters, digits, "
                "'.', '_' or '-', starting with a letter or digit, and none of "
                + ", ".join(sorted(RESERVED_NAMES))
            )
        if index.format not in self._formats:
            problems.append(
                f"Unknown format '{index.format}'; known: {', '.join(sorted(self._formats))}"
            )
        if index.kind is IndexKind.PROXY:
            if not (index.upstream or "").startswith(("http://", "https://")):
                problems.append("A proxy index needs an http(s) upstream URL")
        elif index.upstream:
            problems.append(f"Only proxy indexes have an upstream, not {index.kind} ones")
        if index.kind is IndexKind.GROUP:
            problems.extend(await self.check_members(index))
        elif index.members:
            problems.append(f"Only group indexes have members, not {index.kind} ones")
        if not existing and await self._store.get_index(index.name) is not None:
            raise ConflictError(
                f"An index named '{index.name}' already exists.", hint="Choose another name."
            )
        if problems:
            raise InvalidRequestError("; ".join(problems) + ".")

    async def check_members(self, group: Index) -> list[str]:
        problems = []
        if not group.members:
            problems.append("A group needs at least one member")
        for name in group.members:
            member = await self._store.get_index(name)
            if member is None:
                problems.append(f"Member '{name}' does not exist")
            elif member.format != group.format:
                problems.append(f"Member '{name}' is a {member.format} index, not {group.format}")
            elif member.kind is IndexKind.GROUP:
                problems.append(f"Member '{name}' is a group; groups do not nest")
            elif name == group.name:
                problems.append("A group cannot contain itself")
        if len(set(group.members)) != len(group.members):
            problems.append("Members are listed more than once")
        return problems


async def walk_members(
    index: Index, find: Callable[[str], Awaitable[Index | None]]
) -> tuple[Index, ...]:
    """``index`` and its members, depth first in member order; an index reached twice (a
    member of two groups, or a group that wrongly contains itself) is listed once."""
    found: dict[str, Index] = {}

    async def walk(current: Index) -> None:
        if current.name in found:
            return
        found[current.name] = current
        for name in current.members:
            member = await find(name)
            if member is not None:
                await walk(member)

    await walk(index)
    return tuple(found.values())
