"""MyBatis mapper XML → dynamic-SQL trees (``dynsql``) → one Query per variant of each statement.

XML is read with defusedxml's expat parser: the ``<!DOCTYPE mapper PUBLIC … mybatis-3-mapper.dtd>``
every real mapper carries is accepted but never fetched; entity declarations (billion laughs) and
external entities are refused and reported (E020), never expanded. Files that are not mappers
(pom.xml, logback.xml, Spring contexts) are skipped before parsing unless they contain ``<mapper``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError as XmlParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from sqllint.extract import Problem
from sqllint.extract.dynsql import (
    SET_OVERRIDES,
    WHERE_OVERRIDES,
    Choose,
    Foreach,
    Fragment,
    If,
    Include,
    Node,
    Text,
    Trim,
)
from sqllint.extract.dynsql_includes import map_text, qualify
from sqllint.extract.mybatis_checks import duplicate_element
from sqllint.extract.mybatis_nested import NestedSelect, nested_selects, result_maps
from sqllint.extract.ognl import bind_sql
from sqllint.files import decode_text
from sqllint.suppress import parse_suppressions


STATEMENT_TAGS = ("select", "insert", "update", "delete")
MAX_DEPTH = 200  # real mappers nest a dozen elements at most
_MYSQL_DATABASE_IDS = frozenset({"", "mysql", "mariadb"})  # databaseId values whose SQL is checked
_XML_LANGS = frozenset({"xml", "", "org.apache.ibatis.scripting.xmltags.xmllanguagedriver"})
SKIPPED_TAGS = frozenset({"selectKey", "bind"})  # selectKey runs on its own; bind only names a value


@dataclass
class _Element:
    tag: str
    attrs: dict[str, str]
    line: int
    column: int
    end_line: int = 0
    children: list[_Element | str] = field(default_factory=list)
    comments: list[tuple[int, str]] = field(default_factory=list)  # (index among children, text)


class _Piece(str):
    """Element text that remembers where it starts in the file (for E001 positions)."""

    line: int
    column: int

    def __new__(cls, text: str, line: int, column: int) -> _Piece:
        piece = super().__new__(cls, text)
        piece.line, piece.column = line, column
        return piece


class _Builder:
    """Tree-builder target for expat that remembers where each element starts and ends."""

    def __init__(self) -> None:
        self.expat = None  # set once the parser exists
        self.stack: list[_Element] = []
        self.root: _Element | None = None
        self.file_comments: list[str] = []

    def _where(self) -> tuple[int, int]:
        return (self.expat.CurrentLineNumber, self.expat.CurrentColumnNumber + 1) if self.expat else (1, 1)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        line, column = self._where()
        if len(self.stack) >= MAX_DEPTH:  # the tree is walked recursively later: refuse it here
            raise XmlRefused("E020", f"XML elements nest more than {MAX_DEPTH} deep; the file was refused",
                             line, column, self)
        element = _Element(tag, dict(attrs), line, column)
        if self.stack:
            self.stack[-1].children.append(element)
        else:
            self.root = element
        self.stack.append(element)

    def end(self, tag: str) -> None:
        element = self.stack.pop()
        element.end_line = self._where()[0]

    def data(self, text: str) -> None:
        # expat hands text over in pieces (around entity references, CDATA, buffer ends): merge them,
        # so that `a &lt;= b` stays one text and is not joined back with spaces as separate SQL nodes.
        if self.stack:
            children = self.stack[-1].children
            last = children[-1] if children else None
            if isinstance(last, str) and last:
                children[-1] = _Piece(last + text, getattr(last, "line", 0), getattr(last, "column", 0))
            else:
                # ElementTree buffers text, so expat is already past it: count back to its first line.
                # (The first line's column cannot be told from there, entity references being longer
                # than what they stand for.)
                children.append(_Piece(text, self._where()[0] - text.count("\n"), 0))

    def comment(self, text: str) -> None:
        if self.stack:  # MyBatis joins the text on either side of a comment as two SQL nodes
            self.stack[-1].children.append("")
        if "sqllint:" in text:
            self.file_comments.append(text)
            # Inside a statement (at any depth) it is the statement's; between statements, the next one's.
            owner = self.stack[1] if len(self.stack) >= 2 else self.stack[0] if self.stack else None
            if owner is not None:
                owner.comments.append((len(owner.children), text))

    def close(self) -> _Element | None:
        return self.root


class XmlRefused(Exception):
    def __init__(self, code: str, message: str, line: int, column: int, built: _Builder | None = None) -> None:
        super().__init__(message)
        self.code, self.line, self.column = code, line, column
        self.root_tag = built.root.tag if built is not None and built.root is not None else None


_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def parse_xml(data: bytes | str, line_offset: int = 0) -> _Builder:
    """Parse with entity expansion and external references forbidden; raises ``XmlRefused``.

    The DOCTYPE's external DTD is never read (expat does not load it without a handler asking for it).
    """
    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    builder.expat = parser.parser
    try:
        parser.feed(data)
        parser.close()
    except DefusedXmlException as error:
        line, column = builder._where()
        raise XmlRefused("E020", f"XML declares entities or references external ones ({type(error).__name__}); "
                                 "the file was refused, not expanded", line + line_offset, column, builder) from None
    except XmlParseError as error:
        line, column = getattr(error, "position", None) or builder._where()
        message = str(error).split(": line")[0]
        raise XmlRefused("E002", f"XML syntax error: {message}; SQL in this file was not extracted",
                         line + line_offset, column + 1, builder) from None
    except ValueError as error:  # "multi-byte encodings are not supported" (pyexpat and GBK, Shift_JIS, …)
        raise XmlRefused("E003", f"cannot read XML: {error}", 1, 1, builder) from None
    return builder


def _as_text(data: bytes) -> tuple[bytes | str, str | None]:
    """What expat should read: the bytes when it decodes them itself, else text decoded here
    (multi-byte encodings such as GBK that pyexpat lacks; invalid UTF-8, replaced and reported)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data, None  # UTF-16 with its byte-order mark
    declared = _DECLARED_ENCODING.match(data)
    encoding = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    if encoding.replace("-", "").replace("_", "") in ("usascii", "ascii", "iso88591", "latin1", "utf16"):
        return data, None
    if encoding.replace("-", "").replace("_", "") == "utf8":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return decode_text(data)
        return data, None
    try:
        return data.decode(encoding), None
    except LookupError:
        return data, None  # expat reports the unknown encoding
    except UnicodeDecodeError:
        return (data.decode(encoding, errors="replace"),
                f"not valid {encoding} (as the XML declaration says); undecodable bytes were replaced")


