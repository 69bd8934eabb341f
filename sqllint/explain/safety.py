"""What sqllint may send to a staging server, and how a user statement becomes something safe to send.

The rule a staging DB owner can check in the general log: sqllint sends only

- ``EXPLAIN [FORMAT=JSON] <SELECT …>`` (``ANALYZE``/``EXPLAIN ANALYZE`` of a SELECT only with ``--analyze``),
- ``SET …`` (session settings) and ``SHOW …``,
- ``SELECT …`` whose every table is in ``information_schema``.

``guard`` enforces this on every statement just before it is sent, independently of how the statement
was built, so a bug elsewhere cannot turn into a write. UPDATE and DELETE are never explained as such:
on MariaDB ``EXPLAIN UPDATE`` fails in a read-only transaction (1792) and for a SELECT-only account
(1142), so ``as_select`` rewrites them into a SELECT over the same tables, predicates, order and limit.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

_COMMENTS = re.compile(r"^(?:\s+|/\*.*?\*/|(?:--\s|#)[^\n]*\n?)*", re.DOTALL)
_EXPLAIN = re.compile(r"^EXPLAIN(?:\s+FORMAT\s*=\s*(?:JSON|TRADITIONAL))?\s+(?=[(\s]*(?:SELECT|WITH)\b)",
                      re.IGNORECASE)
_ANALYZE = re.compile(r"^(?:EXPLAIN\s+ANALYZE|ANALYZE(?:\s+FORMAT\s*=\s*JSON)?)\s+(?=[(\s]*(?:SELECT|WITH)\b)",
                      re.IGNORECASE)
_SHOW = re.compile(r"^SHOW\s", re.IGNORECASE)
# The only SETs sqllint sends: its session settings (a whitelist, not a list of bad forms: a SET can carry
# several assignments, ``SET SESSION a = 1, GLOBAL b = 2``, and MariaDB's ``SET STATEMENT … FOR <stmt>``
# wraps any statement).
_SET = re.compile(r"^SET\s+SESSION\s+(?:TRANSACTION\s+READ\s+ONLY|max_statement_time\s*=\s*[\d.]+|"
                  r"max_execution_time\s*=\s*\d+)\s*;?\s*$", re.IGNORECASE)
_INFO_SELECT = re.compile(r"^SELECT\s", re.IGNORECASE)
# Every table source: after FROM or any JOIN (STRAIGHT_JOIN included), and each item of a FROM list.
_TABLE_REF = re.compile(r"(?:\b(?:FROM|JOIN)|STRAIGHT_JOIN)\s+([`\w.]+)", re.IGNORECASE)
_TABLE_LIST = re.compile(r"\bFROM\s+(.*?)(?:\bWHERE\b|\bGROUP\b|\bORDER\b|\bLIMIT\b|\bHAVING\b|\)|$)",
                         re.IGNORECASE | re.DOTALL)
# Words that would make a "SELECT" write, lock, wait or read files: refused wherever they appear outside
# quotes. UPDATE and DELETE are reserved words (as names they must be quoted, and quotes are blanked
# first); INSERT and REPLACE are also string functions, so only their statement forms count.
_WRITE_WORDS = re.compile(
    r"\b(?:INSERT\b(?!\s*\()|UPDATE\b|DELETE\b|REPLACE\b(?!\s*\()|"
    r"(?:CREATE|ALTER|DROP|TRUNCATE|RENAME|GRANT|REVOKE)\s+(?:TABLE|INDEX|DATABASE|SCHEMA|VIEW|USER|ON|ALL)|"
    r"LOAD\s+DATA|INTO\s+(?:OUT|DUMP)FILE|FOR\s+SHARE|LOCK\s+IN\s+SHARE\s+MODE|NEXT\s+VALUE\s+FOR|"
    r"(?:SLEEP|BENCHMARK|GET_LOCK|RELEASE_LOCK|RELEASE_ALL_LOCKS|LOAD_FILE|MASTER_POS_WAIT|SOURCE_POS_WAIT|"
    r"MASTER_GTID_WAIT|WAIT_FOR_EXECUTED_GTID_SET|WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS|NEXTVAL|SETVAL)\s*\()",
    re.IGNORECASE,
)
# Every pattern above starts with one of these words: a statement without any of them (most EXPLAINs)
# is cleared by one word scan instead of the ~30-way search at every word boundary (~12 us a statement).
_TRIGGERS = frozenset({
    "INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "ALTER", "DROP", "TRUNCATE", "RENAME", "GRANT", "REVOKE",
    "LOAD", "INTO", "FOR", "LOCK", "NEXT", "SLEEP", "BENCHMARK", "GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS",
    "LOAD_FILE", "MASTER_POS_WAIT", "SOURCE_POS_WAIT", "MASTER_GTID_WAIT", "WAIT_FOR_EXECUTED_GTID_SET",
    "WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS", "NEXTVAL", "SETVAL"})
_WORD = re.compile(r"[A-Za-z_]+")  # a superset of the words \b sees: the scan never clears what the search would catch
# The same words of an ASCII text in one pass of C: every byte outside [A-Za-z_] becomes a space, then split
# (the regex scan and a str.upper per word were most of the guard's time).
_NOT_WORD = bytes(b if chr(b).isascii() and (chr(b).isalpha() or b == ord("_")) else 32 for b in range(256))
_TRIGGER_BYTES = frozenset(word.encode() for word in _TRIGGERS)


def _writes(bare: str) -> bool:
    if bare.isascii():
        if _TRIGGER_BYTES.isdisjoint(bare.encode().translate(_NOT_WORD).upper().split()):
            return False
    elif _TRIGGERS.isdisjoint(map(str.upper, _WORD.findall(bare))):
        return False
    return _WRITE_WORDS.search(bare) is not None


# Quoted strings and comments, in one left-to-right scan as the server lexes them: a quote inside a
# comment starts no string (``-- it's`` must not hide what follows the comment), and a comment marker
# inside a string starts no comment. Executable comments (``/*! … */``, MariaDB's ``/*M! … */``) are
# code to the server, so they are not blanked. With ``NO_BACKSLASH_ESCAPES`` a backslash escapes
# nothing; a text with a backslash is checked under both readings (``_bare``).
def _lexer(escapes: bool) -> re.Pattern[str]:
    """Strings (a backslash escaping the next character, or nothing) and comments, leftmost first."""
    inside = r"(?:[^{q}\\]|\\.|{q}{q})*" if escapes else r"(?:[^{q}]|{q}{q})*"
    single, double = "'" + inside.format(q="'") + "'", '"' + inside.format(q='"') + '"'
    identifiers_and_comments = r"`[^`]*`|/\*(?![!M])(?:(?!\*/).)*\*/|--(?:\s[^\n]*|$)|#[^\n]*"
    return re.compile(f"{single}|{double}|{identifiers_and_comments}", re.DOTALL)


_QUOTED = _lexer(escapes=True)
_QUOTED_NO_ESCAPES = _lexer(escapes=False)


_FROM = "from_" if "from_" in exp.Select.arg_types else "from"  # renamed in sqlglot 28


class UnsafeStatement(RuntimeError):
    """Raised instead of sending a statement that is not one of the allowed kinds."""


def _blank(match: re.Match[str]) -> str:
    return "''" if match.group()[0] in "'\"`" else " "


def _unquoted(sql: str) -> str:
    return _QUOTED.sub(_blank, sql)


def _bare(text: str) -> str:
    """``text`` with literals as ``''`` and comments as spaces. With a backslash in it, both readings (with
    and without backslash escapes) joined, so what either would let through is seen."""
    bare = _unquoted(text)
    if "\\" not in text:
        return bare
    other = _QUOTED_NO_ESCAPES.sub(_blank, text)
    if other == bare:
        return bare
    return bare.rstrip().rstrip(";") + " " + other.rstrip().rstrip(";")


def statement_kind(sql: str, analyze: bool = False) -> str | None:
    """``explain``, ``analyze``, ``session`` or ``information_schema`` when ``sql`` may be sent, else None."""
    # Text that starts with a letter has no leading comment to strip (the usual case: skip the pattern).
    text = (sql if sql[:1].isalpha() else _COMMENTS.sub("", sql, count=1)).strip()
    bare = _bare(text)
    if ";" in bare.rstrip().rstrip(";"):
        return None  # one statement per call: nothing can ride along after a semicolon
    # The patterns below are anchored on different first words: the order only puts the common case first.
    if _EXPLAIN.match(bare):
        return "explain" if not _writes(bare) else None
    if _SET.match(bare):
        return "session"
    if _SHOW.match(bare):  # SHOW only reads (variables, status, warnings)
        return "session" if not _writes(bare) else None
    if _ANALYZE.match(bare):
        return "analyze" if analyze and not _writes(bare) else None
    if _INFO_SELECT.match(bare) and not _writes(bare):
        tables = [t.replace("`", "").lower() for t in _TABLE_REF.findall(bare)]
        # Comma joins: every item of a FROM list, not only the first, must be in information_schema.
        for listed in _TABLE_LIST.findall(bare):
            tables += [item.split()[0].replace("`", "").lower() for item in listed.split(",") if item.split()]
        tables = [t for t in tables if not t.startswith("(")]
        if tables and all(t.startswith("information_schema.") for t in tables):
            return "information_schema"
    return None


_CLOSED_QUOTE = re.compile(r"""'[^']*'|"[^"]*"|`[^`]*`""")
_UNBATCHABLE = ("'", '"', "`", "--", "#", "/*")


