"""The endpoint map's records: an HTTP endpoint, the calls its handler makes, the queries they reach."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqllint.config import DEFAULT_ENDPOINT_MAX_DEPTH
from sqllint.records import Finding, ParsedQuery, Severity

DEFAULT_MAX_DEPTH = DEFAULT_ENDPOINT_MAX_DEPTH  # the config's endpoint-max-depth when none is set


@dataclass(frozen=True)
class FunctionKey:
    """A function or method as the extractors name its scope: display path + qualified name."""

    path: str
    qualname: str

    def __str__(self) -> str:
        return f"{self.path}:{self.qualname}"


@dataclass(frozen=True)
class Endpoint:
    methods: tuple[str, ...]  # ("GET",), ("GET", "POST"), ("ANY",) for a view that takes every method
    route: str  # the full path template as the framework writes it: /orders/<int:order_id>, /users/{id}
    handler: FunctionKey | None  # None when the view is not code of the repository
    path: str  # where the route is declared
    line: int
    framework: str  # flask, fastapi, django, spring
    note: str | None = None  # e.g. "view is django.views.generic.ListView: outside the repository"
    # functions the framework runs before the handler on every request (Flask before_request hooks)
    hooks: tuple[FunctionKey, ...] = ()
    # the start of ``route`` added outside the route's own declaration: a blueprint's, router's, include()'s
    # or group's prefix, Spring's context path (then ``prefix_from`` says which setting of which file);
    # a selector may leave it out
    prefix: str = ""
    prefix_from: str | None = None

    @property
    def label(self) -> str:
        return f"{'|'.join(self.methods)} {self.route}"


@dataclass(frozen=True)
class CallSite:
    """Where a call happens, and how deep it sits in loops of its own function."""

    path: str
    line: int
    column: int
    loop_depth: int = 0
    loop_line: int | None = None


@dataclass(frozen=True)
class Event:
    """One call in a function body, in evaluation order. ``target`` is a function of the repository to
    follow; ``stop`` says why a call is not followed (outside the repository, unresolved)."""

    site: CallSite
    text: str  # the callee as written, e.g. "self.orders.list"
    target: FunctionKey | None = None
    stop: str | None = None


@dataclass(frozen=True)
class Frame:
    """One step of a call chain: the function entered and the call that entered it (None: the handler)."""

    function: FunctionKey
    call: CallSite | None


@dataclass(frozen=True)
class ChainQuery:
    """One visit of a query call site along an endpoint's call chain (every variant of it)."""

    variants: tuple[ParsedQuery, ...]
    frames: tuple[Frame, ...]  # handler first; the last frame's function holds the query
    loop_depth: int  # loops around the query, counted over the whole chain
    loop_anchor: CallSite | None  # the innermost loop's call site (its own site when the loop is local)

    @property
    def query(self) -> ParsedQuery:
        return self.variants[0]

    def via(self) -> str:
        return " → ".join(f.function.qualname for f in self.frames)


@dataclass(frozen=True)
class Stop:
    """Where following the calls ended before reaching code: outside the repository, recursion, depth."""

    site: CallSite
    callee: str
    reason: str
    function: FunctionKey

    def describe(self) -> str:
        return f"stops at {self.callee}: {self.reason} ({self.site.path}:{self.site.line})"


@dataclass
class EndpointChain:
    endpoint: Endpoint
    queries: list[ChainQuery] = field(default_factory=list)
    stops: list[Stop] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # endpoint-level (whole chain) findings
    query_findings: list[Finding] = field(default_factory=list)  # static findings on the chain's queries
    estimated_rows: int | None = None  # with a DSN: the sum of each query's estimated rows examined

    def worst(self) -> Finding | None:
        """The most severe finding; at equal severity a finding about the code beats one saying a query
        could not be analysed (E…): with a staging schema that lacks the tables every query has an E010,
        which would otherwise hide the N+1 in the worst column."""
        found = self.findings + self.query_findings
        return max(found, key=lambda f: (f.severity, not f.rule.startswith("E"), -f.line), default=None)

    @property
    def worst_severity(self) -> Severity | None:
        worst = self.worst()
        return worst.severity if worst else None


@dataclass(frozen=True)
class MapNote:
    """Something the endpoint discovery could not map (a dynamic route, a file with a syntax error)."""

    path: str
    line: int
    message: str
