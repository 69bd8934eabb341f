"""Nested selects of a result map: ``<collection property="items" select="…ItemMapper.byOrder">``.

MyBatis runs the nested statement once for every row the outer statement returns (lazily or not):
the N+1 pattern written in XML. The outer statement's scope gets the nested statement's queries as if
run in a loop over its rows, placed on the ``<association>``/``<collection>`` element, so the N+1 rule
reports them there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqllint.extract.mybatis import _Element


@dataclass(frozen=True)
class NestedSelect:
    tag: str  # association | collection
    property: str
    select: str  # qualified statement id
    line: int
    column: int
    path: str = ""  # the mapper file the result map is written in


class _Tree(Protocol):
    tag: str
    attrs: dict[str, str]
    line: int
    column: int
    children: list


def result_maps(root: _Element, namespace: str, path: str = "") -> dict[str, tuple[str, tuple[NestedSelect, ...]]]:
    """resultMap id → (the id it extends, its nested selects at any depth)."""
    out: dict[str, tuple[str, tuple[NestedSelect, ...]]] = {}
    for child in root.children:
        if isinstance(child, str) or child.tag != "resultMap":
            continue
        ident = child.attrs.get("id", "").strip()
        if ident:
            out[ident] = (child.attrs.get("extends", "").strip(), tuple(_nested(child, namespace, path)))
    return out


def _nested(element: _Tree, namespace: str, path: str) -> Iterator[NestedSelect]:
    for child in element.children:
        if isinstance(child, str):
            continue
        select = child.attrs.get("select", "").strip()
        if child.tag in ("association", "collection") and select:
            qualified = select if "." in select or not namespace else f"{namespace}.{select}"
            yield NestedSelect(child.tag, child.attrs.get("property", "").strip(), qualified, child.line, child.column,
                               path)
        else:
            yield from _nested(child, namespace, path)  # nested result maps, <discriminator><case>


def nested_selects(result_map: str, maps: Mapping[str, tuple[str, tuple[NestedSelect, ...]]],
                   namespace: str = "", shared: Mapping[str, tuple[str, tuple[NestedSelect, ...]]] | None = None
                   ) -> tuple[NestedSelect, ...]:
    """The nested selects of a statement's ``resultMap="a,b"``, following ``extends``: same-file maps by
    id, and with ``shared`` (every mapper's maps by ``namespace.id``) another namespace's maps, named
    fully qualified or reached through ``extends``."""
    found: list[NestedSelect] = []
    for name in (n.strip() for n in result_map.split(",") if n.strip()):
        key, seen = _qualified(name, namespace), set()
        while key not in seen:
            seen.add(key)
            entry = maps.get(key.rsplit(".", 1)[-1]) if key.rsplit(".", 1)[0] == namespace or "." not in key else None
            entry = entry or (shared.get(key) if shared is not None else None)
            if entry is None:
                break
            parent, selects = entry
            found.extend(selects)
            if not parent:
                break
            owner = key.rsplit(".", 1)[0] if "." in key else namespace
            key = _qualified(parent, owner)
    return tuple(dict.fromkeys(found))


def _qualified(name: str, namespace: str) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"