def batchable(sql: str) -> bool:
    """Whether ``sql`` may share a multi-statement packet with other statements (``Session.query_many``):
    the server can then only split the packet at the semicolons sqllint put between statements, whatever
    its sql_mode, so one statement can never swallow or become part of another. That holds for a text
    with no semicolon, no backslash (``NO_BACKSLASH_ESCAPES`` moves where a quoted string ends), no comment
    (``--`` needs a following space on MySQL; ``/*!`` is code) and every quote closed. Anything else is
    sent on its own, on a connection that takes one statement per packet."""
    if ";" in sql or "\\" in sql:
        return False
    bare = _CLOSED_QUOTE.sub("", sql) if ("'" in sql or '"' in sql or "`" in sql) else sql
    return not any(mark in bare for mark in _UNBATCHABLE)


def guard(sql: str, analyze: bool = False) -> str:
    """Return ``sql`` unchanged if it is allowed, else raise ``UnsafeStatement``."""
    if statement_kind(sql, analyze) is None:
        raise UnsafeStatement("not sent to the staging database: sqllint only sends EXPLAIN of a read-only "
                              "SELECT, SET, SHOW and information_schema reads, and this statement is none of them "
                              f"({' '.join(sql.split())[:120]})")
    return sql


@dataclass(frozen=True)
class Explainable:
    """The SELECT that stands for a user statement, and how it was obtained."""

    tree: exp.Expression
    rewritten_from: str | None = None  # "update", "delete", "insert" when the statement was rewritten


