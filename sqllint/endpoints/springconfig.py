"""The path prefix Spring Boot puts before every mapping of a module: ``server.servlet.context-path`` and
``spring.mvc.servlet.path`` (``spring.webflux.base-path`` for WebFlux; Spring Boot 1.x's
``server.context-path`` and ``server.servlet-path`` too), read from the module's
``src/main/resources/application.properties``/``.yml``/``.yaml`` (``config/`` there; and beside the build
file, where Spring Boot looks in the working directory).

The controllers of a module (the directory holding ``src/main/java``) get their own module's prefix, so a
multi-module Maven/Gradle build maps each service under its own context path. The default file's value
applies; a profile's (``application-prod.yml``, a ``spring.config.activate.on-profile`` document) only
when ``spring.profiles.active`` of the default file names it, or when no default is set and every profile
that sets one agrees. The YAML reader is a small one for these keys (nested or dotted, Spring's relaxed
names): the files are not executed, flow mappings and anchors are not read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from sqllint.endpoints.model import Endpoint, MapNote
from sqllint.files import SourceFile

# canonical key (lower case, no - or _) → how the documentation spells it
PREFIX_KEYS = {"server.servlet.contextpath": "server.servlet.context-path",
               "server.contextpath": "server.context-path",  # Spring Boot 1.x
               "spring.mvc.servlet.path": "spring.mvc.servlet.path",
               "server.servlet.path": "server.servlet.path",  # Spring Boot 2.0
               "server.servletpath": "server.servlet-path",  # Spring Boot 1.x
               "spring.webflux.basepath": "spring.webflux.base-path"}
# The prefix is context path + servlet path (+ WebFlux base path); within a group the current key wins
# over the older spellings, so a project half-way through an upgrade does not get the prefix twice.
_GROUPS = (("server.servlet.contextpath", "server.contextpath"),
           ("spring.mvc.servlet.path", "server.servlet.path", "server.servletpath"),
           ("spring.webflux.basepath",))
_PROFILE_KEYS = ("spring.config.activate.onprofile", "spring.profiles")  # a document for some profiles only
_ACTIVE = "spring.profiles.active"
_WANTED = frozenset({*PREFIX_KEYS, *_PROFILE_KEYS, _ACTIVE})
_SOURCE_ROOTS = (("src", "main", "java"), ("src", "main", "kotlin"))
_NAME = re.compile(r"^application(?:-(?P<profile>[\w.-]+))?\.(?:properties|ya?ml)$")
_PLACEHOLDER = re.compile(r"\$\{(?P<name>[^:{}]+)(?::(?P<default>[^{}]*))?\}")
MAX_CONFIG_SIZE = 1_000_000


@dataclass(frozen=True)
class Setting:
    key: str  # canonical
    value: str
    path: str  # display path of the file
    line: int
    profile: str | None  # None: the default file (a document for no particular profile)


@dataclass
class ModulePrefix:
    """What a module's configuration adds before its mappings, and where it was read."""

    prefix: str = ""
    sources: list[Setting] = field(default_factory=list)
    notes: list[MapNote] = field(default_factory=list)

    def describe(self, in_file: str | None = None) -> str:
        """``server.servlet.context-path '/api' (src/main/resources/application.yml:4)``; the path is left
        out for settings of ``in_file``."""
        return ", ".join(f"{PREFIX_KEYS[s.key]} {s.value!r} ("
                         + ("line " if s.path == in_file else f"{s.path}:") + f"{s.line}"
                         + (f", profile {s.profile}" if s.profile else "") + ")" for s in self.sources)


def canonical(key: str) -> str:
    """Spring's relaxed binding: ``context-path``, ``contextPath``, ``context_path`` are one property."""
    return re.sub(r"[-_]", "", key.strip().strip("\"'")).lower()


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return re.split(r"\s+#", value, maxsplit=1)[0].strip()  # an unquoted value ends at a comment


