"""Which endpoints a selector names: ``"GET /orders"``, ``"/orders/42/summary"`` (a concrete URL matches
the template ``/orders/<int:order_id>/summary`` or ``/orders/{id}/summary``), a template in another
framework's spelling (``/orders/:id``, ``/orders/{id}``, ``/orders/<id>``), a URL as a browser or an
access log shows it (``http://host/api/orders?page=2``, ``"GET /api/orders HTTP/1.1"``), or a handler's name.

A path is matched against the full route first, then against the route without its prefix
(``Endpoint.prefix``: Spring's context path, a blueprint's, router's, include()'s or group's prefix), where
a concrete URL only matches a template starting with a literal segment; at each step an exact match beats a
template in another spelling, which beats a concrete URL (where the template with the most literal text wins)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

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


# a path parameter in any framework's spelling: <int:id>, {id}, {id:\d+}, :id, *rest, ${property}
_ANY_PARAMETER = re.compile(r"<[^<>/]*>|\$?\{(?:[^{}]|\{[^{}]*\})*\}|(?<=/):[A-Za-z_]\w*|(?<=/)\*\w*$")
_HTTP_VERSION = re.compile(r"\s+HTTP/[\d.]+$", re.IGNORECASE)


def parse_selector(selector: str) -> tuple[str | None, str]:
    """(method or None, path or handler name); a method in any case, quotes and ``HTTP/1.1`` of an
    access-log line, a URL's scheme, host, query and fragment are dropped."""
    words = selector.strip().strip("\"'").split(None, 1)
    method = None
    if len(words) == 2 and words[0].upper() in METHODS:
        method, target = words[0].upper(), words[1].strip()
    else:
        target = selector.strip().strip("\"'")
    target = _HTTP_VERSION.sub("", target)
    url = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*(?P<path>[^?#]*)", target)
    if url is not None:
        target = url.group("path") or "/"
    if target.startswith("/"):
        target = re.split(r"[?#]", target, maxsplit=1)[0]
    return method, target


def _method_ok(chain: EndpointChain, method: str | None) -> bool:
    methods = chain.endpoint.methods
    return method is None or method in methods or "ANY" in methods or method == "ANY"


def _is_regex_route(chain: EndpointChain) -> bool:
    route = chain.endpoint.route
    return chain.endpoint.framework == "django" and any(c in route for c in "^$()[]\\?+*") \
        and "<" not in route.replace("(?P<", "")


def shape(path: str) -> str:
    """The path with every parameter, in whichever spelling, as ``{}``: ``/orders/<int:id>`` and
    ``/orders/:id`` are both ``/orders/{}``."""
    return _normal(_ANY_PARAMETER.sub("{}", path))


def _literal_start(route: str) -> bool:
    first = route.strip("/").split("/", 1)[0]
    return bool(first) and not _ANY_PARAMETER.search("/" + first) and "${" not in first


def _literal_length(route: str) -> int:
    return len(_ANY_PARAMETER.sub("", route))


def _unprefixed(chain: EndpointChain) -> str | None:
    """The route without its prefix; None without one, or when nothing but ``/`` would be left (every
    router's index would be one path then)."""
    endpoint = chain.endpoint
    if not endpoint.prefix or not endpoint.route.startswith(endpoint.prefix):
        return None
    rest = endpoint.route[len(endpoint.prefix):]
    return rest if rest.strip("/") else None


def _path_matches(chains: list[EndpointChain], target: str, route_of: Callable[[EndpointChain], str | None],
                  concrete: Callable[[str], bool] = lambda route: True) -> list[EndpointChain]:
    """Exact, then the same template in another spelling, then the most specific templates accepting
    ``target`` as a concrete URL (among the routes ``concrete`` allows)."""
    routes = [(c, r) for c in chains if (r := route_of(c)) is not None]
    exact = [c for c, route in routes if _normal(route) == _normal(target)]
    if exact:
        return exact
    if _ANY_PARAMETER.search(target):
        spelled = [c for c, route in routes if not _is_regex_route(c) and shape(route) == shape(target)]
        if spelled:
            return spelled
    url = _normal(target)
    accepting = [(c, route) for c, route in routes
                 if concrete(route) and template_regex(route, c.endpoint.framework).match(url)]
    if not accepting:
        return []
    best = max(_literal_length(route) for _, route in accepting)
    return [c for c, route in accepting if _literal_length(route) == best]


def select_endpoints(chains: list[EndpointChain], selector: str) -> list[EndpointChain]:
    method, target = parse_selector(selector)
    if target.startswith("/") or not target:
        allowed = [c for c in chains if _method_ok(c, method)]
        # without the prefix, a concrete URL only for a template starting with a literal segment:
        # /{id} of /users/{id} would take any one-segment path
        return (_path_matches(allowed, target or "/", lambda c: c.endpoint.route)
                or _path_matches(allowed, target or "/", _unprefixed, _literal_start)
                or _behind_a_proxy(allowed, target))
    # a handler: "list_orders", "OrderController.list", "shop/app.py:list_orders"
    found = []
    for chain in chains:
        handler = chain.endpoint.handler
        if handler is None or not _method_ok(chain, method):
            continue
        if target in (handler.qualname, str(handler)) or handler.qualname.endswith("." + target):
            found.append(chain)
    return found


_PROXY_SEGMENTS = 3  # /api, /api/v1, /shop-service/api: what a gateway, ingress or root_path puts in front


def _behind_a_proxy(chains: list[EndpointChain], target: str) -> list[EndpointChain]:
    """A URL as the browser or the access log shows it, with a prefix the application never sees (a
    reverse proxy's location, a gateway route, FastAPI's ``root_path``, Django's ``FORCE_SCRIPT_NAME``):
    the longest tail of it that names a route starting with a literal segment."""
    segments = [s for s in target.split("/") if s]
    for cut in range(1, min(_PROXY_SEGMENTS, len(segments) - 1) + 1):
        tail = "/" + "/".join(segments[cut:])
        found = (_path_matches(chains, tail, lambda c: c.endpoint.route, _literal_start)
                 or _path_matches(chains, tail, _unprefixed, _literal_start))
        if found and all(_literal_start(c.endpoint.route) for c in found):
            return found
    return []


def closest(chains: list[EndpointChain], selector: str, count: int = 8) -> list[EndpointChain]:
    """The endpoints most like a selector that matched none: paths by their shape (with and without the
    configured prefix), a handler by its name; the method breaks ties."""
    method, target = parse_selector(selector)
    # a concrete URL's ids (/orders/42, a UUID) compare as the parameters they fill
    concrete = re.sub(r"(?<=/)(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27})(?=/|$)", "{}", target)
    wanted = shape(concrete) if target.startswith("/") else target.lower()

    def score(chain: EndpointChain) -> float:
        endpoint = chain.endpoint
        if target.startswith("/"):
            shapes = [shape(endpoint.route)] + ([shape(r)] if (r := _unprefixed(chain)) else [])
        else:
            shapes = [endpoint.handler.qualname.lower()] if endpoint.handler else []
        similar = max((difflib.SequenceMatcher(None, wanted, s).ratio() for s in shapes), default=0.0)
        return similar + (0.05 if _method_ok(chain, method) else 0.0)

    return sorted(chains, key=lambda c: (-score(c), c.endpoint.route))[:count]
