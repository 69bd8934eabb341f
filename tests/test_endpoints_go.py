"""Go endpoints (net/http, gorilla/mux, gin, echo, chi) and the Go call graph the chains follow: handlers
on struct methods, services in other packages of the module, N+1 through a helper across packages, and
where a chain leaves the repository."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from sqllint.cli import main
from sqllint.config import Config
from sqllint.endpoints.build import EndpointMap, build_map
from sqllint.endpoints.match import select_endpoints

REPO = Path(__file__).resolve().parent.parent

GO_MOD = "module example.com/shop\n\ngo 1.22\n"

STORE = '''package store

import (
	"context"
	"database/sql"
)

type Store struct {
	db *sql.DB
}

func New(db *sql.DB) *Store { return &Store{db: db} }

func (s *Store) Orders(ctx context.Context, userID int64) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id FROM orders WHERE user_id = ?", userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	return ids, nil
}

func (s *Store) Items(ctx context.Context, orderID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM order_items WHERE order_id = ?", orderID).Scan(&n)
	return n, err
}

func (s *Store) Status(ctx context.Context, id int64) (string, error) {
	var status string
	err := s.db.QueryRowContext(ctx, "SELECT status FROM orders WHERE id = ?", id).Scan(&status)
	return status, err
}
'''

SERVICE = '''package service

import (
	"context"

	"example.com/shop/store"
	"github.com/acme/metrics"
)

type Orders struct {
	store *store.Store
}

func NewOrders(s *store.Store) *Orders { return &Orders{store: s} }

// Summary counts the items of each order: a helper runs one query per order.
func (o *Orders) Summary(ctx context.Context, userID int64) (map[int64]int, error) {
	ids, err := o.store.Orders(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := map[int64]int{}
	for _, id := range ids {
		out[id] = o.count(ctx, id)
	}
	metrics.Inc("summary")
	return out, nil
}

func (o *Orders) count(ctx context.Context, id int64) int {
	n, _ := o.store.Items(ctx, id)
	return n
}

func (o *Orders) Status(ctx context.Context, id int64) string {
	s, _ := o.store.Status(ctx, id)
	return s
}
'''

NET_HTTP = '''package main

import (
	"database/sql"
	"encoding/json"
	"net/http"

	"example.com/shop/service"
	"example.com/shop/store"
)

type api struct {
	orders *service.Orders
}

func main() {
	db, _ := sql.Open("mysql", "dsn")
	a := &api{orders: service.NewOrders(store.New(db))}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}/summary", a.summary)
	mux.Handle("/orders/status", http.HandlerFunc(a.status))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.Handle("/statuses", &statusHandler{orders: a.orders})
	mux.Handle("/statuses/v2", newStatusHandler(a.orders))
	http.ListenAndServe(":8080", mux)
}

func (a *api) summary(w http.ResponseWriter, r *http.Request) {
	out, _ := a.orders.Summary(r.Context(), 7)
	json.NewEncoder(w).Encode(out)
}

type statusHandler struct {
	orders *service.Orders
}

func newStatusHandler(o *service.Orders) *statusHandler { return &statusHandler{orders: o} }

func (h *statusHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte(h.orders.Status(r.Context(), 2)))
}

func (a *api) status(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte(a.orders.Status(r.Context(), 1)))
}
'''

GIN = '''package web

import (
	"github.com/gin-gonic/gin"

	"example.com/shop/service"
)

func Routes(r *gin.Engine, orders *service.Orders) {
	v1 := r.Group("/v1")
	admin := v1.Group("/admin")
	v1.GET("/orders/:id/status", func(c *gin.Context) { c.String(200, orders.Status(c, 1)) })
	admin.POST("/users/:id/summary", auth(), summaryHandler(orders))
	r.Any("/ping", ping)
	r.Handle("PUT", "/v2/orders/:id", ping)
	UsersRegister(v1.Group("/users"))
	AccountRegister(admin)
}

// UsersRegister is how many gin apps split their routes: a function per resource taking the group.
func UsersRegister(router *gin.RouterGroup) {
	router.POST("/", ping)
	router.GET("/:id", ping)
}

func AccountRegister(router *gin.RouterGroup) {
	router.GET("/account", ping)
}

// TagsRegister is called by no one in the repository: its routes have no prefix.
func TagsRegister(router *gin.RouterGroup) {
	router.GET("/tags", ping)
}

func ping(c *gin.Context) {}

func auth() gin.HandlerFunc { return nil }

func summaryHandler(o *service.Orders) gin.HandlerFunc {
	return func(c *gin.Context) {
		out, _ := o.Summary(c, 7)
		c.JSON(200, out)
	}
}
'''

ECHO = '''package web

import (
	"github.com/labstack/echo/v4"
)

func EchoRoutes(e *echo.Echo) {
	g := e.Group("/api")
	g.GET("/items/:id", items, logger)
}

func items(c echo.Context) error { return nil }

func logger(next echo.HandlerFunc) echo.HandlerFunc { return next }
'''

CHI = '''package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

func ChiRoutes(r chi.Router) {
	r.Route("/shop", func(r chi.Router) {
		r.Get("/carts/{id}", cart)
		r.With(limit).Put("/carts/{id}", cart)
		r.Route("/admin", func(r chi.Router) {
			r.Delete("/carts/{id}", cart)
		})
	})
	r.Group(func(r chi.Router) {
		r.Post("/checkout", cart)
	})
	r.Method("PATCH", "/carts/{id}", http.HandlerFunc(cart))
	r.Mount("/debug", http.DefaultServeMux)
	r.Mount("/admin", adminRouter())
}

func adminRouter() chi.Router {
	r := chi.NewRouter()
	r.Get("/stats", cart)
	return r
}

func cart(w http.ResponseWriter, r *http.Request) {}

func limit(next http.Handler) http.Handler { return next }
'''

GORILLA = '''package web

import (
	"net/http"

	"github.com/gorilla/mux"
)

func MuxRoutes() *mux.Router {
	r := mux.NewRouter()
	api := r.PathPrefix("/m").Subrouter()
	api.HandleFunc("/orders/{id}", order).Methods("GET", "HEAD")
	api.HandleFunc("/orders", order).Methods(http.MethodPost)
	client := &http.Client{}
	client.Get("https://example.com/x")
	return r
}

func order(w http.ResponseWriter, r *http.Request) {}
'''


def project(tmp_path: Path) -> EndpointMap:
    files = {"go.mod": GO_MOD, "store/store.go": STORE, "service/orders.go": SERVICE, "cmd/api/main.go": NET_HTTP,
             "web/gin.go": GIN, "web/echo.go": ECHO, "web/chi.go": CHI, "web/gorilla.go": GORILLA}
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        return build_map(["."], Config(root=tmp_path), tmp_path, jobs=1)
    finally:
        os.chdir(previous)


def routes(emap: EndpointMap) -> dict[tuple[str, str], object]:
    return {(" ".join(c.endpoint.methods), c.endpoint.route): c for c in emap.chains}


def test_routes_of_every_router_with_their_prefixes(tmp_path: Path) -> None:
    found = routes(project(tmp_path))
    assert set(found) == {
        ("GET", "/users/{id}/summary"), ("ANY", "/orders/status"), ("ANY", "/healthz"),  # net/http, Go 1.22
        ("ANY", "/statuses"), ("ANY", "/statuses/v2"),
        ("GET", "/v1/orders/:id/status"), ("POST", "/v1/admin/users/:id/summary"), ("ANY", "/ping"),  # gin
        ("PUT", "/v2/orders/:id"), ("POST", "/v1/users/"), ("GET", "/v1/users/:id"), ("GET", "/v1/admin/account"),
        ("GET", "/tags"),
        ("GET", "/api/items/:id"),  # echo
        ("GET", "/shop/carts/{id}"), ("DELETE", "/shop/admin/carts/{id}"), ("POST", "/checkout"),  # chi
        ("PATCH", "/carts/{id}"), ("PUT", "/shop/carts/{id}"), ("GET", "/admin/stats"),
        ("GET HEAD", "/m/orders/{id}"), ("POST", "/m/orders"),  # gorilla
    }
    frameworks = {route: chain.endpoint.framework for (_, route), chain in found.items()}
    assert frameworks["/v1/orders/:id/status"] == "gin" and frameworks["/api/items/:id"] == "echo"
    assert frameworks["/checkout"] == "chi" and frameworks["/m/orders/{id}"] == "gorilla"
    assert frameworks["/users/{id}/summary"] == "net/http"
    assert found[("GET", "/api/items/:id")].endpoint.handler.qualname == "items"  # echo: not the middleware
    assert found[("ANY", "/ping")].endpoint.handler.qualname == "ping"


def test_a_handler_factory_is_followed_and_a_mount_is_not_mapped(tmp_path: Path) -> None:
    emap = project(tmp_path)
    summary = routes(emap)[("POST", "/v1/admin/users/:id/summary")]
    assert summary.endpoint.handler.qualname == "summaryHandler"  # the closure it returns is in its body
    assert [q.query.query.scope for q in summary.queries] == ["(*Store).Orders", "(*Store).Items"]
    assert any("router mounted at '/debug'" in n.message for n in emap.notes)


def test_the_chain_crosses_packages_and_finds_the_n_plus_one_through_a_helper(tmp_path: Path) -> None:
    chain = routes(project(tmp_path))[("GET", "/users/{id}/summary")]
    assert chain.endpoint.handler.qualname == "(*api).summary"
    assert [q.via() for q in chain.queries] == [
        "(*api).summary → (*Orders).Summary → (*Store).Orders",
        "(*api).summary → (*Orders).Summary → (*Orders).count → (*Store).Items",
    ]
    assert [q.loop_depth for q in chain.queries] == [0, 1]
    [n_plus_one] = [f for f in chain.findings if f.rule == "M002"]
    assert n_plus_one.path == "service/orders.go" and n_plus_one.line == 24  # the call of o.count in the loop
    # metrics.Inc is another module's code: the chain says it stops there; the standard library is quiet
    assert [(s.callee, s.reason) for s in chain.stops] == [("metrics.Inc", "outside the repository (github.com/acme/metrics)")]


def test_handlers_written_in_place_and_wrapped_in_handlerfunc_are_followed(tmp_path: Path) -> None:
    found = routes(project(tmp_path))
    status = found[("ANY", "/orders/status")]
    assert [q.query.query.scope for q in status.queries] == ["(*Store).Status"]
    for route in ("/statuses", "/statuses/v2"):  # an http.Handler value: its ServeHTTP serves
        served = found[("ANY", route)]
        assert served.endpoint.handler.qualname == "(*statusHandler).ServeHTTP"
        assert [q.query.query.scope for q in served.queries] == ["(*Store).Status"]
    inline = found[("GET", "/v1/orders/:id/status")]
    assert inline.endpoint.handler.qualname.startswith("Routes.func@")
    assert [q.query.query.scope for q in inline.queries] == ["(*Store).Status"]


def test_concrete_urls_select_gin_and_go_1_22_routes(tmp_path: Path) -> None:
    chains = project(tmp_path).chains
    assert [c.endpoint.route for c in select_endpoints(chains, "GET /v1/orders/42/status")] == ["/v1/orders/:id/status"]
    assert [c.endpoint.route for c in select_endpoints(chains, "GET /users/7/summary")] == ["/users/{id}/summary"]


def test_goapp_fixture_endpoints_on_the_command_line() -> None:
    previous = os.getcwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(main, ["endpoints", "fixtures/goapp", "--isolated"], catch_exceptions=False)
    finally:
        os.chdir(previous)
    assert result.exit_code == 0
    rows = {line.split()[1]: line.split() for line in result.stdout.splitlines() if line.startswith("ANY")}
    assert rows["/orders/items"][2] == "(*server).ordersWithItems" and rows["/orders/items"][5:7] == ["warning", "M002"]
    assert rows["/orders"][4] == "1" and rows["/healthz"][4] == "0"
