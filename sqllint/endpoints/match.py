"""Which endpoints a selector names: ``"GET /orders"``, ``"/orders/42/summary"`` (a concrete URL matches
the template ``/orders/<int:order_id>/summary`` or ``/orders/{id}/summary``), or a handler's name."""

from __future__ import annotations

import re

from sqllint.endpoints.model import EndpointChain

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})
# <int:id>, <id> (Flask, Django path()), {id}, {id:\d+}, {id:path} (FastAPI, Spring, chi, net/http);
# gin's and echo's :id and *rest are rewritten to these first
_PARAMETER = re.compile(r"<(?:(?P<conv>[a-zA-Z_]+):)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>|\{(?P<brace>[^{}:]+)(?::(?P<regex>(?:[^{}]|\{[^{}]*\})+))?\}")
_CONVERTERS = {"int": r"\d+", "float": r"[0-9.]+", "path": r".+", "uuid": r"[0-9a-fA-F-]+"}


def _normal(path: str) -> str:
    path = "/" + path.strip().lstrip("/")
    return path.rstrip("/") or "/"


def template_regex(route: str, framework: str) -> re.Pattern[str]:
    """A regular expression for the concrete URLs a route template accepts."""
    if framework == "django" and any(c in route for c in "^$()[]\\?+*") and "<" not in route.replace("(?P<", ""):
        body = route.lstrip("/")  # re_path(): the route already is a regex
        return re.compile("^/?" + body.rstrip("/") + "/?$")
    # Spring's ${api.prefix}: a property the map cannot read; it stands for one or more path segments
    route = re.sub(r"\$\{[^{}]*\}", "{property:.+}", route)
    if framework in ("gin", "echo"):  # /orders/:id, /static/*filepath
        route = re.sub(r"\*(\w*)$", lambda m: "{" + (m.group(1) or "rest") + ":path}", re.sub(r":(\w+)", r"{\1}", route))
    elif framework == "net/http":  # Go 1.22: /files/{path...} matches the rest of the path
        route = re.sub(r"\{(\w+)\.\.\.\}", r"{\1:path}", route).replace("{$}", "")  # {$}: exactly this path
    out, last = [], 0
    for match in _PARAMETER.finditer(route):
        out.append(re.escape(route[last : match.start()]))
        if match.group("brace"):
            regex = match.group("regex")  # a Starlette converter ({id:int}) or a Spring regex ({id:\\d+})
            out.append(_CONVERTERS.get(regex or "", f"(?:{regex})" if regex and regex != "str" else "[^/]+"))
        else:
            out.append(_CONVERTERS.get(match.group("conv") or "", "[^/]+"))
        last = match.end()
    out.append(re.escape(route[last:]))
    pattern = "".join(out).rstrip("/")
    return re.compile("^" + (pattern if pattern.startswith("/") else "/" + pattern) + "/?$")


def parse_selector(selector: str) -> tuple[str | None, str]:
    words = selector.split(None, 1)
    if len(words) == 2 and words[0].upper() in METHODS:
        return words[0].upper(), words[1].strip()
    return None, selector.strip()


def _method_ok(chain: EndpointChain, method: str | None) -> bool:
    methods = chain.endpoint.methods
    return method is None or method in methods or "ANY" in methods or method == "ANY"


def select_endpoints(chains: list[EndpointChain], selector: str) -> list[EndpointChain]:
    method, target = parse_selector(selector)
    if target.startswith("/") or not target:
        exact = [c for c in chains if _normal(c.endpoint.route) == _normal(target) and _method_ok(c, method)]
        if exact:
            return exact
        url = _normal(target.split("?", 1)[0])
        return [c for c in chains if _method_ok(c, method)
                and template_regex(c.endpoint.route, c.endpoint.framework).match(url)]
    # a handler: "list_orders", "OrderController.list", "shop/app.py:list_orders"
    found = []
    for chain in chains:
        handler = chain.endpoint.handler
        if handler is None or not _method_ok(chain, method):
            continue
        if target in (handler.qualname, str(handler)) or handler.qualname.endswith("." + target):
            found.append(chain)
    return found
