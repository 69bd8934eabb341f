"""The paths a developer types: the endpoint map's routes carry the prefixes frameworks add outside the
route decorators (Spring Boot's context path and servlet path from application.*, blueprint, router,
include() and group prefixes), and ``--endpoint`` accepts a path with or without the configured prefix,
in any spelling of its parameters, as a concrete URL, with a trailing slash or a lower-case method."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sqllint.cli import main
from sqllint.config import Config
from sqllint.endpoints.build import EndpointMap, build_map
from sqllint.endpoints.match import parse_selector, shape
from sqllint.endpoints.springconfig import properties_settings, yaml_settings


def build(root: Path, files: dict[str, str]) -> EndpointMap:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    previous = os.getcwd()
    os.chdir(root)
    try:
        return build_map(["."], Config(root=root), root, jobs=1)
    finally:
        os.chdir(previous)


def labels(emap: EndpointMap) -> set[str]:
    return {c.endpoint.label for c in emap.chains}


def selected(emap: EndpointMap, selector: str) -> list[str]:
    return sorted(c.endpoint.label for c in emap.select(selector))


def run_cli(root: Path, *args: str) -> Result:
    previous = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(previous)


CONTROLLER = """package com.acme.{module};

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/orders")
public class OrderController {{
    private final JdbcTemplate jdbc;

    public OrderController(JdbcTemplate jdbc) {{ this.jdbc = jdbc; }}

    @GetMapping
    public Object list() {{ return jdbc.queryForList("SELECT id FROM orders"); }}

    @GetMapping("/recent")
    public Object recent() {{ return jdbc.queryForList("SELECT id FROM orders ORDER BY id DESC LIMIT 10"); }}