# --- element tree → dynamic-SQL nodes ------------------------------------------------------------

def _overrides(value: str | None) -> tuple[str, ...]:
    """``prefixOverrides="AND |OR "`` → ("AND ", "OR "): MyBatis keeps the spaces and compares in upper case."""
    return tuple(v.upper() for v in value.split("|") if v) if value else ()


def to_nodes(children: list[_Element | str], positions: bool | Sequence[int] = True) -> tuple[Node, ...]:
    """The dynamic-SQL tree of an element's children. ``positions``: False for XML that is not the file
    itself and whose lines are unknown; for a ``<script>`` in a Java annotation, the file line of each of
    its lines (columns unknown)."""
    out: list[Node] = []
    for child in children:
        if isinstance(child, str):
            if child.strip():
                line, column = getattr(child, "line", 0), getattr(child, "column", 0)
                if positions is True:
                    out.append(Text(str(child), line, column))
                elif positions and 0 < line <= len(positions):  # type: ignore[arg-type]
                    out.append(Text(str(child), positions[line - 1], 0))  # type: ignore[index]
                else:
                    out.append(Text(str(child)))  # plain str: the tree is pickled to worker processes
            continue
        tag, attrs, inner = child.tag, child.attrs, child.children
        if tag in ("if", "when"):  # MyBatis's XMLScriptBuilder reads a <when> outside <choose> as an <if>
            out.append(If(attrs.get("test", "true"), to_nodes(inner, positions)))
        elif tag == "choose":
            whens = tuple((c.attrs.get("test", "true"), to_nodes(c.children, positions))
                          for c in inner if isinstance(c, _Element) and c.tag == "when")
            otherwise = next((to_nodes(c.children, positions) for c in inner
                              if isinstance(c, _Element) and c.tag == "otherwise"), ())
            out.append(Choose(whens, otherwise))
        elif tag == "where":
            out.append(Trim(to_nodes(inner, positions), prefix="WHERE", prefix_overrides=WHERE_OVERRIDES))
        elif tag == "set":
            out.append(Trim(to_nodes(inner, positions), prefix="SET", prefix_overrides=SET_OVERRIDES,
                            suffix_overrides=SET_OVERRIDES))
        elif tag == "trim":
            out.append(Trim(to_nodes(inner, positions), attrs.get("prefix", ""), attrs.get("suffix", ""),
                            _overrides(attrs.get("prefixOverrides")), _overrides(attrs.get("suffixOverrides"))))
        elif tag == "foreach":
            out.append(Foreach(to_nodes(inner, positions), attrs.get("open", ""), attrs.get("close", ""),
                               attrs.get("separator", ""), attrs.get("collection", "").strip(),
                               attrs.get("item", "").strip()))
        elif tag == "include":
            props = tuple((c.attrs.get("name", ""), c.attrs.get("value", ""))
                          for c in inner if isinstance(c, _Element) and c.tag == "property")
            out.append(Include(attrs.get("refid", ""), child.line, props))
        elif tag not in SKIPPED_TAGS:
            out.extend(to_nodes(inner, positions))  # an unknown element: keep what it says
    return tuple(out)


