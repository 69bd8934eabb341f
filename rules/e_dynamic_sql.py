"""Could-not-analyse findings of the MyBatis/Java/Go extractors; raised by the engine, no check function.

Codes start at E020: E006–E019 are left to the EXPLAIN and baseline stages.
"""

from __future__ import annotations

from sqllint.records import Severity
from sqllint.registry import rule


@rule(code="E020", name="refused-xml", severity=Severity.WARNING, target="source")
def refused_xml() -> None:
    """An XML file declares entities or references external ones; it was refused, not expanded.

    ## Why is this bad?
    Entity declarations are how "billion laughs" files exhaust memory and how external entities read
    local files or reach the network (XXE). sqllint never expands or fetches them, so the SQL in such a
    file is not checked. MyBatis mappers need neither: the usual
    ``<!DOCTYPE mapper PUBLIC "-//mybatis.org//DTD Mapper 3.0//EN" "…mybatis-3-mapper.dtd">`` line is
    accepted (and never fetched). Remove the ``<!ENTITY …>`` declarations.
    """


@rule(code="E021", name="unresolved-mybatis-reference", severity=Severity.WARNING, target="source")
def unresolved_mybatis_reference() -> None:
    """A mapper cannot be put together: an unknown ``<include refid>``, an include cycle, no namespace.

    ## Why is this bad?
    MyBatis fails at start-up (or, for an include, when the statement is first built) on these; sqllint
    cannot know the statement's SQL either, so the statement was not checked. An unqualified ``refid``
    is looked up in the including mapper's namespace, a dotted one as ``namespace.id`` in any mapper
    of the project: check the spelling, or that the other mapper file is part of the checked paths.
    """


@rule(code="E022", name="variant-cap-reached", severity=Severity.INFO, target="source")
def variant_cap_reached() -> None:
    """A dynamic statement has more variants than ``max-variants`` allows; the rest were not checked.

    ## Why is this bad?
    It is a note, not a defect. sqllint checks every-part-off, every-part-on and each optional part on
    its own, in that order, and stops at the cap (default 32) to keep runs fast. Raise
    ``max-variants`` in the config to check them all, or split the statement.
    """