    @GetMapping("/{{id}}")
    public Object get(@PathVariable long id) {{ return jdbc.queryForList("SELECT * FROM orders WHERE id = ?", id); }}
}}
"""


def spring(config: dict[str, str], module: str = "") -> dict[str, str]:
    """A Spring Boot (module) with OrderController and the given files under src/main/resources."""
    base = f"{module}/" if module else ""
    files = {f"{base}src/main/java/com/acme/{module or 'shop'}/OrderController.java":
             CONTROLLER.format(module=module or "shop")}
    files.update({f"{base}src/main/resources/{name}": text for name, text in config.items()})
    return files


# --- Spring Boot: the configured prefix ------------------------------------------------------------------

def test_spring_context_path_from_nested_yaml_prefixes_every_route(tmp_path: Path) -> None:
    emap = build(tmp_path, spring({"application.yml": "server:\n  port: 8081\n  servlet:\n"
                                                      "    context-path: /api   # behind the gateway\n"}))
    assert labels(emap) == {"GET /api/orders", "GET /api/orders/recent", "GET /api/orders/{id}"}
    chain = emap.select("GET /api/orders")[0]
    assert chain.endpoint.prefix == "/api"
    assert chain.endpoint.prefix_from == "server.servlet.context-path '/api' (src/main/resources/application.yml:4)"
    [note] = [n for n in emap.notes if "context-path" in n.message]
    assert (note.path, note.line) == ("src/main/resources/application.yml", 4)
    assert "the 3 endpoints of the application are listed under /api" in note.message


def test_spring_properties_relaxed_names_and_servlet_path(tmp_path: Path) -> None:
    emap = build(tmp_path, spring({"application.properties": "# the gateway strips nothing\n"
                                                             "server.servlet.contextPath = /shop/\n"
                                                             "spring.mvc.servlet.path: /rest\n"}))
    assert labels(emap) == {"GET /shop/rest/orders", "GET /shop/rest/orders/recent", "GET /shop/rest/orders/{id}"}


def test_spring_boot_1_keys_and_no_double_prefix_half_way_through_an_upgrade(tmp_path: Path) -> None:
    old = build(tmp_path / "a", spring({"application.properties": "server.context-path=/legacy\n"
                                                                  "server.servlet-path=/svc\n"}))
    assert "GET /legacy/svc/orders" in labels(old)
    both = build(tmp_path / "b", spring({"application.yml": "server:\n  context-path: /old\n"
                                                            "  servlet:\n    context-path: /new\n"}))
    assert "GET /new/orders" in labels(both)


def test_spring_dotted_yaml_keys_and_properties_beat_yaml_in_one_folder(tmp_path: Path) -> None:
    dotted = build(tmp_path / "a", spring({"application.yaml": "server.servlet.context-path: '/api'\n"}))
    assert "GET /api/orders" in labels(dotted)
    both = build(tmp_path / "b", spring({"application.yml": "server:\n  servlet:\n    context-path: /yml\n",
                                         "application.properties": "server.servlet.context-path=/props\n"}))
    assert "GET /props/orders" in labels(both)


def test_spring_profiles_apply_only_when_they_are_the_one_value(tmp_path: Path) -> None:
    # the default file's value wins over a profile's
    default = build(tmp_path / "default", spring({"application.yml": "server.servlet.context-path: /api\n",
                                                  "application-dev.yml": "server.servlet.context-path: /dev\n"}))
    assert "GET /api/orders" in labels(default)
    # no default value, one profile sets it: that one
    single = build(tmp_path / "single", spring({"application.yml": "spring:\n  application:\n    name: shop\n",
                                                "application-prod.properties": "server.servlet.context-path=/p\n"}))
    assert "GET /p/orders" in labels(single)
    assert single.chains[0].endpoint.prefix_from.endswith("application-prod.properties:1, profile prod)")
    # profiles that disagree and no default: listed without a prefix, and the map says why
    split = build(tmp_path / "split", spring({"application-dev.yml": "server.servlet.context-path: /dev\n",
                                              "application-prod.yml": "server.servlet.context-path: /prod\n"}))
    assert "GET /orders" in labels(split)
    [note] = [n for n in split.notes if "differs by profile" in n.message]
    assert "dev: '/dev'" in note.message and "prod: '/prod'" in note.message
    # spring.profiles.active of the default file selects the profile, whose value then applies
    active = build(tmp_path / "active", spring({
        "application.yml": "server:\n  servlet:\n    context-path: /api\nspring:\n  profiles:\n    active: prod\n"
                           "---\nspring:\n  config:\n    activate:\n      on-profile: prod\n"
                           "server.servlet.context-path: /prod-api\n"}))
    assert "GET /prod-api/orders" in labels(active)
    placeholder = build(tmp_path / "placeholder", spring({
        "application.properties": "spring.profiles.active=${SPRING_PROFILES_ACTIVE:prod}\n",
        "application-prod.properties": "server.servlet.context-path=/p\n",
        "application-dev.properties": "server.servlet.context-path=/d\n"}))
    assert "GET /p/orders" in labels(placeholder)


def test_spring_placeholders(tmp_path: Path) -> None:
    defaulted = build(tmp_path / "a", spring({"application.yml": "server:\n  servlet:\n"
                                                                 "    context-path: ${CONTEXT_PATH:/api}\n"}))
    assert "GET /api/orders" in labels(defaulted)
    deployed = build(tmp_path / "b", spring({"application.yml": "server:\n  servlet:\n"
                                                                "    context-path: ${CONTEXT_PATH}\n"}))
    assert "GET /orders" in labels(deployed)
    assert any("${CONTEXT_PATH} is set at deployment" in n.message for n in deployed.notes)


def test_multi_module_build_each_module_its_own_context_path(tmp_path: Path) -> None:
    files = {"pom.xml": "<project><modules><module>orders</module><module>billing</module></modules></project>\n",
             **spring({"application.yml": "server:\n  servlet:\n    context-path: /orders-api\n"}, "orders"),
             **spring({"application.properties": "server.servlet.context-path=/billing\n"}, "billing"),
             **spring({"application.properties": "server.port=8083\n"}, "legacy")}
    emap = build(tmp_path, files)
    assert {"GET /orders-api/orders", "GET /billing/orders", "GET /orders"} <= labels(emap)
    by_label = {c.endpoint.label: c for c in emap.chains}
    billing = by_label["GET /billing/orders"].endpoint
    assert billing.path == "billing/src/main/java/com/acme/billing/OrderController.java"
    assert by_label["GET /orders-api/orders/{id}"].endpoint.path.startswith("orders/")
    notes = [n.message for n in emap.notes if "listed under" in n.message]
    assert any("the 3 endpoints of module billing are listed under /billing" in n for n in notes)
    # the full path wins; without the prefix, the one module without a prefix answers exactly
    assert selected(emap, "GET /billing/orders") == ["GET /billing/orders"]
    assert selected(emap, "GET /orders") == ["GET /orders"]
    # /orders/recent without a prefix: the legacy module's exact route, not the others'
    assert selected(emap, "GET /orders/recent") == ["GET /orders/recent"]


def test_without_the_prefix_an_ambiguous_path_lists_every_module(tmp_path: Path) -> None:
    files = {**spring({"application.yml": "server.servlet.context-path: /a\n"}, "one"),
             **spring({"application.yml": "server.servlet.context-path: /b\n"}, "two")}
    emap = build(tmp_path, files)
    assert selected(emap, "GET /orders/7") == ["GET /a/orders/{id}", "GET /b/orders/{id}"]
    assert selected(emap, "GET /b/orders/7") == ["GET /b/orders/{id}"]
    result = run_cli(tmp_path, "explain", "--no-cache", "--endpoint", "GET /orders/7")
    assert result.exit_code == 2
    assert "'GET /orders/7' matches 2 endpoints; give the method and path:" in result.stderr
    assert "GET /a/orders/{id}  (one/src/main/java/com/acme/one/OrderController.java:19)" in result.stderr


def test_the_listing_and_explain_say_where_the_prefix_comes_from(tmp_path: Path) -> None:
    build(tmp_path, spring({"application.yml": "server:\n  servlet:\n    context-path: /api\n"}))
    listing = run_cli(tmp_path, "endpoints", "--isolated")
    assert listing.exit_code == 0, listing.output
    assert "GET       /api/orders/{id}" in listing.stdout
    assert ("note: src/main/resources/application.yml:3: server.servlet.context-path '/api' (line 3): the 3 "
            "endpoints of the application are listed under /api (a selector without it matches too)") in listing.stdout
    document = json.loads(run_cli(tmp_path, "endpoints", "--isolated", "--format", "json").stdout)
    [recent] = [e for e in document["endpoints"] if e["route"] == "/api/orders/recent"]
    assert recent["prefix"] == {"path": "/api", "from": "server.servlet.context-path '/api' "
                                                        "(src/main/resources/application.yml:3)"}
    explained = run_cli(tmp_path, "explain", "--no-cache", "--isolated", "--endpoint", "get /orders/recent/")
    assert explained.stdout.startswith("endpoint: GET /api/orders/recent  handler OrderController.recent")
    assert "  /api is the configured prefix: server.servlet.context-path '/api'" in explained.stdout


def test_test_resources_and_other_files_are_not_read(tmp_path: Path) -> None:
    files = spring({"application-test.yml.bak": "server.servlet.context-path: /bak\n"})
    files["src/test/resources/application.yml"] = "server.servlet.context-path: /test\n"
    assert "GET /orders" in labels(build(tmp_path, files))


# --- the small readers ---------------------------------------------------------------------------------------

def test_yaml_reader_keeps_to_block_mappings() -> None:
    text = ("# comment\nserver:\n  error:\n    whitelabel:\n      enabled: false\n  servlet:\n"
            "    \"context-path\": \"/a b\"  \nlogging:\n  pattern: |\n    context-path: /not-a-key\n"
            "servers:\n  - servlet:\n      context-path: /in-a-list\nspring.mvc.servlet.path: /x # trailing\n"
            "---\nserver.servlet.context-path: /second\n")
    found = [(doc, key, value) for doc, key, value, _ in yaml_settings(text)]
    assert (0, "server.servlet.contextpath", "/a b") in found
    assert (0, "spring.mvc.servlet.path", "/x") in found
    assert (1, "server.servlet.contextpath", "/second") in found
    assert not any(value in ("/not-a-key", "/in-a-list") for _, _, value in found)


def test_properties_reader() -> None:
    text = "! comment\nserver.servlet.context-path = \\\n    /api\nspring.mvc.servlet.path:/v1\n#---\na b\n"
    assert [(d, k, v, line) for d, k, v, line in properties_settings(text)] == [
        (0, "server.servlet.contextpath", "/api", 2), (0, "spring.mvc.servlet.path", "/v1", 4), (1, "a", "b", 6)]


# --- prefixes in the code: Flask, FastAPI, Django, Go ---------------------------------------------------------

def test_flask_blueprint_prefixes_at_construction_and_registration(tmp_path: Path) -> None:
    emap = build(tmp_path, {"db.py": "cur = None\n", "app.py": """
