"""Fingerprint → where the application's code issues that statement, by static extraction of PATHS.

The static pipeline runs with ``keep_parsed`` and every parsed variant is indexed by its fingerprint:
a logged ``WHERE id = 42`` meets the code's ``WHERE id = %s``, and a logged dynamic query meets the
variant of the code that produced it. Extraction enumerates a bounded set of variants (all optional parts
off, all on, each alone), but an application sends any combination: a logged statement that matches no
variant is linked to the dynamic statement whose variants bracket it (``SiteIndex.resolve``); a name
spliced in by the host (``ORDER BY ${sort}``) matches the name that was logged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from sqllint.config import Config
from sqllint.engine import run
from sqllint.extract.placeholders import IDENTIFIER_HOLE_PREFIX
from sqllint.parse import fingerprint_words
from sqllint.records import ParsedQuery
from sqllint.registry import Registry


@dataclass(frozen=True)
class Site:
    path: str
    line: int
    column: int
    scope: str | None = None
    variant: str | None = None
    parsed: ParsedQuery | None = None  # the code's statement (its suppression comments, its raw text)

    def label(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.scope:
            where += f" ({self.scope})"
        if self.variant:
            where += f" [{self.variant}]"
        return where


@dataclass(frozen=True)
class _Variant:
    words: tuple[str, ...]
    names: frozenset[str]
    site: Site
    holes: int  # names spliced in by the host (``ORDER BY ${sort}``): each stands for whatever name was logged


def _words(text: str) -> tuple[str, ...] | None:
    try:
        return tuple(fingerprint_words(Dialect.get_or_raise("mysql").tokenize(text)))
    except (SqlglotError, ValueError):
        return None


def _is_hole(word: str) -> bool:
    return word.startswith(IDENTIFIER_HOLE_PREFIX)


def _names(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w for w in words if not w.isupper() and w != "?" and not _is_hole(w))


def _spliced_lengths(words: tuple[str, ...], start: int) -> list[int]:
    """How many words a spliced name can stand for at ``start``: ``spent`` (1) or ``o.created_at`` (3)."""
    lengths = [1] if start < len(words) else []
    if start + 2 < len(words) and words[start + 1] == "DOT":
        lengths.append(3)
    return lengths


def _within(inner: tuple[str, ...], outer: tuple[str, ...]) -> bool:
    """Whether ``inner`` is ``outer`` with some words left out (a subsequence); a spliced name on either
    side stands for one name, qualified or not, on the other."""
    if not any(_is_hole(w) for w in inner) and not any(_is_hole(w) for w in outer):
        rest = iter(outer)
        return all(word in rest for word in inner)
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if i == len(inner):
            return True
        if j == len(outer) or (i, j) in seen:
            continue
        seen.add((i, j))
        todo.append((i, j + 1))  # a word of outer left out
        a, b = inner[i], outer[j]
        if a == b or (_is_hole(a) and _is_hole(b)):
            todo.append((i + 1, j + 1))
        elif _is_hole(a):
            todo.extend((i + 1, j + n) for n in _spliced_lengths(outer, j))
        elif _is_hole(b):
            todo.extend((i + n, j + 1) for n in _spliced_lengths(inner, i))
    return False


class SiteIndex(dict[str, list[Site]]):
    """Fingerprint → sites, plus the variants of each call site with optional parts or spliced names, for
    logged statements that no variant matches exactly."""

    def __init__(self, sites: dict[str, list[Site]], dynamic: dict[tuple[str, int, int], list[ParsedQuery]]) -> None:
        super().__init__(sites)
        self._dynamic = dynamic
        self._variants: dict[tuple[str, int, int], list[_Variant]] | None = None

    def resolve(self, logged: Iterable[tuple[str, str]]) -> None:
        """Link each (fingerprint, logged text) that no variant matches to the dynamic call sites one of
        whose variants it extends and another of which it is part of: MyBatis ``<if>``s, optional f-string
        or StringBuilder parts only add words, so a combination the extraction did not enumerate lies
        between the variant with all of them off and the one with all on."""
        for fingerprint, text in logged:
            if fingerprint in self:
                continue
            words = _words(text)
            if words:
                found = self._bracketing(words)
                if found:
                    self[fingerprint] = found

    def _bracketing(self, words: tuple[str, ...]) -> list[Site]:
        names = _names(words)
        best: list[tuple[int, Site]] = []
        for variants in self._by_site().values():
            lower = [v for v in variants if v.names <= names and _within(v.words, words)]
            upper = [v for v in variants if len(names - v.names) <= v.holes and _within(words, v.words)]
            if not lower or not upper:
                continue
            below = max(lower, key=lambda v: len(v.words))
            above = min(upper, key=lambda v: len(v.words))
            label = (above.site.variant if below is above else
                     f"a combination not checked statically, between [{below.site.variant}] and [{above.site.variant}]")
            best.append((len(below.words), dataclasses.replace(above.site, variant=label)))
        if not best:
            return []
        closest = max(score for score, _ in best)  # the statement whose fixed part covers most of the log's
        return sorted((site for score, site in best if score == closest), key=lambda s: (s.path, s.line, s.column))

    def _by_site(self) -> dict[tuple[str, int, int], list[_Variant]]:
        if self._variants is None:  # tokenized on first need: most traces match every statement exactly
            self._variants = {}
            for key, items in self._dynamic.items():
                variants = []
                for item in items:
                    words = _words(item.query.text)
                    if words:
                        site = Site(item.query.path, item.query.line, item.query.column, item.query.scope,
                                    item.query.variant.label if item.query.variant else None, item)
                        variants.append(_Variant(words, _names(words), site, sum(map(_is_hole, words))))
                if len(variants) > 1 or any(v.holes for v in variants):
                    self._variants[key] = variants
        return self._variants


def code_sites(paths: Iterable[str], config: Config, cwd: Path, registry: Registry,
               jobs: int | None = None) -> SiteIndex:
    """Every fingerprint the code under ``paths`` can send, with its call sites in source order. Only
    extraction and parsing run: the static rules' findings are not what a trace reports."""
    quiet = dataclasses.replace(config, select=("E001",), ignore=())
    result = run(list(paths), quiet, cwd, jobs=jobs, registry=registry, keep_parsed=True)
    return index_sites(result.parsed)


def index_sites(parsed: Iterable[ParsedQuery]) -> SiteIndex:
    found: dict[str, dict[tuple[str, int, int], Site]] = {}
    dynamic: dict[tuple[str, int, int], list[ParsedQuery]] = {}
    for item in parsed:
        if item.error is not None or item.query.language == "log":
            continue
        query = item.query
        if query.variant is not None or IDENTIFIER_HOLE_PREFIX in query.text:
            dynamic.setdefault(query.site, []).append(item)
        sites = found.setdefault(item.fingerprint, {})
        if query.site not in sites:
            sites[query.site] = Site(query.path, query.line, query.column, query.scope,
                                     query.variant.label if query.variant else None, item)
    # Where a statement is written comes before the calls of the function that runs it (a function's SQL
    # carried to its calls): a finding about the statement belongs where it can be changed.
    return SiteIndex({fingerprint: sorted(sites.values(), key=lambda s: (_carried(s), s.path, s.line, s.column))
                      for fingerprint, sites in found.items()}, dynamic)


def _carried(site: Site) -> bool:
    query = site.parsed.query if site.parsed is not None else None
    return query is not None and query.resolved_from is not None and bool(query.origin)


def sites_for(index: Mapping[str, list[Site]], fingerprint: str) -> list[Site]:
    return index.get(fingerprint, [])
