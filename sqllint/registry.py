"""Rule registration (ruff's way): a code, a kebab-case name, a severity, typed options, a docstring.

A rule is a plain function decorated with ``@rule(...)``. What it reads is declared by ``target``:

- ``query``: ``check(query: ParsedQuery, options) -> Iterable[Violation]``, once per parsed statement;
- ``scope``: ``check(scope: Scope, options) -> Iterable[Violation]``, once per function/method;
- ``source``: no check; findings are raised by the engine (parse errors, unreadable files);
- ``plan``: ``check(subject: sqllint.explain.subject.PlanSubject, options) -> Iterable[Violation]``, once
  per explained statement, by the EXPLAIN stage (``sqllint.explain``) when a database is reachable.
- ``trace``: ``check(window: sqllint.trace.model.ConnectionWindow, options) -> Iterable[Violation]``, once per
  window of one connection's logged statements, by ``sqllint trace`` (``sqllint.trace``).

The docstring is the rule's documentation: its first line is the summary, ``## Why is this bad?`` the
rationale, and fenced blocks tagged ``sql bad`` / ``sql good`` / ``python bad`` / ``python good`` are
examples that the test suite runs (``log bad`` / ``log good``: a query-log excerpt, for ``trace`` rules).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqllint.records import ParsedQuery, Severity

RULE_CODE = re.compile(r"^[A-Z]\d{3}$")
RULE_NAME = re.compile(r"^[a-z]+(?:-[a-z0-9]+)*$")
TARGETS = ("query", "scope", "source", "plan", "trace")


@dataclass(frozen=True)
class Option:
    """A rule option: its default and the type a config value must have."""

    default: Any
    help: str
    minimum: int | None = None

    def validate(self, key: str, value: Any) -> Any:
        expected = type(self.default)
        if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{key} must be an integer, got {value!r}")
        if expected is not int and not isinstance(value, expected):
            raise ValueError(f"{key} must be a {expected.__name__}, got {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{key} must be at least {self.minimum}, got {value!r}")
        return value


@dataclass(frozen=True)
class Violation:
    """What a rule reports; the engine turns it into a Finding with location and variant."""

    message: str
    suggestion: str | None = None
    query: ParsedQuery | None = None  # scope rules say which query the finding sits on
    # Variants of one statement that raise the same ``family`` about different ``subjects`` (the names
    # spliced into each variant) are one finding, its message ``merge(subjects of every variant)``.
    family: str = ""
    subjects: tuple[str, ...] = ()
    merge: Callable[[tuple[str, ...]], str] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Example:
    language: str  # "sql", "python" or "log" (a query-log excerpt, for trace rules)
    bad: bool
    code: str


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    target: str
    check: Callable[..., Iterable[Violation]] | None
    options: Mapping[str, Option] = field(default_factory=dict)
    doc: str = ""

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0].strip() if self.doc.strip() else self.name

    @property
    def family(self) -> str:
        return self.code[0]

    def examples(self) -> list[Example]:
        return list(_examples(self.doc))

    def defaults(self) -> dict[str, Any]:
        return {key: option.default for key, option in self.options.items()}


_EXAMPLE = re.compile(r"```(?P<lang>sql|python|log)\s+(?P<kind>bad|good)\s*\n(?P<code>.*?)```", re.DOTALL)


def _examples(doc: str) -> Iterator[Example]:
    for match in _EXAMPLE.finditer(doc):
        yield Example(match.group("lang"), match.group("kind") == "bad", textwrap.dedent(match.group("code")).strip() + "\n")


def rule(
    *,
    code: str,
    name: str,
    severity: Severity,
    target: str = "query",
    options: Mapping[str, Option] | None = None,
) -> Callable[[Callable[..., Iterable[Violation]]], Callable[..., Iterable[Violation]]]:
    """Declare a rule. The decorated function is unchanged; the registry finds it by its marker."""
    if not RULE_CODE.match(code):
        raise ValueError(f"rule code {code!r} must be a letter and three digits")
    if not RULE_NAME.match(name):
        raise ValueError(f"rule name {name!r} must be kebab-case")
    if target not in TARGETS:
        raise ValueError(f"rule target {target!r} must be one of {TARGETS}")

    def mark(func: Callable[..., Iterable[Violation]]) -> Callable[..., Iterable[Violation]]:
        func.__sqllint_rule__ = Rule(  # type: ignore[attr-defined]
            code, name, severity, target, None if target == "source" else func, dict(options or {}),
            inspect.cleandoc(func.__doc__ or ""),
        )
        return func

    return mark


@dataclass(frozen=True)
class Registry:
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for item in self.rules:
            for key in (item.code, item.name):
                if key in seen:
                    raise ValueError(f"rule {key} is registered twice ({seen[key]} and {item.code})")
                seen[key] = item.code

    def get(self, code_or_name: str) -> Rule | None:
        key = code_or_name.strip()
        for item in self.rules:
            if key.upper() == item.code or key.lower() == item.name:
                return item
        return None

    def __getitem__(self, code_or_name: str) -> Rule:
        found = self.get(code_or_name)
        if found is None:
            raise KeyError(code_or_name)
        return found

    def matching(self, selector: str) -> list[Rule]:
        """Rules a select/ignore entry names: a code, a name, a code prefix (``S``, ``S00``) or ``ALL``."""
        key = selector.strip()
        if key.upper() == "ALL":
            return list(self.rules)
        exact = self.get(key)
        if exact is not None:
            return [exact]
        return [r for r in self.rules if key and r.code.startswith(key.upper())]


def rules_in_module(module: Any) -> list[Rule]:
    return [obj.__sqllint_rule__ for obj in vars(module).values() if hasattr(obj, "__sqllint_rule__")]


@lru_cache(maxsize=1)
def builtin_registry() -> Registry:
    """Every rule module in ``sqllint.rules`` (the repository's ``rules/`` directory)."""
    import sqllint.rules as package

    found: list[Rule] = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        found.extend(rules_in_module(importlib.import_module(f"{package.__name__}.{info.name}")))
    return Registry(tuple(sorted(found, key=lambda r: r.code)))