from flask import Flask, Blueprint
import db
orders = Blueprint("orders", __name__, url_prefix="/orders")
admin = Blueprint("admin", __name__)
nested = Blueprint("nested", __name__, url_prefix="/n")

@orders.get("/<int:order_id>")
def one(order_id):
    return db.cur.execute("SELECT * FROM orders WHERE id = %s", (order_id,))

@admin.route("/stats")
def stats():
    return db.cur.execute("SELECT COUNT(*) FROM orders")

@nested.route("/x")
def x():
    return db.cur.execute("SELECT 2")

admin.register_blueprint(nested, url_prefix="/nn")
app = Flask(__name__)
app.register_blueprint(orders, url_prefix="/api/orders")
app.register_blueprint(admin, url_prefix="/admin")
"""})
    assert labels(emap) == {"GET /api/orders/<int:order_id>", "GET /admin/stats", "GET /admin/nn/x"}
    assert selected(emap, "GET /api/orders/{id}") == ["GET /api/orders/<int:order_id>"]
    # the path as the decorator writes it, without the blueprint's prefix
    assert selected(emap, "GET /stats") == ["GET /admin/stats"]
    assert selected(emap, "GET /x") == ["GET /admin/nn/x"]  # the whole prefix, /admin/nn, is left out
    assert emap.select("GET /admin/stats")[0].endpoint.prefix == "/admin"


def test_fastapi_router_prefixes_at_construction_and_inclusion(tmp_path: Path) -> None:
    emap = build(tmp_path, {"db.py": "cur = None\n", "main.py": """