def yaml_settings(text: str) -> Iterator[tuple[int, str, str, int]]:
    """(document number, canonical dotted key, scalar value, line) of block-mapping scalars, nested or
    dotted (``server: {servlet: {context-path: …}}`` written as blocks, or ``server.servlet.context-path: …``)."""
    document, stack, skip_deeper = 0, [], None  # stack: (indent, key)
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        if line.startswith(("---", "...")):
            document, stack, skip_deeper = document + 1, [], None
            continue
        indent = len(line) - len(stripped)
        if skip_deeper is not None and indent > skip_deeper:
            continue  # inside a block scalar or a list item
        skip_deeper = None
        if stripped.startswith("- ") or stripped == "-":
            skip_deeper = indent
            continue
        match = re.match(r"""^(?P<key>"[^"]*"|'[^']*'|[^:#'"][^:#]*?)\s*:(?:\s+(?P<value>.*))?$""", stripped)
        if match is None:
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key = ".".join([k for _, k in stack] + [match.group("key").strip().strip("\"'")])
        value = (match.group("value") or "").strip()
        if not value or value.startswith("#"):
            stack.append((indent, match.group("key").strip().strip("\"'")))
        elif value[:1] in "|>":
            skip_deeper = indent
        elif value[:1] not in "{[&*!":
            yield document, canonical(key), _unquote(value), number


def properties_settings(text: str) -> Iterator[tuple[int, str, str, int]]:
    """The same from a ``.properties`` file (``#---`` separates documents, as Spring Boot reads it)."""
    document, pending, start = 0, "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip() if not pending else raw.lstrip()
        if not pending:
            if line in ("#---", "!---"):
                document += 1
                continue
            if not line or line[0] in "#!":
                continue
            start = number
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1]
            continue
        entry, pending = pending + line, ""
        match = re.match(r"^(?P<key>(?:\\.|[^=:\s])+)\s*(?:[=:]\s*|\s+|$)(?P<value>.*)$", entry)
        if match is not None:
            key = re.sub(r"\\(.)", r"\1", match.group("key"))
            yield document, canonical(key), re.sub(r"\\(.)", r"\1", match.group("value")).strip(), start


def _read(path: Path, display: str) -> list[Setting]:
    """The prefix settings of one file, each with the profile it applies to (None: always)."""
    name = _NAME.match(path.name)
    if name is None or not path.is_file() or path.stat().st_size > MAX_CONFIG_SIZE:
        return []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    entries = properties_settings(text) if path.suffix == ".properties" else yaml_settings(text)
    by_document: dict[int, list[tuple[str, str, int]]] = {}
    for document, key, value, line in entries:
        if key in _WANTED:
            by_document.setdefault(document, []).append((key, value, line))
    found = []
    for items in by_document.values():
        gate = next((v for k, v, _ in items if k in _PROFILE_KEYS), None)
        profile = gate or name.group("profile")
        found += [Setting(k, v, display, line, profile) for k, v, line in items if k not in _PROFILE_KEYS]
    return found


def _resolve(value: str, settings: list[Setting]) -> tuple[str | None, str | None]:
    """The value with ``${name:default}`` placeholders replaced (a key of the same files, else the default):
    (value, None), or (None, why) when it is known at deployment only."""
    unknown = []

    def substitute(match: re.Match[str]) -> str:
        known = [s.value for s in settings if s.key == canonical(match.group("name")) and "${" not in s.value]
        if known:
            return known[-1]
        if match.group("default") is not None:
            return match.group("default")
        unknown.append(match.group(0))
        return ""

    resolved = _PLACEHOLDER.sub(substitute, value)
    return (None, f"{', '.join(unknown)} is set at deployment") if unknown else (resolved, None)


def _choose(key: str, settings: list[Setting], active: list[str]) -> tuple[Setting | None, str | None]:
    """The setting of ``key`` that applies: the active profiles' last, else the default file's, else the
    one value every profile agrees on; (None, why) when the profiles disagree."""
    of_key = [s for s in settings if s.key == key]
    for profile in reversed(active):
        chosen = [s for s in of_key if s.profile and profile in re.split(r"[\s,|&()]+", s.profile)]
        if chosen:
            return chosen[-1], None
    default = [s for s in of_key if s.profile is None]
    if default:
        return default[-1], None
    values = {s.value for s in of_key}
    if len(values) == 1:
        return of_key[-1], None
    if values:
        listed = ", ".join(f"{s.profile}: {s.value!r} ({s.path}:{s.line})" for s in of_key)
        return None, (f"{PREFIX_KEYS[key]} differs by profile ({listed}) and the default configuration sets none: "
                      "the endpoints are listed without it")
    return None, None


def _join(*parts: str) -> str:
    return "".join("/" + p.strip("/") for p in parts if p.strip("/"))