def explain_kind(tree: exp.Expression) -> tuple[bool, str | None]:
    """Cheaply, without building anything: (whether ``as_select`` gives something to explain, which
    statement kind it rewrites). Lets a run answered from the plan cache skip the rewrite."""
    if isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except)):
        return True, None
    if isinstance(tree, exp.Subquery):
        return explain_kind(tree.this)
    if isinstance(tree, exp.Insert):
        return isinstance(tree.expression, (exp.Select, exp.Union)), "insert"
    if isinstance(tree, (exp.Update, exp.Delete)):
        target = tree.args.get("using") if isinstance(tree, exp.Delete) and tree.args.get("using") else [tree.this]
        first = target[0] if isinstance(target, list) else target
        return isinstance(first, exp.Table), "update" if isinstance(tree, exp.Update) else "delete"
    return False, None


def _readonly(tree: exp.Expression, find: Callable[..., list[exp.Expression]] | None = None) -> exp.Expression:
    """``tree`` without what would make its EXPLAIN look like a write (``FOR UPDATE``, ``INTO @var``):
    neither changes the plan, and the guard refuses both."""
    if find is not None and not find(exp.Lock, exp.Into):
        return tree  # none in the statement, so none in what was taken from it: no walk of the tree
    if tree.find(exp.Lock, exp.Into) is None:
        return tree
    tree = tree.copy()
    for node in list(tree.walk()):
        if isinstance(node, (exp.Lock, exp.Into)):
            node.pop()
    return tree