from fastapi import APIRouter, FastAPI
import db
router = APIRouter(prefix="/orders")
items = APIRouter(prefix="/items")

@router.get("/{order_id}")
def one(order_id: int):
    return db.cur.execute("SELECT * FROM orders WHERE id = %s", (order_id,))

@items.get("/")
def list_items():
    return db.cur.execute("SELECT * FROM items")

router.include_router(items, prefix="/x")
app = FastAPI()
app.include_router(router, prefix="/api/v1")
"""})
    assert labels(emap) == {"GET /api/v1/orders/{order_id}", "GET /api/v1/orders/x/items/"}
    assert selected(emap, "get /api/v1/orders/x/items") == ["GET /api/v1/orders/x/items/"]
    assert selected(emap, "GET /api/v1/orders/<int:id>") == ["GET /api/v1/orders/{order_id}"]
    # without the routers' prefixes: a template in any spelling; not a concrete one-segment path, which
    # /{order_id} would take whatever it is, nor / for the index of every router
    assert selected(emap, "GET /{id}") == ["GET /api/v1/orders/{order_id}"]
    assert selected(emap, "GET /ordrs") == [] and selected(emap, "GET /") == []


def test_django_include_nesting(tmp_path: Path) -> None:
    emap = build(tmp_path, {
        "proj/__init__.py": "", "proj/settings.py": 'ROOT_URLCONF = "proj.urls"\n',
        "proj/urls.py": "from django.urls import include, path\n"
                        "urlpatterns = [path('api/', include('shop.urls')),\n"
                        "               path('v2/', include([path('ping/', include('shop.urls'))]))]\n",
        "shop/__init__.py": "",
        "shop/urls.py": "from django.urls import include, path\nfrom shop import views\n"
                        "urlpatterns = [path('orders/<int:pk>/', views.one),\n"
                        "               path('admin/', include('shop.adminurls'))]\n",
        "shop/adminurls.py": "from django.urls import path\nfrom shop import views\n"
                             "urlpatterns = [path('stats/', views.one)]\n",
        "shop/views.py": "from django.db import connection\n\ndef one(request, pk=None):\n"
                         "    connection.cursor().execute('SELECT 1')\n"})
    assert labels(emap) == {"ANY /api/orders/<int:pk>/", "ANY /api/admin/stats/", "ANY /v2/ping/orders/<int:pk>/",
                            "ANY /v2/ping/admin/stats/"}
    assert selected(emap, "GET /api/orders/5") == ["ANY /api/orders/<int:pk>/"]
    assert selected(emap, "GET /v2/ping/orders/:pk") == ["ANY /v2/ping/orders/<int:pk>/"]
    # without the include() prefixes: both includes of shop.urls answer it
    assert selected(emap, "GET /orders/5/") == ["ANY /api/orders/<int:pk>/", "ANY /v2/ping/orders/<int:pk>/"]


GO_MOD = {"go.mod": "module example.com/app\n\ngo 1.22\n"}


def test_go_chi_route_and_group(tmp_path: Path) -> None:
    emap = build(tmp_path, {**GO_MOD, "main.go": """package main