def _binds(element: _Element) -> Iterator[tuple[str, str]]:
    for child in element.children:
        if isinstance(child, _Element):
            if child.tag == "bind" and (sql := bind_sql(child.attrs.get("value", ""))) is not None:
                yield child.attrs.get("name", "").strip(), sql
            yield from _binds(child)


def apply_binds(body: tuple[Node, ...], binds: tuple[tuple[str, str], ...]) -> tuple[Node, ...]:
    """``#{pattern}`` bound by ``<bind name="pattern" value="'%' + kw + '%'"/>`` → ``CONCAT('%', #{kw}, '%')``:
    the leading wildcard is then as visible to the rules as if the SQL said it."""
    sql = dict(binds)
    token = re.compile(r"#\{\s*(" + "|".join(re.escape(name) for name in sql) + r")\s*(?:,[^}]*)?\}")
    return map_text(body, lambda text: token.sub(lambda m: sql[m.group(1)], text) if "#{" in text else text)


# --- mapper files ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Statement:
    """A mapped statement (XML element or annotated interface method), not yet expanded."""

    namespace: str
    id: str
    kind: str
    body: tuple[Node, ...]
    path: str
    line: int
    column: int = 1
    end_line: int | None = None
    suppressed: frozenset[str] = frozenset()
    callable: bool = False  # statementType="CALLABLE": ``{call proc(#{a})}`` in JDBC escape syntax
    binds: tuple[tuple[str, str], ...] = ()  # <bind name> → the SQL its value stands for (ognl.bind_sql)
    database: str = ""  # databaseId: MyBatis keeps one statement per id *and* database
    nested: tuple[NestedSelect, ...] = ()  # selects its result map runs once per row (mybatis_nested)
    result_map: str = ""  # its resultMap attribute, for maps another mapper file defines

    def duplicates(self, other: Statement | None) -> bool:
        """True when ``other`` is another definition of this statement: MyBatis refuses to start."""
        return (other is not None and other.qualified == self.qualified and other.database == self.database
                and (other.path, other.line) != (self.path, self.line))

    @property
    def qualified(self) -> str:
        return f"{self.namespace}.{self.id}" if self.namespace else self.id


@dataclass(frozen=True)
class MapperFile:
    path: str
    namespace: str = ""
    statements: tuple[Statement, ...] = ()
    fragments: tuple[tuple[str, Fragment], ...] = ()
    problems: tuple[Problem, ...] = ()
    # its <resultMap>s by namespace.id → (what they extend, their nested selects): other files' statements
    result_maps: tuple[tuple[str, tuple[str, tuple[NestedSelect, ...]]], ...] = ()