def module_prefix(root: Path, display: str) -> ModulePrefix:
    """The prefix a module's configuration gives its mappings: ``src/main/resources/application.*`` and
    ``config/`` there (the classpath), then ``application.*`` and ``config/`` beside the module's
    build file (read from the working directory when the service starts there), each later one winning."""
    settings: list[Setting] = []
    resources = "/".join(p for p in (display, "src/main/resources") if p)
    for folder, shown in ((root / "src/main/resources", resources), (root / "src/main/resources/config",
                          f"{resources}/config"), (root, display), (root / "config", f"{display}/config")):
        if not folder.is_dir():
            continue
        # within a folder Spring Boot lets .properties win over .yml: read it last
        files = sorted((p for p in folder.iterdir() if _NAME.match(p.name)),
                       key=lambda p: (p.suffix == ".properties", p.name))
        for path in files:
            settings += _read(path, f"{shown}/{path.name}".lstrip("/"))
    out = ModulePrefix()
    if not any(s.key in PREFIX_KEYS for s in settings):
        return out
    active_setting = [s for s in settings if s.key == _ACTIVE and s.profile is None]
    # ${SPRING_PROFILES_ACTIVE:prod}: the default, as for the prefixes
    named = _resolve(active_setting[-1].value, settings)[0] if active_setting else None
    active = [p.strip() for p in (named or "").split(",") if p.strip()]
    parts = []
    for group in _GROUPS:
        key = next((k for k in group if any(s.key == k for s in settings)), None)
        if key is None:
            continue
        chosen, why = _choose(key, settings, active)
        if why:
            first = next(s for s in settings if s.key == key)
            out.notes.append(MapNote(first.path, first.line, why))
        if chosen is None:
            continue
        value, unknown = _resolve(chosen.value, settings)
        if value is None:
            out.notes.append(MapNote(chosen.path, chosen.line, f"{PREFIX_KEYS[key]} {chosen.value!r}: {unknown}; "
                                                               "the endpoints are listed without it"))
            continue
        if value.strip("/"):
            parts.append(value)
            out.sources.append(replace(chosen, value=_join(value)))
    out.prefix = _join(*parts)
    return out


def _module_root(source: SourceFile) -> tuple[Path, str] | None:
    """(absolute, display) directory of the module a Java source belongs to: the one above src/main/java."""
    parts = source.absolute.parts
    for index in range(len(parts) - 3, -1, -1):
        if tuple(parts[index : index + 3]) in _SOURCE_ROOTS:
            root, shown = Path(*parts[:index]), PurePosixPath(source.path)
            if shown.is_absolute():
                return root, root.as_posix()
            display = os.path.relpath(root, Path(*parts[: len(parts) - len(shown.parts)]))  # as source.path is
            return root, "" if display == "." else PurePosixPath(Path(display)).as_posix()
    return None


def with_configured_prefixes(endpoints: list[Endpoint], files: list[SourceFile],
                             notes: list[MapNote]) -> list[Endpoint]:
    """Spring endpoints with their module's configured prefix in front of the route (``Endpoint.prefix``
    records it, so that a selector may leave it out); a note per module says where it comes from."""
    roots = {f.path: _module_root(f) for f in files}
    shown = {root[0]: root[1] for root in roots.values() if root is not None}
    prefixes: dict[Path, ModulePrefix] = {}
    counts: dict[Path, int] = {}
    out = []
    for endpoint in endpoints:
        root = roots.get(endpoint.path)
        if endpoint.framework != "spring" or root is None:
            out.append(endpoint)
            continue
        if root[0] not in prefixes:
            prefixes[root[0]] = module_prefix(root[0], root[1])
            notes.extend(prefixes[root[0]].notes)
        found = prefixes[root[0]]
        if not found.prefix:
            out.append(endpoint)
            continue
        counts[root[0]] = counts.get(root[0], 0) + 1
        route = found.prefix + (endpoint.route if endpoint.route != "/" else "")
        out.append(replace(endpoint, route=route or "/", prefix=found.prefix, prefix_from=found.describe()))
    for root, count in counts.items():
        found = prefixes[root]
        first = found.sources[0]
        module = f"module {shown[root] or '.'}" if len(prefixes) > 1 else "the application"
        listed = f"the {count} endpoints of {module} are" if count > 1 else f"the endpoint of {module} is"
        notes.append(MapNote(first.path, first.line, f"{found.describe(first.path)}: {listed} listed under "
                             f"{found.prefix} (a selector without it matches too)"))
    return out