import (
	"database/sql"
	"net/http"

	"github.com/go-chi/chi/v5"
)

var db *sql.DB

func list(w http.ResponseWriter, r *http.Request) { db.Query("SELECT id FROM orders") }

func main() {
	r := chi.NewRouter()
	r.Route("/api", func(r chi.Router) {
		r.Route("/orders", func(r chi.Router) { r.Get("/{id}", list) })
		r.Get("/ping", list)
	})
	r.Group(func(r chi.Router) { r.Get("/grouped", list) })
	http.ListenAndServe(":8080", r)
}
"""})
    assert labels(emap) == {"GET /api/orders/{id}", "GET /api/ping", "GET /grouped"}
    assert selected(emap, "GET /api/orders/42") == ["GET /api/orders/{id}"]


def test_go_gin_and_echo_groups(tmp_path: Path) -> None:
    gin = build(tmp_path / "gin", {**GO_MOD, "main.go": """package main

import (
	"database/sql"

	"github.com/gin-gonic/gin"
)

var db *sql.DB

func list(c *gin.Context) { db.Query("SELECT id FROM orders") }

func main() {
	r := gin.Default()
	g := r.Group("/api")
	v1 := g.Group("/v1")
	v1.GET("/orders/:id", list)
	{
		admin := r.Group("/admin")
		admin.GET("/stats", list)
	}
	r.Run()
}
"""})
    assert labels(gin) == {"GET /api/v1/orders/:id", "GET /admin/stats"}
    assert selected(gin, "GET /api/v1/orders/{id}") == ["GET /api/v1/orders/:id"]
    assert selected(gin, "GET /api/v1/orders/17") == ["GET /api/v1/orders/:id"]
    assert selected(gin, "GET /orders/17") == ["GET /api/v1/orders/:id"]  # without the groups' prefix
    echo = build(tmp_path / "echo", {**GO_MOD, "main.go": """package main

import (
	"database/sql"

	"github.com/labstack/echo/v4"
)

var db *sql.DB

func list(c echo.Context) error { db.Query("SELECT id FROM orders"); return nil }