def as_select(tree: exp.Expression, find: Callable[..., list[exp.Expression]] | None = None) -> Explainable | None:
    """A SELECT that reads what ``tree`` reads, or None when there is nothing to explain (INSERT … VALUES).
    ``find``: the statement's node index (``ParsedQuery.find``, exact types) when ``tree`` is its tree."""
    explainable = _as_select(tree)
    return Explainable(_readonly(explainable.tree, find), explainable.rewritten_from) if explainable else None


def _as_select(tree: exp.Expression) -> Explainable | None:
    if isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except)):
        return Explainable(tree)
    if isinstance(tree, exp.Subquery):
        return _as_select(tree.this)
    if isinstance(tree, exp.Insert):
        source = tree.expression
        if isinstance(source, (exp.Select, exp.Union)):
            return Explainable(source.copy(), "insert")
        return None
    if isinstance(tree, (exp.Update, exp.Delete)):
        kind = "update" if isinstance(tree, exp.Update) else "delete"
        target = tree.args.get("using") or [tree.this]
        if isinstance(tree, exp.Delete) and tree.args.get("using"):
            target = tree.args["using"]
        first = target[0] if isinstance(target, list) else target
        if not isinstance(first, exp.Table):
            return None
        source = first.copy()
        joins = source.args.pop("joins", None) or []
        select = exp.Select(expressions=[exp.Star()])
        select.set(_FROM, exp.From(this=source))  # not .from_(): it re-parses its argument
        for join in joins:
            select.append("joins", join)
        for extra in target[1:] if isinstance(target, list) else []:
            select.append("joins", exp.Join(this=extra.copy()))
        from_clause = tree.args.get("from") or tree.args.get("from_")
        if from_clause is not None:  # UPDATE … FROM (not MySQL, but harmless)
            select.append("joins", exp.Join(this=from_clause.this.copy()))
        for arg in ("where", "order", "limit"):
            if tree.args.get(arg) is not None:
                select.set(arg, tree.args[arg].copy())
        return Explainable(select, kind)
    return None


_MODIFIERS = frozenset({"LOW_PRIORITY", "QUICK", "IGNORE"})


def _atomic_repeat(alternatives: str, possessive: bool = sys.version_info >= (3, 11)) -> str:
    """``(?:alternatives)*`` where no repetition is ever re-split: possessive on Python 3.11+, and the
    lookahead-and-backreference equivalent before (3.10 has no possessive quantifiers)."""
    if possessive:
        return f"(?:{alternatives})*+"
    return f"(?:(?=({alternatives}))\\1)*"


def select_text(text: str, kind: str | None) -> str | None:
    """The SELECT that ``as_select`` builds for a plain UPDATE or DELETE, cut from the statement's own text
    instead of generated from a copy of its tree (the copy and the generation were most of the cost of
    explaining a write): ``UPDATE t [AS a] SET … WHERE …`` → ``SELECT * FROM t [AS a] WHERE …``,
    ``DELETE [t] FROM … WHERE …`` → ``SELECT * FROM … WHERE …``. None for any other shape (a multi-table
    UPDATE, DELETE … USING, comments, a statement that does not tokenize): the tree is used then."""
    if kind not in ("update", "delete") or "--" in text or "/*" in text or "#" in text or ";" in text:
        return None
    cut = _simple_cut(text, kind)
    return cut if cut is not None else _token_cut(text, kind)


# ``select_text`` for the plain writes applications mostly send, by regular expressions instead of sqlglot's
# tokenizer (~35 us a write). Only for a text of plain words, numbers, operators and quote-free literals,
# whose tokens are beyond doubt; anything else (and every case where the answer would be None) is left to
# ``_token_cut``, which decides as before. tests/test_safety.py checks both agree on random writes.
# Atomic: each token is told by its first character, so nothing is worth backtracking into (and a failed
# match backtracking into a long word would split it every possible way).
_SIMPLE_TEXT = re.compile(_atomic_repeat(
    r"""'[^'"\\]*'|"[^'"\\]*"|`\w*`|[A-Za-z_]\w*|\d+(?:\.\d+)?(?![\w.])|[ \t\r\n.,=<>!+\-*/%()]"""))
