"""Could-not-analyse findings of the MyBatis/Java/Go extractors; raised by the engine, no check function.

Codes start at E020: E006–E019 are left to the EXPLAIN and baseline stages.
"""

from __future__ import annotations

from sqllint.records import Severity
from sqllint.registry import rule


@rule(code="E020", name="refused-xml", severity=Severity.WARNING, target="source")
def refused_xml() -> None:
    """A mapper XML file declares entities or references external ones; it was refused, not expanded.

    ## Why is this bad?
    Entity declarations are how "billion laughs" files exhaust memory and how external entities read
    local files or reach the network (XXE). sqllint never expands or fetches them, so the SQL in such a
    file is not checked. MyBatis mappers need neither: the usual
    ``<!DOCTYPE mapper PUBLIC "-//mybatis.org//DTD Mapper 3.0//EN" "…mybatis-3-mapper.dtd">`` line is
    accepted (and never fetched). Remove the ``<!ENTITY …>`` declarations. Mappers whose elements
    nest hundreds deep are refused too. XML files that are not mappers (``pom.xml``, ``logback.xml``,
    Spring contexts) are not read for SQL and never reported.
    """


@rule(code="E021", name="unresolved-mybatis-reference", severity=Severity.WARNING, target="source")
def unresolved_mybatis_reference() -> None:
    """A mapper cannot be put together: an unknown ``<include refid>``, an include cycle, no namespace.

    Includes that would expand without bound (fragments including others twice, dozens deep) are
    reported here too, not expanded.

    ## Why is this bad?
    MyBatis fails at start-up (or, for an include, when the statement is first built) on these; sqllint
    cannot know the statement's SQL either, so the statement was not checked (a mapper without a
    namespace is still checked, but nothing can call or include its statements). An unqualified
    ``refid`` is looked up in the including mapper's namespace, a dotted one as ``namespace.id`` in any
    mapper under the project root, also when only some files are checked (pre-commit): check the
    spelling, or that the other mapper is not excluded.
    """


@rule(code="E022", name="variant-cap-reached", severity=Severity.INFO, target="source")
def variant_cap_reached() -> None:
    """Dynamically built SQL has more variants than ``max-variants`` allows; the rest were not checked.

    ## Why is this bad?
    It is a note, not a defect. For a MyBatis statement sqllint checks every optional part absent,
    every part present, then each ``<if>``/``<when>`` on its own, in that order; for SQL built by Python
    code, the same three kinds first, then other combinations. It stops at the cap (default 32) to
    keep runs fast. Raise ``max-variants`` in the config to check more, or split the statement.
    """


@rule(code="E023", name="duplicate-statement-id", severity=Severity.ERROR, target="source")
def duplicate_statement_id() -> None:
    """A mapper defines one statement id (or ``<sql>`` id) twice for the same ``databaseId``.

    ## Why is this bad?
    MyBatis keeps mapped statements in a strict map: the second definition makes it throw at start-up
    ("Mapped Statements collection already contains value for com.x.OrderMapper.byId"), so the
    application does not start. It happens after a copy-pasted statement, a merge, or an
    ``@Select`` on the mapper interface for a method the XML already maps, and in a second XML file
    with the same namespace. Statements with the same id and different ``databaseId`` values are
    MyBatis's way to ship per-database SQL and are not reported. Rename or delete one of the two.
    """


@rule(code="E024", name="parameter-inside-literal", severity=Severity.ERROR, target="source")
def parameter_inside_literal() -> None:
    """A MyBatis ``#{…}`` parameter is written inside a quoted string literal.

    ## Why is this bad?
    MyBatis replaces ``#{name}`` with ``?`` wherever it stands, quotes or not. Inside a literal
    (``LIKE '%#{name}%'``, ``CONCAT('%', '#{name}', '%')``) the JDBC driver sees a question-mark
    character, not a parameter marker, so binding the value fails at run time ("Parameter index out of
    range") and the search never works. Put the parameter outside the quotes:
    ``LIKE CONCAT('%', #{name}, '%')``, or build the pattern with ``<bind>``. (``'%${name}%'`` does
    work, but splices the value into the SQL text: S003.)
    """