func main() {
	e := echo.New()
	g := e.Group("/api")
	g.GET("/orders/:id", list)
	e.Start(":8080")
}
"""})
    assert labels(echo) == {"GET /api/orders/:id"}


# --- matching ---------------------------------------------------------------------------------------------

def test_selector_parsing() -> None:
    assert parse_selector("get /orders") == ("GET", "/orders")
    assert parse_selector('"GET /api/orders?page=2 HTTP/1.1"') == ("GET", "/api/orders")
    assert parse_selector("https://shop.example:8443/api/orders/7?x=1#top") == (None, "/api/orders/7")
    assert parse_selector("OrderController.list") == (None, "OrderController.list")
    assert shape("/orders/<int:id>/") == shape("/orders/{id:\\d+}") == shape("/orders/:id") == "/orders/{}"


def test_specific_template_beats_a_parameter_and_closest_candidates_on_no_match(tmp_path: Path) -> None:
    emap = build(tmp_path, {"db.py": "cur = None\n", "app.py": """
from flask import Flask
import db
app = Flask(__name__)

@app.get("/orders/<int:order_id>")
def one(order_id):
    return db.cur.execute("SELECT * FROM orders WHERE id = %s", (order_id,))

@app.get("/orders/<name>")
def named(name):
    return db.cur.execute("SELECT * FROM orders WHERE name = %s", (name,))

@app.get("/orders/latest")
def latest():
    return db.cur.execute("SELECT * FROM orders ORDER BY id DESC LIMIT 1")

@app.post("/orders")
def create():
    return db.cur.execute("INSERT INTO orders (id) VALUES (1)")
"""})
    assert selected(emap, "GET /orders/latest/") == ["GET /orders/latest"]
    assert selected(emap, "GET /orders/{id}") == ["GET /orders/<int:order_id>", "GET /orders/<name>"]
    assert selected(emap, "GET /orders/<int:order_id>") == ["GET /orders/<int:order_id>"]
    assert selected(emap, "post /orders/") == ["POST /orders"]
    missing = run_cli(tmp_path, "explain", "--no-cache", "--isolated", "--endpoint", "GET /api/order/latest")
    assert missing.exit_code == 2
    lines = missing.stderr.splitlines()
    assert lines[0] == "sqllint: error: no endpoint matches 'GET /api/order/latest'; the endpoints are, closest first:"
    assert lines[1].startswith("  GET /orders/latest  (app.py:")


def test_a_url_behind_a_proxy_prefix_the_application_never_sees(tmp_path: Path) -> None:
    emap = build(tmp_path, {"db.py": "cur = None\n", "app.py": """
from fastapi import FastAPI
import db
app = FastAPI(root_path="/shop/api")

@app.get("/orders/{order_id}")
def one(order_id: int):
    return db.cur.execute("SELECT * FROM orders WHERE id = %s", (order_id,))

@app.get("/{slug}")
def page(slug: str):
    return db.cur.execute("SELECT * FROM pages WHERE slug = %s", (slug,))
"""})
    assert selected(emap, "GET /shop/api/orders/42") == ["GET /orders/{order_id}"]
    assert selected(emap, "https://example.com/api/orders/7?x=1") == ["GET /orders/{order_id}"]
    assert selected(emap, "GET /shop/api/about") == []  # only /{slug} would take it: not guessed
    assert selected(emap, "GET /a/b/c/d/orders/1") == []  # more than a gateway's few segments


def test_many_endpoints_name_only_the_closest(tmp_path: Path) -> None:
    routes = "".join(f"@app.get('/r{n}/items')\ndef r{n}():\n    return db.cur.execute('SELECT {n}')\n\n"
                     for n in range(15))
    routes += "@app.get('/r/<int:n>/items')\ndef by_number(n):\n    return db.cur.execute('SELECT %s', (n,))\n\n"
    app = f"from flask import Flask\nimport db\napp = Flask(__name__)\n\n{routes}"
    build(tmp_path, {"db.py": "cur = None\n", "app.py": app})
    missing = run_cli(tmp_path, "explain", "--no-cache", "--isolated", "--endpoint", "GET /r12/item")
    assert missing.exit_code == 2
    lines = missing.stderr.splitlines()
    assert "the closest of the 16 (`sqllint endpoints` lists them all):" in lines[0]
    assert lines[1].startswith("  GET /r12/items  (app.py:") and len(lines) == 9
    by_id = run_cli(tmp_path, "explain", "--no-cache", "--isolated", "--endpoint", "GET /r/7/item")
    assert by_id.exit_code == 2 and by_id.stderr.splitlines()[1].startswith("  GET /r/<int:n>/items  (app.py:")


@pytest.mark.parametrize("selector", ["GET /api/orders/7", "GET /orders/7", "/api/orders/{orderId}",
                                      "get /orders/:id/", "http://localhost:8080/api/orders/7?full=1"])
def test_every_spelling_reaches_the_spring_endpoint(tmp_path: Path, selector: str) -> None:
    emap = build(tmp_path, spring({"application.yml": "server:\n  servlet:\n    context-path: /api\n"}))
    assert selected(emap, selector) == ["GET /api/orders/{id}"]


GO_LIST = """
var db *sql.DB

