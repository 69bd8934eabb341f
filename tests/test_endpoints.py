"""The endpoint map on small applications written the way teams write them: Flask, FastAPI, Django;
call chains through services and DAOs; endpoint-level N+1 and mergeable queries; bad input."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqllint.config import Config
from sqllint.endpoints.build import EndpointMap, build_map
from sqllint.endpoints.model import EndpointChain


def project(tmp_path: Path, files: dict[str, str], max_depth: int = 6) -> EndpointMap:
    for name, code in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(code), encoding="utf-8")
    return build_map(["."], Config(root=tmp_path), tmp_path, jobs=1, max_depth=max_depth)


def routes(emap: EndpointMap) -> set[tuple[str, str, str | None]]:
    return {(",".join(c.endpoint.methods), c.endpoint.route, c.endpoint.handler.qualname if c.endpoint.handler else None)
            for c in emap.chains}


def one(emap: EndpointMap, selector: str) -> EndpointChain:
    [chain] = emap.select(selector)
    return chain


def sql_of(chain: EndpointChain) -> list[str]:
    return [" ".join(q.query.query.raw.split()) for q in chain.queries]


DAO = '''
from app.db import connect

def get_order(order_id):
    with connect() as cur:
        cur.execute("SELECT id, status FROM orders WHERE id = %s", (order_id,))
        return cur.fetchone()

def order_money(order_id):
    with connect() as cur:
        cur.execute("SELECT total, currency FROM orders WHERE id = %s", (order_id,))
        return cur.fetchone()

def items_of(order_id):
    with connect() as cur:
        cur.execute("SELECT sku, qty FROM order_items WHERE order_id = %s", (order_id,))
        return cur.fetchall()

def orders_of(user_id):
    with connect() as cur:
        cur.execute("SELECT id FROM orders WHERE user_id = %s", (user_id,))
        return cur.fetchall()

class OrderDao:
    def __init__(self, db):
        self.db = db

    def by_user(self, user_id):
        self.db.execute("SELECT id, total FROM orders WHERE user_id = %s", (user_id,))
        return self.db.fetchall()

    def shipment(self, order_id):
        self.db.execute("SELECT carrier FROM shipments WHERE order_id = %s", (order_id,))
        return self.db.fetchone()
'''

DB = '''
import pymysql

def connect():
    return pymysql.connect(host="db").cursor()
'''


def test_flask_routes_blueprints_prefixes_and_methods(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/dao.py": DAO,
        "app/views/__init__.py": "",
        "app/views/orders.py": '''
            from flask import Blueprint, jsonify
            from app import dao

            bp = Blueprint("orders", __name__, url_prefix="/orders")
            nested = Blueprint("items", __name__, url_prefix="/items")

            @bp.route("/<int:order_id>", methods=["GET", "POST"])
            def show(order_id):
                return jsonify(dao.get_order(order_id))

            @bp.get("/")
            def index():
                return jsonify([])

            @nested.delete("/<sku>")
            def drop(sku):
                return ""
            bp.register_blueprint(nested)
        ''',
        "app/factory.py": '''
            from flask import Flask
            from app.views.orders import bp
            from app.views import orders as order_views

            def create_app():
                app = Flask(__name__)
                app.register_blueprint(bp, url_prefix="/api/orders")

                @app.route("/health")
                def health():
                    return "ok"

                app.add_url_rule("/orders-legacy/<int:order_id>", view_func=order_views.show)
                return app
        ''',
    })
    assert routes(emap) == {
        ("GET,POST", "/api/orders/<int:order_id>", "show"),
        ("GET", "/api/orders/", "index"),
        ("DELETE", "/api/orders/items/<sku>", "drop"),
        ("GET", "/health", "create_app.<locals>.health"),
        ("GET", "/orders-legacy/<int:order_id>", "show"),
    }
    chain = one(emap, "POST /api/orders/7")
    assert sql_of(chain) == ["SELECT id, status FROM orders WHERE id = %s"]
    assert [f.function.qualname for f in chain.queries[0].frames] == ["show", "get_order"]


def test_fastapi_routers_prefixes_and_injected_services(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/dao.py": DAO,
        "app/services.py": '''
            from typing import Optional
            from app.dao import OrderDao
            from app.db import connect

            class OrderService:
                def __init__(self, dao: OrderDao):
                    self.dao = dao

                def history(self, user_id: int):
                    rows = self.dao.by_user(user_id)
                    return [self.dao.shipment(row[0]) for row in rows]

            def get_service() -> OrderService:
                return OrderService(OrderDao(connect()))
        ''',
        "app/api.py": '''
            from typing import Annotated
            from fastapi import APIRouter, Depends, FastAPI
            from app.services import OrderService, get_service

            router = APIRouter(prefix="/users")

            @router.get("/{user_id}/history")
            async def history(user_id: int, service: Annotated[OrderService, Depends(get_service)]):
                return service.history(user_id)

            @router.api_route("/{user_id}", methods=["PUT", "PATCH"])
            def update(user_id: int, service=Depends(get_service)):
                return service.history(user_id)

            app = FastAPI()
            app.include_router(router, prefix="/v1")

            @app.post("/ping")
            def ping():
                return "pong"
        ''',
    })
    assert routes(emap) == {
        ("GET", "/v1/users/{user_id}/history", "history"),
        ("PUT,PATCH", "/v1/users/{user_id}", "update"),
        ("POST", "/ping", "ping"),
    }
    chain = one(emap, "GET /v1/users/12/history")
    assert sql_of(chain) == ["SELECT id, total FROM orders WHERE user_id = %s",
                             "SELECT carrier FROM shipments WHERE order_id = %s"]
    # an unannotated dependency: its provider's return annotation tells the type
    assert len(one(emap, "PUT /v1/users/3").queries) == 2
    # the second query runs once per row: N+1 at the comprehension in the service, two calls away. check
    # sees it (self.dao is an OrderDao by the constructor's annotation), so the chain does not repeat it.
    assert [f for f in chain.findings if f.rule == "M002"] == []
    [finding] = [f for f in chain.query_findings if f.rule == "M002"]
    assert (finding.path, finding.line) == ("app/services.py", 12)
    assert finding.message.startswith("`self.dao.shipment` (a SELECT at app/dao.py:")
    assert "shipments WHERE order_id IN (%s, %s, …)" in (finding.suggestion or "")


def test_django_urlconfs_function_and_class_views(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "proj/__init__.py": "",
        "proj/settings.py": 'ROOT_URLCONF = "proj.urls"\n',
        "proj/urls.py": '''
            from django.urls import include, path, re_path
            from shop import views

            urlpatterns = [
                path("admin/", include("shop.admin_urls")),
                re_path(r"^orders/(?P<pk>[0-9]+)/$", views.OrderView.as_view(), name="order"),
            ]
            urlpatterns += [path("health/", views.health)]
        ''',
        "shop/__init__.py": "",
        "shop/admin_urls.py": '''
            from django.urls import path
            from django.views.generic import TemplateView
            from . import views

            urlpatterns = [
                path("reports/<int:year>/", views.report),
                path("about/", TemplateView.as_view(template_name="about.html")),
            ]
        ''',
        "shop/views.py": '''
            from django.db import connection
            from django.views import View
            from django.views.decorators.http import require_http_methods

            class BaseView(View):
                def get(self, request, pk):
                    with connection.cursor() as cur:
                        cur.execute("SELECT id FROM orders WHERE id = %s", [pk])
                        return cur.fetchone()

            class OrderView(BaseView):
                def post(self, request, pk):
                    return None

            @require_http_methods(["GET"])
            def report(request, year):
                with connection.cursor() as cur:
                    cur.execute("SELECT COUNT(*) FROM orders WHERE YEAR(created_at) = %s", [year])
                    return cur.fetchone()

            def health(request):
                return None
        ''',
        "shop/unused_urls.py": "urlpatterns = []\n",
    })
    assert routes(emap) == {
        ("GET", "/admin/reports/<int:year>/", "report"),
        ("ANY", "/admin/about/", None),
        ("GET", "/orders/(?P<pk>[0-9]+)/", "BaseView.get"),
        ("POST", "/orders/(?P<pk>[0-9]+)/", "OrderView.post"),
        ("ANY", "/health/", "health"),
    }
    assert sql_of(one(emap, "GET /orders/15/")) == ["SELECT id FROM orders WHERE id = %s"]
    about = one(emap, "/admin/about/")
    assert about.endpoint.note == "view django.views.generic.TemplateView: outside the repository"


def test_chain_order_and_resolution_forms(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/dao.py": DAO,
        "app/service.py": '''
            import app.dao as d
            from app.dao import items_of as load_items

            class Base:
                def money(self, order_id):
                    return d.order_money(order_id)

            class Items:
                def of(self, order_id):
                    return load_items(order_id)

            class Checkout(Base):
                @property
                def items(self) -> Items:
                    return Items()

                def summary(self, order_id):
                    head = d.get_order(order_id)
                    money = super().money(order_id)
                    return head, money, self.items.of(order_id)

            checkout = Checkout()
        ''',
        "app/web.py": '''
            from flask import Flask
            from app.service import checkout

            app = Flask(__name__)

            @app.get("/orders/<int:order_id>")
            def order(order_id):
                return checkout.summary(order_id)
        ''',
    })
    chain = one(emap, "GET /orders/<int:order_id>")
    assert sql_of(chain) == ["SELECT id, status FROM orders WHERE id = %s",
                             "SELECT total, currency FROM orders WHERE id = %s",
                             "SELECT sku, qty FROM order_items WHERE order_id = %s"]
    [merge] = [f for f in chain.findings if f.rule == "M001"]
    assert merge.path == "app/dao.py" and "as the query on line 6" in merge.message
    assert merge.suggestion == "SELECT id, status, total, currency FROM orders WHERE id = %s"
    assert merge.scope == "GET /orders/<int:order_id>"


def test_the_same_helper_called_twice_is_mergeable(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/dao.py": DAO,
        "app/web.py": '''
            from flask import Flask
            from app import dao

            app = Flask(__name__)

            def audit(order_id):
                return dao.get_order(order_id)

            @app.get("/o/<int:order_id>")
            def order(order_id):
                audit(order_id)
                return dao.get_order(order_id)
        ''',
    })
    chain = one(emap, "GET /o/1")
    assert len(chain.queries) == 2
    # check carries get_order's SELECT to both calls (through audit too): the static run reports the pair
    # in the handler, and the chain, which sees the same, does not say it again.
    assert chain.findings == []
    [finding] = [f for f in chain.query_findings if f.rule == "M001"]
    assert (finding.path, finding.line) == ("app/web.py", 13)  # the second read
    assert "`dao.get_order` reads orders by the same key" in finding.message


def test_chain_leaving_the_repository_recursion_and_depth(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/dao.py": DAO,
        "app/web.py": '''
            import requests
            from flask import Flask
            from app import dao

            app = Flask(__name__)

            def walk_tree(node_id):
                dao.get_order(node_id)
                for child in dao.orders_of(node_id):
                    walk_tree(child)

            def a(x): return b(x)
            def b(x): return c(x)
            def c(x): return dao.items_of(x)

            @app.get("/tree/<int:node_id>")
            def tree(node_id):
                requests.get("https://example.invalid/audit")
                walk_tree(node_id)
                return a(node_id)
        ''',
    }, max_depth=3)
    chain = one(emap, "GET /tree/<int:node_id>")
    reasons = {(s.callee, s.reason) for s in chain.stops}
    assert ("requests.get", "outside the repository") in reasons
    assert ("walk_tree", "recursion: walk_tree is already on the call path") in reasons
    assert ("dao.items_of", "call depth limit (3) reached") in reasons
    assert any(s.describe() == "stops at requests.get: outside the repository (app/web.py:19)" for s in chain.stops)
    assert sql_of(chain) == ["SELECT id, status FROM orders WHERE id = %s", "SELECT id FROM orders WHERE user_id = %s"]


def test_dynamic_routes_and_syntax_errors_do_not_stop_the_map(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "app/__init__.py": "",
        "app/broken.py": "def oops(:\n    pass\n",
        "app/web.py": '''
            from flask import Flask
            from flask.views import MethodView

            app = Flask(__name__)

            class OrderApi(MethodView):
                def get(self, order_id):
                    return "one"

                def delete(self, order_id):
                    return ""

            for name in ("a", "b"):
                app.add_url_rule(f"/{name}", view_func=lambda: name)

            app.add_url_rule("/api/orders/<int:order_id>", view_func=OrderApi.as_view("order_api"))

            @app.route("/fine")
            def fine():
                return "ok"
        ''',
    })
    assert routes(emap) == {
        ("GET", "/api/orders/<int:order_id>", "OrderApi.get"),
        ("DELETE", "/api/orders/<int:order_id>", "OrderApi.delete"),
        ("GET", "/fine", "fine"),
    }
    messages = {(n.path, n.message.split(" (")[0].split(":")[0]) for n in emap.notes}
    assert ("app/broken.py", "syntax error") in messages
    assert any(n.path == "app/web.py" and "dynamic route" in n.message and n.line == 15 for n in emap.notes), emap.notes


def test_selectors(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "app.py": '''
            from fastapi import FastAPI
            app = FastAPI()

            @app.get("/users/{user_id}/orders/{order_id:int}")
            def user_order(user_id: int, order_id: int):
                return None

            @app.post("/users")
            def create_user():
                return None
        ''',
    })
    assert [c.endpoint.handler.qualname for c in emap.select("GET /users/3/orders/9")] == ["user_order"]
    assert emap.select("POST /users/3/orders/9") == []
    assert [c.endpoint.route for c in emap.select("/users")] == ["/users"]
    assert [c.endpoint.route for c in emap.select("create_user")] == ["/users"]


def test_flask_restful_and_restx_resources(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/dao.py": DAO,
        "app/api.py": '''
            from flask import Blueprint, Flask
            from flask_restful import Api, Resource
            from flask_restx import Api as RestxApi, Namespace, Resource as RestxResource
            from app import dao

            bp = Blueprint("api", __name__, url_prefix="/api")
            api = Api(bp)

            class OrderResource(Resource):
                def get(self, order_id):
                    return dao.get_order(order_id)

                def delete(self, order_id):
                    return None

            api.add_resource(OrderResource, "/orders/<int:order_id>", "/o/<int:order_id>")

            ns = Namespace("items")

            @ns.route("/<int:order_id>")
            class Items(RestxResource):
                def get(self, order_id):
                    return dao.items_of(order_id)

            app = Flask(__name__)
            app.register_blueprint(bp)
            docs = RestxApi(app, prefix="/x")
            docs.add_namespace(ns)
        ''',
    })
    assert routes(emap) == {
        ("GET", "/api/orders/<int:order_id>", "OrderResource.get"),
        ("DELETE", "/api/orders/<int:order_id>", "OrderResource.delete"),
        ("GET", "/api/o/<int:order_id>", "OrderResource.get"),
        ("DELETE", "/api/o/<int:order_id>", "OrderResource.delete"),
        ("GET", "/x/items/<int:order_id>", "Items.get"),
    }
    assert sql_of(one(emap, "GET /x/items/3")) == ["SELECT sku, qty FROM order_items WHERE order_id = %s"]


def test_django_rest_framework_routers(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "api/__init__.py": "",
        "api/urls.py": '''
            from django.urls import include, path
            from rest_framework.routers import DefaultRouter
            from rest_framework.viewsets import ModelViewSet
            from api.views import OrderViewSet, TagViewSet

            router = DefaultRouter()
            router.register(r"orders", OrderViewSet, basename="order")
            router.register("tags", TagViewSet)

            class PlainViewSet(ModelViewSet):
                queryset = None

            router.register("plain", PlainViewSet)
            urlpatterns = [path("api/v1/", include(router.urls))]
        ''',
        "api/views.py": '''
            from django.db import connection
            from rest_framework import viewsets
            from rest_framework.decorators import action

            class OrderViewSet(viewsets.ViewSet):
                lookup_field = "number"

                def list(self, request):
                    with connection.cursor() as cur:
                        cur.execute("SELECT id FROM orders ORDER BY id DESC LIMIT 50")
                        return cur.fetchall()

                def retrieve(self, request, number=None):
                    return None

                @action(detail=True, methods=["post"], url_path="cancel")
                def cancel_order(self, request, number=None):
                    with connection.cursor() as cur:
                        cur.execute("UPDATE orders SET status = 'cancelled' WHERE number = %s", [number])

            class TagViewSet(viewsets.ViewSet):
                def create(self, request):
                    return None
        ''',
    })
    assert routes(emap) == {
        ("GET", "/api/v1/orders/", "OrderViewSet.list"),
        ("GET", "/api/v1/orders/<number>/", "OrderViewSet.retrieve"),
        ("POST", "/api/v1/orders/<number>/cancel/", "OrderViewSet.cancel_order"),
        ("POST", "/api/v1/tags/", "TagViewSet.create"),
        # ModelViewSet's own actions answer even though the class implements none of them
        ("GET", "/api/v1/plain/", None), ("POST", "/api/v1/plain/", None), ("GET", "/api/v1/plain/<pk>/", None),
        ("PUT", "/api/v1/plain/<pk>/", None), ("PATCH", "/api/v1/plain/<pk>/", None),
        ("DELETE", "/api/v1/plain/<pk>/", None),
    }
    assert sql_of(one(emap, "POST /api/v1/orders/A-17/cancel/")) == [
        "UPDATE orders SET status = 'cancelled' WHERE number = %s"]
    [plain] = emap.select("GET /api/v1/plain/")
    assert plain.endpoint.note == "list is ModelViewSet's (outside the repository)"


def test_before_request_hooks_run_first_where_they_apply(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/dao.py": DAO,
        "app/web.py": '''
            from flask import Blueprint, Flask, g
            from app import dao

            admin = Blueprint("admin", __name__, url_prefix="/admin")
            public = Blueprint("public", __name__)

            @admin.before_request
            def load_admin():
                g.admin = dao.orders_of(1)

            @public.before_app_request
            def load_user():
                g.user = dao.get_order(1)

            @admin.get("/stats")
            def stats():
                return dao.order_money(1)

            @public.get("/")
            def home():
                return ""

            def create_app():
                app = Flask(__name__)
                app.register_blueprint(admin)
                app.register_blueprint(public)
                return app
        ''',
    })
    assert sql_of(one(emap, "GET /admin/stats")) == ["SELECT id, status FROM orders WHERE id = %s",
                                                    "SELECT id FROM orders WHERE user_id = %s",
                                                    "SELECT total, currency FROM orders WHERE id = %s"]
    assert sql_of(one(emap, "GET /")) == ["SELECT id, status FROM orders WHERE id = %s"]
    assert [q.via() for q in one(emap, "GET /").queries] == ["load_user → get_order"]


def test_functions_applied_by_map_run_in_a_loop(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/dao.py": DAO,
        "app/web.py": '''
            from concurrent.futures import ThreadPoolExecutor
            from flask import Flask
            from app import dao

            app = Flask(__name__)
            pool = ThreadPoolExecutor(4)

            @app.get("/users/<int:user_id>/items")
            def items(user_id):
                orders = dao.orders_of(user_id)
                return list(map(dao.items_of, [o[0] for o in orders]))

            @app.get("/users/<int:user_id>/money")
            def money(user_id):
                return list(pool.map(dao.order_money, [1, 2, 3]))
        ''',
    })
    chain = one(emap, "GET /users/1/items")
    assert [(q.query.query.raw, q.loop_depth) for q in chain.queries] == [
        ("SELECT id FROM orders WHERE user_id = %s", 0), ("SELECT sku, qty FROM order_items WHERE order_id = %s", 1)]
    assert [f.rule for f in chain.findings] == ["M002"]
    assert [q.loop_depth for q in one(emap, "GET /users/1/money").queries] == [1]