_PLAIN_NAME = r"(?!(?:SET|JOIN|STRAIGHT_JOIN|WHERE|ORDER|LIMIT|USING|FROM|AS|LOW_PRIORITY|QUICK|IGNORE)\b)[A-Za-z_]\w*"
_SIMPLE_UPDATE = re.compile(rf"UPDATE\s+(?:(?:LOW_PRIORITY|QUICK|IGNORE)\s+)*"
                            rf"({_PLAIN_NAME}(?:\.{_PLAIN_NAME})?(?:\s+(?:AS\s+)?{_PLAIN_NAME})?)\s+SET\s", re.IGNORECASE)
_SIMPLE_DELETE = re.compile(r"DELETE\s+(?:(?:LOW_PRIORITY|QUICK|IGNORE)\s+)*(?=FROM\s)", re.IGNORECASE)
_CLAUSE = re.compile(r"""'[^']*'|"[^"]*"|`[^`]*`|([()])|\b(WHERE|ORDER|LIMIT|USING)\b""")  # on upper-cased text
_ORDER_BY = re.compile(r"ORDER\s+BY\b")


def _simple_cut(text: str, kind: str) -> str | None:
    """The cut of a plain single-table write, or None when ``_token_cut`` must decide."""
    if not text.isascii() or _SIMPLE_TEXT.fullmatch(text) is None:
        return None
    upper = text.upper()
    if kind == "delete":
        head = _SIMPLE_DELETE.match(text)
        if head is None or "USING" in upper:  # a USING word anywhere: leave it to the tokenizer
            return None
        return "SELECT * " + text[head.end():].strip()
    update = _SIMPLE_UPDATE.match(text)
    if update is None:
        return None
    depth, tail = 0, None
    for match in _CLAUSE.finditer(upper, update.end()):
        paren, word = match.groups()
        if paren:
            depth += 1 if paren == "(" else -1
        elif word == "USING" or (word == "ORDER" and not _ORDER_BY.match(upper, match.start())):
            return None
        elif word and depth == 0 and tail is None:
            tail = match.start()
    rest = text[tail:].strip() if tail is not None else ""
    return f"SELECT * FROM {update.group(1)} {rest}".strip()


def _token_cut(text: str, kind: str) -> str | None:
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.tokens import TokenType

    try:
        tokens = Dialect.get_or_raise("mysql").tokenize(text)  # sqlglot caches the dialect, not a tokenizer
    except Exception:  # noqa: BLE001 - the tree path handles whatever this cannot
        return None
    depth = 0
    top: list[tuple[int, object]] = []  # (index, token) at depth 0
    for index, token in enumerate(tokens):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 0:
            top.append((index, token))
    if not tokens or tokens[0].token_type != (TokenType.UPDATE if kind == "update" else TokenType.DELETE):
        return None
    types = [t.token_type for _, t in top]  # type: ignore[attr-defined]
    if TokenType.USING in types:
        return None
    tail = next((t for _, t in top if t.token_type in (TokenType.WHERE, TokenType.ORDER_BY,  # type: ignore[attr-defined]
                                                       TokenType.LIMIT)), None)
    if kind == "delete":
        head = next((i for i, (_, t) in enumerate(top) if t.token_type == TokenType.FROM), None)  # type: ignore[attr-defined]
        if head is None or any(t.text.upper() not in _MODIFIERS for _, t in top[1:head]):  # type: ignore[attr-defined]
            return None
        return "SELECT * " + text[top[head][1].start:].strip()  # type: ignore[attr-defined]
    set_at = next((i for i, (_, t) in enumerate(top) if t.token_type == TokenType.SET), None)  # type: ignore[attr-defined]
    if set_at is None:
        return None
    target = [t for _, t in top[1:set_at]]
    while target and target[0].text.upper() in _MODIFIERS:  # type: ignore[attr-defined]
        target.pop(0)
    if not target or any(t.token_type in (TokenType.COMMA, TokenType.JOIN) for t in target):  # type: ignore[attr-defined]
        return None  # a multi-table UPDATE
    table = text[target[0].start : target[-1].end + 1]  # type: ignore[attr-defined]
    rest = text[tail.start:].strip() if tail is not None else ""  # type: ignore[attr-defined]
    return f"SELECT * FROM {table} {rest}".strip()