func list(w http.ResponseWriter, r *http.Request) { db.Query("SELECT id FROM orders") }
"""


def test_go_routers_mounted_under_a_path(tmp_path: Path) -> None:
    chi = build(tmp_path / "chi", {**GO_MOD, "main.go": f"""package main

import (
	"database/sql"
	"net/http"

	"github.com/go-chi/chi/v5"
)
{GO_LIST}
func main() {{
	r := chi.NewRouter()
	api := chi.NewRouter()
	api.Get("/orders", list)
	r.Mount("/api", api)
	http.ListenAndServe(":8080", r)
}}

func mountGiven(r chi.Router, admin chi.Router) {{
	r.Mount("/admin", admin)
}}
"""})
    assert labels(chi) == {"GET /api/orders"}
    # a router handed in as a parameter is not built here: its routes stay unmapped, and the map says so
    assert [n.message for n in chi.notes] == ["router mounted at '/admin': its routes are not mapped"]
    stripped = build(tmp_path / "nethttp", {**GO_MOD, "main.go": f"""package main

import (
	"database/sql"
	"net/http"
)
{GO_LIST}
func v1() http.Handler {{
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{{id}}", list)
	return mux
}}

func main() {{
	api := http.NewServeMux()
	api.HandleFunc("GET /orders", list)
	root := http.NewServeMux()
	root.Handle("/api/", http.StripPrefix("/api", api))
	root.Handle("/v1/", http.StripPrefix("/v1", v1()))
	http.ListenAndServe(":8080", root)
}}
"""})
    assert labels(stripped) == {"GET /api/orders", "GET /v1/orders/{id}"}
    gorilla = build(tmp_path / "gorilla", {**GO_MOD, "main.go": f"""package main

import (
	"database/sql"
	"net/http"

	"github.com/gorilla/mux"
)
{GO_LIST}
func main() {{
	r := mux.NewRouter()
	api := mux.NewRouter()
	api.HandleFunc("/orders", list).Methods("GET")
	r.PathPrefix("/api/").Handler(http.StripPrefix("/api", api))
	v2 := r.PathPrefix("/v2").Subrouter()
	v2.HandleFunc("/orders", list).Methods("GET")
	http.ListenAndServe(":8080", r)
}}
"""})
    assert labels(gorilla) == {"GET /api/orders", "GET /v2/orders"}


def test_spring_config_beside_the_build_file_wins_and_paths_follow_the_working_directory(tmp_path: Path) -> None:
    files = spring({"application.yml": "server.servlet.context-path: /classpath\n"})
    files["config/application.properties"] = "server.servlet.context-path=/deployed\n"
    emap = build(tmp_path, files)
    assert "GET /deployed/orders" in labels(emap)
    assert emap.chains[0].endpoint.prefix_from == "server.servlet.context-path '/deployed' " \
                                                  "(config/application.properties:1)"
    inside = tmp_path / "src" / "main" / "java"  # sqllint run from inside the module: paths relative to there
    previous = os.getcwd()
    os.chdir(inside)
    try:
        nested = build_map(["."], Config(root=inside), inside, jobs=1)
    finally:
        os.chdir(previous)
    assert nested.chains[0].endpoint.prefix_from == "server.servlet.context-path '/deployed' " \
                                                    "(../../../config/application.properties:1)"