_MAPPER_TAG = re.compile(rb"<mapper[\s>/]")


def looks_like_mapper(data: bytes) -> bool:
    """Cheap pre-check: pom.xml, logback.xml and Spring contexts are never parsed. UTF-16 files (rare)
    are let through to the parser."""
    return _MAPPER_TAG.search(data) is not None or data.startswith((b"\xff\xfe", b"\xfe\xff"))


def parse_mapper(data: bytes, path: str) -> MapperFile | None:
    """The statements and fragments of a mapper file; None when the file is not a mapper."""
    source, decode_problem = _as_text(data)
    notes = [Problem("E003", 1, 1, decode_problem)] if decode_problem else []
    try:
        built = parse_xml(source)
    except XmlRefused as refused:
        if refused.root_tag not in (None, "mapper"):
            return None  # broken XML that is not a mapper (mybatis-config.xml, a Spring context): not ours
        return MapperFile(path, problems=(*notes, Problem(refused.code, refused.line, refused.column, str(refused))))
    root = built.root
    if root is None or root.tag != "mapper":
        return None
    file_codes = frozenset().union(*(c for c, whole in map(parse_suppressions, built.file_comments) if whole))
    namespace = root.attrs.get("namespace", "").strip()
    problems: list[Problem] = []
    if not namespace:
        problems.append(Problem("E021", root.line, root.column, "<mapper> has no namespace: MyBatis refuses it, "
                                "and its statements cannot be called or included by name"))
    statements: list[Statement] = []
    fragments: dict[str, Fragment] = {}
    first_seen: dict[tuple[str, str, str], int] = {}  # (kind, id, databaseId) → line of its first definition
    pending: frozenset[str] = frozenset()  # suppressions from comments just before the next element
    comment_at: dict[int, frozenset[str]] = {}
    for index, text in root.comments:
        comment_at[index] = comment_at.get(index, frozenset()) | parse_suppressions(text)[0]
    for index, child in enumerate(root.children):
        pending |= comment_at.get(index, frozenset())
        if not isinstance(child, _Element):
            continue
        ident = child.attrs.get("id", "").strip()
        database = child.attrs.get("databaseId", "").strip().lower()
        if ident and child.tag in (*STATEMENT_TAGS, "sql"):
            problem = duplicate_element(child, ident, namespace, first_seen)
            if problem is not None and not (pending | file_codes) & {"E023", "duplicate-statement-id", "*"}:
                problems.append(problem)
        if not ident or database not in _MYSQL_DATABASE_IDS or child.attrs.get("lang", "xml").lower() not in _XML_LANGS:
            pass  # another database's variant (MyBatis picks by databaseId), or a Velocity/FreeMarker script
        elif child.tag in STATEMENT_TAGS:
            inside = frozenset().union(*(parse_suppressions(text)[0] for _i, text in child.comments))
            statements.append(Statement(namespace, ident, child.tag, to_nodes(child.children), path, child.line,
                                        child.column, child.end_line, pending | inside | file_codes,
                                        child.attrs.get("statementType", "").upper() == "CALLABLE",
                                        tuple(_binds(child)), database))
        elif child.tag == "sql":
            key = qualify(ident, namespace)
            if database or key not in fragments:  # a MySQL-specific fragment wins over the generic one
                fragments[key] = Fragment(namespace, to_nodes(child.children), path, child.line)
        pending = frozenset()
    maps = result_maps(root, namespace, path)
    by_line = {c.line: c.attrs.get("resultMap", "").strip() for c in root.children if isinstance(c, _Element)}
    statements = [dataclasses.replace(s, result_map=by_line[s.line], nested=nested_selects(by_line[s.line], maps,
                                                                                            namespace))
                  if s.kind == "select" and by_line.get(s.line) else s for s in statements]
    shared = tuple((f"{namespace}.{ident}", entry) for ident, entry in maps.items()) if namespace else ()
    return MapperFile(path, namespace, tuple(statements), tuple(fragments.items()), tuple(notes + problems), shared)
