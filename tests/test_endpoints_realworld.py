"""Endpoint maps of code shaped like real applications (the patterns met on public gin, Flask, FastAPI,
Django and Spring projects that the fixtures did not have): each test is one pattern, in a small project."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqllint.config import Config
from sqllint.endpoints.build import EndpointMap, build_map


def build(tmp_path: Path, files: dict[str, str]) -> EndpointMap:
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


def by_label(emap: EndpointMap) -> dict[str, object]:
    return {chain.endpoint.label: chain for chain in emap.chains}


def scopes(chain: object) -> list[str]:
    return [q.query.query.scope for q in chain.queries]  # type: ignore[attr-defined]


# --- Go ---------------------------------------------------------------------------------------------------

GIN_MODELS = '''package models

import "example.com/blog/db"

type ArticleModel struct{}

func (m ArticleModel) One(id int64) (title string, err error) {
	err = db.GetDB().QueryRow("SELECT title FROM article WHERE id = ?", id).Scan(&title)
	return title, err
}

type UserModel struct{}

func (m UserModel) One(id int64) (name string, err error) {
	err = db.GetDB().QueryRow("SELECT name FROM user WHERE id = ?", id).Scan(&name)
	return name, err
}
'''

GIN_CONTROLLERS = '''package controllers

import (
	"example.com/blog/models"
	"github.com/gin-gonic/gin"
)

type ArticleController struct{}

var articleModel = new(models.ArticleModel)

func (ctrl ArticleController) One(c *gin.Context) {
	title, _ := articleModel.One(1)
	c.JSON(200, title)
}

type UserController struct{}

var userModel models.UserModel

func (ctrl UserController) One(c *gin.Context) {
	name, _ := userModel.One(1)
	c.JSON(200, name)
}
'''

GIN_MAIN = '''package main

import (
	"example.com/blog/controllers"
	"github.com/gin-gonic/gin"
)

func main() {
	r := gin.Default()
	v1 := r.Group("/v1")
	{
		article := new(controllers.ArticleController)
		v1.GET("/article/:id", article.One)
		user := new(controllers.UserController)
		v1.GET("/user/:id", user.One)
	}
	r.Run()
}
'''


def test_go_handlers_and_models_held_by_new_and_package_level_variables(tmp_path: Path) -> None:
    """gin-boilerplate style: ``ctrl := new(Controller)`` in main, ``var model = new(models.Model)`` at
    package level; both types have a method ``One``, so only the stated types tell them apart."""
    found = by_label(build(tmp_path, {"go.mod": "module example.com/blog\n\ngo 1.21\n", "models/models.go": GIN_MODELS,
                                      "controllers/controllers.go": GIN_CONTROLLERS, "main.go": GIN_MAIN}))
    article, user = found["GET /v1/article/:id"], found["GET /v1/user/:id"]
    assert article.endpoint.handler.qualname == "ArticleController.One"
    assert user.endpoint.handler.qualname == "UserController.One"
    assert scopes(article) == ["ArticleModel.One"] and scopes(user) == ["UserModel.One"]


LAYERED_REPO = '''package mysql

import "database/sql"

type ArticleRepository struct{ Conn *sql.DB }

func NewArticleRepository(conn *sql.DB) *ArticleRepository { return &ArticleRepository{conn} }

func (m *ArticleRepository) GetByID(id int64) (string, error) {
	var title string
	err := m.Conn.QueryRow("SELECT title FROM article WHERE id = ?", id).Scan(&title)
	return title, err
}
'''

LAYERED_SERVICE = '''package article

type Repository interface {
	GetByID(id int64) (string, error)
}

type Service struct {
	repo Repository
}

func NewService(r Repository) *Service { return &Service{repo: r} }

func (s *Service) GetByID(id int64) (string, error) { return s.repo.GetByID(id) }
'''

LAYERED_REST = '''package rest

import "github.com/labstack/echo/v4"

type ArticleService interface {
	GetByID(id int64) (string, error)
}

type ArticleHandler struct {
	Service ArticleService
}

func NewArticleHandler(e *echo.Echo, svc ArticleService) {
	handler := &ArticleHandler{Service: svc}
	e.GET("/articles/:id", handler.GetByID)
}

func (a *ArticleHandler) GetByID(c echo.Context) error {
	title, _ := a.Service.GetByID(1)
	return c.JSON(200, title)
}
'''

LAYERED_MAIN = '''package main

import (
	"database/sql"

	"github.com/labstack/echo/v4"

	"example.com/arch/article"
	"example.com/arch/rest"
	mysqlRepo "example.com/arch/mysql"
)

func main() {
	db, _ := sql.Open("mysql", "")
	e := echo.New()
	repo := mysqlRepo.NewArticleRepository(db)
	svc := article.NewService(repo)
	rest.NewArticleHandler(e, svc)
}
'''


def test_go_calls_through_interface_fields_follow_what_the_constructors_are_given(tmp_path: Path) -> None:
    """go-clean-arch style: handler → service → repository, each held behind an interface in a struct
    field, with the same method name on every layer; main wires the concrete types."""
    emap = build(tmp_path, {"go.mod": "module example.com/arch\n\ngo 1.20\n", "mysql/article.go": LAYERED_REPO,
                            "article/service.go": LAYERED_SERVICE, "rest/article.go": LAYERED_REST,
                            "main.go": LAYERED_MAIN})
    chain = by_label(emap)["GET /articles/:id"]
    assert [q.via() for q in chain.queries] == [
        "(*ArticleHandler).GetByID → (*Service).GetByID → (*ArticleRepository).GetByID"]


# --- FastAPI ---------------------------------------------------------------------------------------------

FASTAPI_CONFIG = '''API_PREFIX = "/api"
'''

FASTAPI_MAIN = '''from fastapi import Depends, FastAPI

from app.config import API_PREFIX
from app.dependencies import audit
from app.routes import router as api_router
from app.settings import settings


def get_application() -> FastAPI:
    application = FastAPI()
    application.include_router(api_router, prefix=API_PREFIX, dependencies=[Depends(audit)])
    application.include_router(api_router, prefix=settings.legacy_prefix)
    return application


app = get_application()
'''

FASTAPI_DEPENDENCIES = '''from fastapi import Depends, Path

from app.repositories import ArticlesRepository, UsersRepository


def get_db():
    return None


def audit(users: UsersRepository = Depends(get_repository(UsersRepository))):
    users.log_access()


def get_repository(repo_type):
    def _get_repo(db=Depends(get_db)):
        return repo_type(db)

    return _get_repo


def get_current_user(users: UsersRepository = Depends(get_repository(UsersRepository))):
    return users.get_user(1)


def get_article_by_slug_from_path(
    slug: str = Path(...),
    articles_repo: ArticlesRepository = Depends(get_repository(ArticlesRepository)),
):
    return articles_repo.get_article_by_slug(slug)
'''

FASTAPI_REPOSITORIES = '''class UsersRepository:
    def __init__(self, conn):
        self.conn = conn

    def get_user(self, user_id):
        return self.conn.execute("SELECT * FROM users WHERE id = %s", (user_id,))

    def log_access(self):
        self.conn.execute("INSERT INTO access_log (at) VALUES (NOW())")


class ArticlesRepository:
    def __init__(self, conn):
        self.conn = conn

    def get_article_by_slug(self, slug):
        return self.conn.execute("SELECT * FROM articles WHERE slug = %s", (slug,))

    def delete_article(self, article_id):
        self.conn.execute("DELETE FROM articles WHERE id = %s", (article_id,))
'''

FASTAPI_ROUTES = '''from fastapi import APIRouter, Depends

from app.dependencies import get_article_by_slug_from_path, get_current_user, get_repository
from app.repositories import ArticlesRepository

router = APIRouter(prefix="/articles", dependencies=[Depends(get_db)])


@router.delete("/{slug}", dependencies=[Depends(get_current_user)])
def delete_article_by_slug(
    article=Depends(get_article_by_slug_from_path),
    articles_repo: ArticlesRepository = Depends(get_repository(ArticlesRepository)),
):
    articles_repo.delete_article(article["id"])
'''


def test_fastapi_prefix_from_an_imported_constant_and_the_queries_of_dependencies(tmp_path: Path) -> None:
    """fastapi-realworld-example-app: ``prefix=API_PREFIX`` imported from the config module; the user and
    the article are loaded by dependencies (one of them a closure a factory returns) before the handler."""
    emap = build(tmp_path, {"app/__init__.py": "", "app/config.py": FASTAPI_CONFIG, "app/main.py": FASTAPI_MAIN,
                            "app/dependencies.py": FASTAPI_DEPENDENCIES, "app/repositories.py": FASTAPI_REPOSITORIES,
                            "app/routes.py": FASTAPI_ROUTES})
    found = by_label(emap)
    assert "DELETE /api/articles/{slug}" in found
    chain = found["DELETE /api/articles/{slug}"]
    # include_router(…, dependencies=[Depends(audit)]) first, then the router's, the decorator's, the handler's
    assert [h.qualname for h in chain.endpoint.hooks] == [
        "get_db", "get_repository.<locals>._get_repo", "audit", "get_current_user", "get_article_by_slug_from_path"]
    assert scopes(chain) == ["UsersRepository.log_access", "UsersRepository.get_user",
                             "ArticlesRepository.get_article_by_slug", "ArticlesRepository.delete_article"]
    assert chain.queries[1].via() == "get_current_user → UsersRepository.get_user"
    # settings.legacy_prefix is known only at run time: listed without it, and said so
    assert "DELETE /articles/{slug}" in found  # the mount without the audit dependency
    assert "audit" not in [h.qualname for h in found["DELETE /articles/{slug}"].endpoint.hooks]
    assert any("settings.legacy_prefix is computed at run time" in n.message for n in emap.notes)


# --- Spring (explain --endpoint) -----------------------------------------------------------------------

POST_CONTROLLER = '''package com.example.web;

import com.example.service.PostService;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/system/post")
public class PostController {
    @Autowired
    private PostService postService;

    @DeleteMapping("/{postIds}")
    public int remove(@PathVariable Long[] postIds) {
        return postService.deletePostByIds(postIds);
    }

    @PostMapping
    public int add(@RequestBody Post post) {
        return postService.insertPost(post);
    }
}
'''

POST_SERVICE = '''package com.example.service;

import com.example.mapper.PostMapper;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Service;

@Service
public class PostService {
    @Autowired
    private PostMapper postMapper;

    public Post selectPostById(Long postId) {
        return postMapper.selectPostById(postId);
    }

    public int deletePostByIds(Long[] postIds) {
        for (Long postId : postIds) {
            Post post = selectPostById(postId);
        }
        return postMapper.deletePostByIds(postIds);
    }

    public int insertPost(Post post) {
        return postMapper.insertPost(post);
    }
}
'''

POST_MAPPER = '''package com.example.mapper;

public interface PostMapper {
    Post selectPostById(Long postId);
    int deletePostByIds(Long[] postIds);
    int insertPost(Post post);
}
'''

POST_XML = '''<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE mapper PUBLIC "-//mybatis.org//DTD Mapper 3.0//EN" "http://mybatis.org/dtd/mybatis-3-mapper.dtd">
<mapper namespace="com.example.mapper.PostMapper">
    <select id="selectPostById" resultType="map">select post_id, post_name from sys_post where post_id = #{postId}</select>
    <delete id="deletePostByIds">delete from sys_post where post_id in
        <foreach collection="array" item="postId" open="(" separator="," close=")">#{postId}</foreach>
    </delete>
    <insert id="insertPost">insert into sys_post (post_name) values (#{postName})</insert>
</mapper>
'''


def test_explain_endpoint_shows_the_n_plus_one_of_a_loop_in_a_service(tmp_path: Path) -> None:
    """RuoYi's deletePostByIds: the loop calls the service's own selectPostById, whose mapper call is the
    query. The static run reports the N+1 at the call in the loop, which is no query site of the chain:
    explain --endpoint must still show it (and fail on it), not 'no N+1 beyond the findings above'."""
    from click.testing import CliRunner

    from sqllint.cli import main

    files = {"src/main/java/com/example/web/PostController.java": POST_CONTROLLER,
             "src/main/java/com/example/service/PostService.java": POST_SERVICE,
             "src/main/java/com/example/mapper/PostMapper.java": POST_MAPPER,
             "src/main/resources/mapper/PostMapper.xml": POST_XML}
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(main, ["explain", "--no-cache", "--isolated", "--endpoint",
                                           "DELETE /system/post/{postIds}"], catch_exceptions=False)
    finally:
        os.chdir(previous)
    out = result.stdout
    assert "1. src/main/java/com/example/service/PostService.java:13  via PostController.remove → " \
           "PostService.deletePostByIds → PostService.selectPostById  [in a loop]" in out
    tail = out.split("across the call chain")[1]
    assert "M002 warning  src/main/java/com/example/service/PostService.java:18" in tail
    assert result.exit_code == 1


# --- Django ---------------------------------------------------------------------------------------------

DJANGO_ROOT_URLS = '''from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.decorators.cache import cache_page
from django.views.decorators.csrf import csrf_exempt

from api import views

urlpatterns = [
    path("api/", include("api.urls")),
    path("dashboard/", login_required(views.Dashboard.as_view())),
    path("hook/", csrf_exempt(views.hook)),
    path("stats/", cache_page(60)(views.stats)),
]
'''

DJANGO_API_URLS = '''from django.urls import path

from . import views

urlpatterns = [
    path("<int:id>/reset-password/", views.ResetPasswordView().as_view()),
]
'''

DJANGO_VIEWS = '''from django.db import connection
from django.views import View


class ResetPasswordView(View):
    def post(self, request, id):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE accounts SET password = %s WHERE id = %s", ["x", id])


class Dashboard(View):
    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM accounts WHERE active = %s", [1])
            return cursor.fetchone()


def hook(request):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO hooks (body) VALUES (%s)", [request.body])


def stats(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, COUNT(*) FROM orders GROUP BY status")
        return cursor.fetchall()
'''


def test_django_views_wrapped_in_decorators_and_as_view_on_an_instance(tmp_path: Path) -> None:
    """fastcp's urls: ``views.ResetPasswordView().as_view()``; and the usual wrappers around a view of the
    repository in a URLconf (login_required, csrf_exempt, cache_page(60)) — the views are the repository's."""
    emap = build(tmp_path, {"site/__init__.py": "", "site/urls.py": DJANGO_ROOT_URLS, "api/__init__.py": "",
                            "api/urls.py": DJANGO_API_URLS, "api/views.py": DJANGO_VIEWS})
    found = by_label(emap)
    assert found["POST /api/<int:id>/reset-password/"].endpoint.handler.qualname == "ResetPasswordView.post"
    assert found["GET /dashboard/"].endpoint.handler.qualname == "Dashboard.get"
    assert found["ANY /hook/"].endpoint.handler.qualname == "hook"
    assert found["ANY /stats/"].endpoint.handler.qualname == "stats"
    assert all(len(found[label].queries) == 1 for label in found), {k: len(c.queries) for k, c in found.items()}
    assert not [n for n in emap.notes if "not evident" in n.message]


SNIPPET_MAIN = '''package main

import (
	"database/sql"
	"net/http"

	"github.com/justinas/alice"
)

type application struct {
	db *sql.DB
}

func (app *application) requireAuthentication(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		app.db.QueryRow("SELECT COUNT(*) FROM sessions WHERE token = ?", r.Header.Get("X-Token")).Scan(&n)
		next.ServeHTTP(w, r)
	})
}

func (app *application) home(w http.ResponseWriter, r *http.Request) {
	rows, _ := app.db.Query("SELECT id, title FROM snippets ORDER BY id DESC LIMIT 10")
	defer rows.Close()
}

func (app *application) snippetCreatePost(w http.ResponseWriter, r *http.Request) {
	app.db.Exec("INSERT INTO snippets (title) VALUES (?)", r.FormValue("title"))
}

func (app *application) routes() http.Handler {
	mux := http.NewServeMux()
	dynamic := alice.New(noSurf)
	mux.Handle("GET /{$}", dynamic.ThenFunc(app.home))
	mux.Handle("POST /snippet/create", app.requireAuthentication(http.HandlerFunc(app.snippetCreatePost)))
	return mux
}

func noSurf(next http.Handler) http.Handler { return next }
'''


def test_go_handlers_wrapped_in_middleware(tmp_path: Path) -> None:
    """snippetbox: ``dynamic.ThenFunc(app.home)`` (alice, outside the repository) serves app.home; a
    middleware of the repository around the handler runs first, and its query counts for the endpoint."""
    from sqllint.endpoints.match import select_endpoints

    emap = build(tmp_path, {"go.mod": "module example.com/snippetbox\n\ngo 1.23\n", "cmd/web/main.go": SNIPPET_MAIN})
    found = by_label(emap)
    home, create = found["GET /{$}"], found["POST /snippet/create"]
    assert home.endpoint.handler.qualname == "(*application).home"
    assert scopes(home) == ["(*application).home"]
    assert create.endpoint.handler.qualname == "(*application).snippetCreatePost"
    assert [h.qualname for h in create.endpoint.hooks] == ["(*application).requireAuthentication"]
    assert [q.query.query.raw.split()[0] for q in create.queries] == ["SELECT", "INSERT"]
    assert select_endpoints(emap.chains, "GET /") == [home]  # {$}: exactly "/"


def post_project(tmp_path: Path) -> None:
    files = {"src/main/java/com/example/web/PostController.java": POST_CONTROLLER,
             "src/main/java/com/example/service/PostService.java": POST_SERVICE,
             "src/main/java/com/example/mapper/PostMapper.java": POST_MAPPER,
             "src/main/resources/mapper/PostMapper.xml": POST_XML}
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def run_cli(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from sqllint.cli import main

    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(previous)


def test_endpoints_on_a_staging_database_without_the_applications_tables(tmp_path: Path, scratch_db) -> None:  # type: ignore[no-untyped-def]
    """A real application's schema is rarely on the staging server at first: every EXPLAIN fails with E010.
    The map still lists every endpoint, says once why the estimates are missing, and the worst column keeps
    showing the N+1 rather than the E010 of the same severity."""
    post_project(tmp_path)
    result = run_cli(tmp_path, "endpoints", "--isolated", "--no-cache", "--dsn", scratch_db().dsn)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("DELETE"))
    assert "warning M002" in row and "E010" not in row
    # the INSERT … VALUES has nothing to explain: it is no failure
    assert "2 of 3 query sites could not be explained on the staging database (E010)" in result.stdout
    assert "doesn't exist" in result.stdout


def test_html_report_says_why_a_query_has_no_plan(tmp_path: Path, scratch_db) -> None:  # type: ignore[no-untyped-def]
    """The page's banner is a warning, not a success, when the database answered but could not explain
    the queries; each query says why it has no plan (EXPLAIN's error, also for a mapper call explained
    where the statement is defined; nothing to explain for INSERT … VALUES) instead of 'not explained'."""
    post_project(tmp_path)
    result = run_cli(tmp_path, "report", "--isolated", "--no-cache", "--html", "out.html", "--dsn", scratch_db().dsn)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out.html").read_text()
    assert '<div class="banner" id="database">' in page and "2 of 3 query sites could not be explained" in page
    reasons = re.findall(r'class="no-plan">([^<]*)', page)
    assert reasons and not [r for r in reasons if "not explained" in r], reasons
    assert sum("EXPLAIN failed: Table" in r and "sys_post" in r for r in reasons) == 2  # the SELECT and the DELETE
    assert any("nothing to explain" in r for r in reasons)


SPRING_API = '''package com.ex.api;

import org.springframework.web.bind.annotation.*;

@RequestMapping("/api/orders")
public interface OrderApi {
    @GetMapping("/{id}")
    Order get(@PathVariable("id") Long id);
}
'''

SPRING_ORDER_CONTROLLER = '''package com.ex.web;

import com.ex.api.OrderApi;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.*;

@RestController
public class OrderController implements OrderApi {
    private JdbcTemplate jdbc;

    @Override
    public Order get(Long id) {
        return jdbc.queryForObject("SELECT * FROM orders WHERE id = ?", Order.class, id);
    }
}
'''

SPRING_BASE = '''package com.ex.web;

import org.springframework.web.bind.annotation.*;

public abstract class BaseController {
    @GetMapping("/count")
    public int count() { return 0; }

    @GetMapping("/export")
    public String export() { return ""; }
}
'''

SPRING_USER_CONTROLLER = '''package com.ex.web;

import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/users")
public class UserController extends BaseController {
    @GetMapping("/{id}")
    public String get(@PathVariable Long id) { return ""; }

    @Override
    @GetMapping("/export.csv")
    public String export() { return "csv"; }
}
'''


def test_spring_mappings_declared_on_an_interface_or_inherited_from_a_base_controller(tmp_path: Path) -> None:
    """``class OrderController implements OrderApi`` (the OpenAPI generator's layout: the mapping and the
    prefix on the interface, the code in the controller) and mappings a base controller gives every
    subclass under the subclass's prefix, unless the subclass maps the method again."""
    emap = build(tmp_path, {"src/main/java/com/ex/api/OrderApi.java": SPRING_API,
                            "src/main/java/com/ex/web/OrderController.java": SPRING_ORDER_CONTROLLER,
                            "src/main/java/com/ex/web/BaseController.java": SPRING_BASE,
                            "src/main/java/com/ex/web/UserController.java": SPRING_USER_CONTROLLER})
    found = by_label(emap)
    assert set(found) == {"GET /api/orders/{id}", "GET /users/{id}", "GET /users/count", "GET /users/export.csv"}
    order = found["GET /api/orders/{id}"]
    assert order.endpoint.handler.qualname == "OrderController.get"
    assert scopes(order) == ["OrderController.get"]
    assert found["GET /users/count"].endpoint.handler.qualname == "BaseController.count"
    assert found["GET /users/export.csv"].endpoint.handler.qualname == "UserController.export"


def test_spring_call_of_an_interface_with_several_implementations_says_so(tmp_path: Path) -> None:
    notifier = "package com.ex.service;\npublic interface Notifier { void send(String text); }\n"
    mail = "package com.ex.service;\npublic class MailNotifier implements Notifier { public void send(String t) {} }\n"
    sms = "package com.ex.service;\npublic class SmsNotifier implements Notifier { public void send(String t) {} }\n"
    controller = '''package com.ex.web;

import com.ex.service.Notifier;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.web.bind.annotation.*;

@RestController
public class NotifyController {
    @Autowired
    private Notifier notifier;

    @PostMapping("/notify")
    public void send() { notifier.send("hi"); }
}
'''
    emap = build(tmp_path, {"src/main/java/com/ex/service/Notifier.java": notifier,
                            "src/main/java/com/ex/service/MailNotifier.java": mail,
                            "src/main/java/com/ex/service/SmsNotifier.java": sms,
                            "src/main/java/com/ex/web/NotifyController.java": controller})
    [stop] = by_label(emap)["POST /notify"].stops
    assert stop.reason.startswith("2 implementations in the repository (MailNotifier, SmsNotifier)")


SOCIAL_STORE = '''package store

import (
	"context"
	"database/sql"
)

type Storage struct {
	Posts interface {
		GetByID(context.Context, int64) (string, error)
	}
	Users interface {
		GetByID(context.Context, int64) (string, error)
	}
}

func NewStorage(db *sql.DB) Storage {
	return Storage{Posts: &PostStore{db}, Users: &UserStore{db}}
}

type PostStore struct{ db *sql.DB }

func (s *PostStore) GetByID(ctx context.Context, id int64) (string, error) {
	var title string
	err := s.db.QueryRowContext(ctx, "SELECT title FROM posts WHERE id = ?", id).Scan(&title)
	return title, err
}

type UserStore struct{ db *sql.DB }

func (s *UserStore) GetByID(ctx context.Context, id int64) (string, error) {
	var name string
	err := s.db.QueryRowContext(ctx, "SELECT name FROM users WHERE id = ?", id).Scan(&name)
	return name, err
}
'''

SOCIAL_MOCKS = '''package store

import "context"

func NewMockStore() Storage {
	return Storage{Users: &MockUserStore{}}
}

type MockUserStore struct{}

func (m *MockUserStore) GetByID(ctx context.Context, id int64) (string, error) { return "", nil }
'''

SOCIAL_API = '''package main

import (
	"net/http"

	"example.com/social/internal/store"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

type application struct {
	store store.Storage
}

func (app *application) authTokenMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app.store.Users.GetByID(r.Context(), 1)
		next.ServeHTTP(w, r)
	})
}

func (app *application) BasicAuthMiddleware() func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler { return next }
}

func (app *application) getPostHandler(w http.ResponseWriter, r *http.Request) {
	app.store.Posts.GetByID(r.Context(), 1)
}

func (app *application) healthCheckHandler(w http.ResponseWriter, r *http.Request) {}

func (app *application) mount() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Logger)
	r.Route("/v1", func(r chi.Router) {
		r.With(app.BasicAuthMiddleware()).Get("/health", app.healthCheckHandler)
		r.Route("/posts", func(r chi.Router) {
			r.Use(app.authTokenMiddleware)
			r.Get("/{postID}", app.getPostHandler)
		})
	})
	return r
}
'''

GIN_MW = '''package main

import (
	"database/sql"

	"github.com/gin-gonic/gin"
)

var db *sql.DB

func AuthRequired() gin.HandlerFunc {
	return func(c *gin.Context) {
		db.QueryRow("SELECT id FROM sessions WHERE token = ?", c.GetHeader("X-Token"))
	}
}

func Audit(c *gin.Context) {
	db.Exec("INSERT INTO audit (path) VALUES (?)", c.Request.URL.Path)
}

func listOrders(c *gin.Context) {
	db.Query("SELECT id FROM orders")
}

func main() {
	r := gin.Default()
	admin := r.Group("/admin", AuthRequired())
	admin.Use(Audit)
	admin.GET("/orders", listOrders)
	r.GET("/public/orders", Audit, listOrders)
	r.Run()
}
'''


def test_go_router_middleware_runs_before_the_handler(tmp_path: Path) -> None:
    """gopher-social (chi): ``r.Use(app.authTokenMiddleware)`` inside a Route reads the user on every
    request of that route; ``r.With(mw).Get`` applies to one route. gin: ``Group(path, mw)``,
    ``group.Use(mw)`` and middleware handed before the handler. The store's fields are interfaces wired
    to the real stores; a mock store wired in mocks.go does not make the call ambiguous."""
    emap = build(tmp_path, {"go.mod": "module example.com/social\n\ngo 1.22\n",
                            "internal/store/storage.go": SOCIAL_STORE, "internal/store/mocks.go": SOCIAL_MOCKS,
                            "cmd/api/api.go": SOCIAL_API, "cmd/gin/main.go": GIN_MW})
    found = by_label(emap)
    post = found["GET /v1/posts/{postID}"]
    assert [h.qualname for h in post.endpoint.hooks] == ["(*application).authTokenMiddleware"]
    assert [q.via() for q in post.queries] == ["(*application).authTokenMiddleware → (*UserStore).GetByID",
                                               "(*application).getPostHandler → (*PostStore).GetByID"]
    assert [h.qualname for h in found["GET /v1/health"].endpoint.hooks] == ["(*application).BasicAuthMiddleware"]
    assert [h.qualname for h in found["GET /admin/orders"].endpoint.hooks] == ["AuthRequired", "Audit"]
    assert scopes(found["GET /admin/orders"]) == ["AuthRequired", "Audit", "listOrders"]
    assert [h.qualname for h in found["GET /public/orders"].endpoint.hooks] == ["Audit"]


DRF_URLS = '''from django.urls import include, path
from rest_framework import routers

from . import views

router = routers.DefaultRouter()
router.register("databases", views.DatabaseViewSet)
router.register("logs", views.LogViewSet)

urlpatterns = [path("api/", include(router.urls))]
'''

DRF_VIEWS = '''from django.db import connection
from rest_framework import mixins, viewsets

from .models import Database, Log


class DatabaseViewSet(viewsets.ModelViewSet):
    queryset = Database.objects.all()

    def get_queryset(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM databases WHERE owner_id = %s", [self.request.user.id])
            ids = [row[0] for row in cursor.fetchall()]
        return Database.objects.filter(pk__in=ids)

    def destroy(self, request, *args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM databases WHERE id = %s", [kwargs["pk"]])


class LogViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Log.objects.all()
'''


def test_drf_viewset_actions_inherited_from_rest_framework(tmp_path: Path) -> None:
    """fastcp's DatabaseViewSet(ModelViewSet) overrides destroy and a queryset method only: the other
    actions still answer (DRF's list, create, retrieve, update …) and run the repository's get_queryset."""
    emap = build(tmp_path, {"api/__init__.py": "", "api/urls.py": DRF_URLS, "api/views.py": DRF_VIEWS})
    found = by_label(emap)
    assert set(found) == {"GET /api/databases/", "POST /api/databases/", "GET /api/databases/<pk>/",
                          "PUT /api/databases/<pk>/", "PATCH /api/databases/<pk>/", "DELETE /api/databases/<pk>/",
                          "GET /api/logs/"}
    listing = found["GET /api/databases/"]
    assert listing.endpoint.handler.qualname == "DatabaseViewSet.get_queryset"
    assert listing.endpoint.note == "list is ModelViewSet's, running get_queryset of the repository"
    assert scopes(listing) == ["DatabaseViewSet.get_queryset"]
    assert found["POST /api/databases/"].endpoint.handler is None  # DRF's create, nothing of the repository
    assert found["DELETE /api/databases/<pk>/"].endpoint.handler.qualname == "DatabaseViewSet.destroy"
    assert found["GET /api/logs/"].endpoint.note == "list is ListModelMixin's (outside the repository)"


GENERIC_URLS = '''from django.urls import path

from . import views

urlpatterns = [
    path("reports/", views.ReportList.as_view()),
    path("about/", views.About.as_view()),
]
'''

GENERIC_VIEWS = '''from django.db import connection
from django.views.generic import ListView, TemplateView


class ReportList(ListView):
    template_name = "reports.html"

    def get_queryset(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, title FROM reports WHERE published = 1")
            return cursor.fetchall()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM reports")
            context["total"] = cursor.fetchone()[0]
        return context


class About(TemplateView):
    template_name = "about.html"
'''


def test_django_generic_views_run_the_overrides_of_the_repository(tmp_path: Path) -> None:
    emap = build(tmp_path, {"site/__init__.py": "", "site/urls.py": GENERIC_URLS, "site/views.py": GENERIC_VIEWS})
    found = by_label(emap)
    reports = found["GET /reports/"]
    assert reports.endpoint.note == "ListView's get/post, running get_queryset, get_context_data of the repository"
    assert scopes(reports) == ["ReportList.get_queryset", "ReportList.get_context_data"]
    assert found["GET /about/"].endpoint.handler is None


def test_flask_prefix_in_an_f_string_of_constants(tmp_path: Path) -> None:
    settings = 'API_VERSION = "v2"\n'
    app = '''from flask import Blueprint, Flask

from web.settings import API_VERSION

app = Flask(__name__)
orders = Blueprint("orders", __name__)


@orders.get("/orders")
def list_orders():
    return ""


app.register_blueprint(orders, url_prefix=f"/api/{API_VERSION}")
'''
    found = by_label(build(tmp_path, {"web/__init__.py": "", "web/settings.py": settings, "web/app.py": app}))
    assert set(found) == {"GET /api/v2/orders"}


IFACE_REPO = '''package repository

import "database/sql"

type UserRepository interface {
	GetUser(id int64) (string, error)
}

type userRepository struct{ db *sql.DB }

func NewUserRepository(db *sql.DB) UserRepository { return &userRepository{db: db} }

func (r *userRepository) GetUser(id int64) (string, error) {
	var name string
	err := r.db.QueryRow("SELECT name FROM users WHERE id = ?", id).Scan(&name)
	return name, err
}
'''

IFACE_SERVICE = '''package service

import "example.com/layers/repository"

type UserService interface {
	GetUser(id int64) (string, error)
}

type userService struct{ repo repository.UserRepository }

func NewUserService(repo repository.UserRepository) UserService { return &userService{repo: repo} }

func (s *userService) GetUser(id int64) (string, error) { return s.repo.GetUser(id) }
'''

IFACE_MAIN = '''package main

import (
	"database/sql"

	"example.com/layers/repository"
	"example.com/layers/service"
	"github.com/gin-gonic/gin"
)

type UserHandler struct{ service service.UserService }

func (h *UserHandler) GetUser(c *gin.Context) { h.service.GetUser(1) }

func main() {
	db, _ := sql.Open("mysql", "")
	userRepo := repository.NewUserRepository(db)
	userService := service.NewUserService(userRepo)
	h := &UserHandler{service: userService}
	r := gin.Default()
	r.GET("/users/:id", h.GetUser)
	r.Run()
}
'''


def test_go_constructors_declared_to_return_an_interface(tmp_path: Path) -> None:
    """The layout of many gin/echo services: ``func NewUserRepository(db) UserRepository { return
    &userRepository{db} }``, the same method name on the handler, the service and the repository."""
    emap = build(tmp_path, {"go.mod": "module example.com/layers\n\ngo 1.22\n", "repository/user.go": IFACE_REPO,
                            "service/user.go": IFACE_SERVICE, "main.go": IFACE_MAIN})
    chain = by_label(emap)["GET /users/:id"]
    assert [q.via() for q in chain.queries] == [
        "(*UserHandler).GetUser → (*userService).GetUser → (*userRepository).GetUser"]


GORILLA_MW = '''package main

import (
	"database/sql"
	"net/http"

	"github.com/gorilla/mux"
)

var db *sql.DB

func authMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		db.QueryRow("SELECT id FROM sessions WHERE token = ?", r.Header.Get("X-Token"))
		next.ServeHTTP(w, r)
	})
}

func listOrders(w http.ResponseWriter, r *http.Request) {
	db.Query("SELECT id FROM orders")
}

func main() {
	r := mux.NewRouter()
	r.Use(authMiddleware)
	api := r.PathPrefix("/api").Subrouter()
	api.HandleFunc("/orders", listOrders).Methods("GET")
	http.ListenAndServe(":8080", r)
}
'''


def test_gorilla_subrouter_runs_the_routers_middleware(tmp_path: Path) -> None:
    emap = build(tmp_path, {"go.mod": "module example.com/gm\n\ngo 1.22\n", "main.go": GORILLA_MW})
    chain = by_label(emap)["GET /api/orders"]
    assert [h.qualname for h in chain.endpoint.hooks] == ["authMiddleware"]
    assert scopes(chain) == ["authMiddleware", "listOrders"]


def test_what_runs_first_is_shown_in_json_explain_and_html(tmp_path: Path) -> None:
    import json

    (tmp_path / "go.mod").write_text("module example.com/gm\n\ngo 1.22\n")
    (tmp_path / "main.go").write_text(GORILLA_MW)
    document = json.loads(run_cli(tmp_path, "endpoints", "--isolated", "--format", "json").stdout)
    [endpoint] = document["endpoints"]
    assert endpoint["runs_first"] == [{"path": "main.go", "function": "authMiddleware"}]
    explained = run_cli(tmp_path, "explain", "--isolated", "--no-cache", "--endpoint", "GET /api/orders").stdout
    assert explained.splitlines()[1] == "  runs first: authMiddleware"
    assert run_cli(tmp_path, "report", "--isolated", "--html", "out.html").exit_code == 0
    assert 'runs first: <code>authMiddleware</code>' in (tmp_path / "out.html").read_text()


MALL_CONTROLLER = '''package com.macro.mall.controller;

import com.macro.mall.mapper.OmsOrderMapper;
import com.macro.mall.model.OmsOrder;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/order")
public class OmsOrderController {
    @Autowired
    private OmsOrderMapper orderMapper;
    @Autowired
    private ObjectMapper json;

    @PostMapping("/update/note")
    public String updateNote(@RequestParam("id") Long id, @RequestParam("note") String note) {
        OmsOrder order = new OmsOrder();
        order.setId(id);
        order.setNote(note);
        orderMapper.updateByPrimaryKeySelective(order);
        return json.writeValueAsString(order);
    }
}
'''


def test_spring_stops_at_a_module_not_scanned_and_not_at_bean_accessors(tmp_path: Path) -> None:
    """macrozheng/mall scanned module by module: mall-admin's service calls mapper and model classes of the
    application's package that live in mall-mbg. Those stops say to scan that module, not 'outside the
    repository'; a model's getters and setters are no stop at all."""
    emap = build(tmp_path, {"mall-admin/src/main/java/com/macro/mall/controller/OmsOrderController.java":
                            MALL_CONTROLLER})
    stops = {s.callee: s.reason for s in by_label(emap)["POST /order/update/note"].stops}
    assert set(stops) == {"com.macro.mall.mapper.OmsOrderMapper.updateByPrimaryKeySelective",
                          "com.fasterxml.jackson.databind.ObjectMapper.writeValueAsString"}
    assert stops["com.macro.mall.mapper.OmsOrderMapper.updateByPrimaryKeySelective"].startswith(
        "not in the scanned files (a class of the application's package com.macro.mall")
    assert stops["com.fasterxml.jackson.databind.ObjectMapper.writeValueAsString"] == "outside the repository"


def test_python_stop_at_a_module_of_the_application_that_was_not_scanned(tmp_path: Path) -> None:
    views = '''from flask import Flask

from shop.billing import charge
import requests

app = Flask(__name__)


@app.post("/pay")
def pay():
    charge(1)
    requests.post("https://psp.example/pay")
    return ""
'''
    emap = build(tmp_path, {"shop/__init__.py": "", "shop/views.py": views})  # shop/billing.py: not in the tree
    stops = {s.callee: s.reason for s in by_label(emap)["POST /pay"].stops}
    assert stops["shop.billing.charge"].startswith("not in the scanned files (a module of the application's package shop")
    assert stops["requests.post"] == "outside the repository"


AUTH_DEPENDENCIES = '''from fastapi import APIRouter, Depends


class UsersRepository:
    def __init__(self, conn=None):
        self.conn = conn

    def get_user_by_username(self, username):
        return self.conn.execute("SELECT * FROM users WHERE username = %s", (username,))


def _get_current_user(users_repo: UsersRepository = Depends(UsersRepository)):
    return users_repo.get_user_by_username("token-owner")


def _get_current_user_optional():
    return None


def get_current_user_authorizer(*, required: bool = True):
    return _get_current_user if required else _get_current_user_optional


router = APIRouter()


@router.get("/user")
def retrieve_current_user(user=Depends(get_current_user_authorizer())):
    return user


@router.get("/maybe-user")
def maybe_user(user=Depends(get_current_user_authorizer(required=False))):
    return user
'''


def test_fastapi_dependency_factory_returning_a_module_function(tmp_path: Path) -> None:
    """fastapi-realworld-example-app's ``Depends(get_current_user_authorizer())``: the factory returns one of
    two module functions; the required one reads the user on every request."""
    chain = by_label(build(tmp_path, {"api/__init__.py": "", "api/users.py": AUTH_DEPENDENCIES}))["GET /user"]
    assert "_get_current_user" in [h.qualname for h in chain.endpoint.hooks]
    assert scopes(chain) == ["UsersRepository.get_user_by_username"]
    optional = by_label(build(tmp_path, {}))["GET /maybe-user"]  # required=False: the other branch
    assert [h.qualname for h in optional.endpoint.hooks] == ["_get_current_user_optional"]


def test_middleware_queries_count_for_a_handler_from_outside_the_repository(tmp_path: Path) -> None:
    """gin's r.Static / a handler of another module behind the application's auth middleware: the
    middleware's session lookup still runs on every request of that route."""
    main = '''package main

import (
	"database/sql"

	"github.com/gin-gonic/gin"
	"github.com/swaggo/gin-swagger"
)

var db *sql.DB

func AuthRequired() gin.HandlerFunc {
	return func(c *gin.Context) {
		db.QueryRow("SELECT id FROM sessions WHERE token = ?", c.GetHeader("X-Token"))
	}
}

func main() {
	r := gin.Default()
	r.Use(AuthRequired())
	r.GET("/swagger/*any", ginSwagger.WrapHandler(nil))
	r.Run()
}
'''
    chain = by_label(build(tmp_path, {"go.mod": "module example.com/ext\n\ngo 1.22\n", "main.go": main}))["GET /swagger/*any"]
    assert chain.endpoint.handler is None
    assert scopes(chain) == ["AuthRequired"]


def test_spring_mapping_with_a_property_placeholder(tmp_path: Path) -> None:
    controller = '''package com.ex.web;

import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("${api.base-path}/orders")
public class OrderController {
    @GetMapping("/{id}")
    public String get(@PathVariable Long id) { return ""; }
}
'''
    from sqllint.endpoints.match import select_endpoints

    emap = build(tmp_path, {"src/main/java/com/ex/web/OrderController.java": controller})
    assert [c.endpoint.label for c in select_endpoints(emap.chains, "GET /api/v1/orders/42")] == [
        "GET /${api.base-path}/orders/{id}"]
    assert any("uses ${api.base-path}" in n.message for n in emap.notes)


RESTFUL_APP = '''from flask import Flask
from flask_restful import Api, Resource

app = Flask(__name__)
api = Api(app, prefix="/api")


class PsycopgResource(Resource):
    def __init__(self, **kwargs):
        self.conn = kwargs["psycopg2_connection"]

    def get(self):
        """Override in subclasses as needed."""
        raise NotImplementedError("This method should be overridden by subclasses")

    def post(self):
        raise NotImplementedError


class Agencies(PsycopgResource):
    def get(self):
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT id, name FROM agencies")
            return cursor.fetchall()


api.add_resource(Agencies, "/agencies", resource_class_kwargs={"psycopg2_connection": None})
'''


def test_flask_restful_base_resource_placeholders_are_no_endpoints(tmp_path: Path) -> None:
    """A base Resource declaring every verb with ``raise NotImplementedError``: a subclass answers only the
    verbs it overrides (POST /api/agencies would be invented otherwise)."""
    found = by_label(build(tmp_path, {"web/__init__.py": "", "web/app.py": RESTFUL_APP}))
    assert set(found) == {"GET /api/agencies"}
    assert scopes(found["GET /api/agencies"]) == ["Agencies.get"]


FACTORY_WRAPPED = '''package main

import (
	"database/sql"
	"net/http"
)

type server struct{ db *sql.DB }

func (s *server) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.db.QueryRow("SELECT id FROM sessions WHERE token = ?", r.Header.Get("X-Token"))
		next(w, r)
	}
}

func (s *server) handleOrders() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.db.Query("SELECT id FROM orders")
	}
}

func (s *server) routes() {
	http.HandleFunc("/orders", s.auth(s.handleOrders()))
}
'''


def test_go_middleware_around_a_handler_factory(tmp_path: Path) -> None:
    """Mat Ryer's layout: ``s.auth(s.handleOrders())`` — the factory serves, the wrapper runs first."""
    chain = by_label(build(tmp_path, {"go.mod": "module example.com/f\n\ngo 1.22\n", "main.go": FACTORY_WRAPPED}))[
        "ANY /orders"]
    assert chain.endpoint.handler.qualname == "(*server).handleOrders"
    assert [h.qualname for h in chain.endpoint.hooks] == ["(*server).auth"]
    assert scopes(chain) == ["(*server).auth", "(*server).handleOrders"]


def test_a_route_registered_twice_is_noted(tmp_path: Path) -> None:
    """The MethodView routes module above registers GET '<string:vote_uuid>' for GetVotes and again for
    GetDiscussion: the second never answers in Flask."""
    app = '''from flask import Blueprint, Flask
from flask.views import MethodView

app = Flask(__name__)
votes = Blueprint("votes", __name__, url_prefix="/votes")


class GetVotes(MethodView):
    def get(self, vote_uuid): ...


class GetDiscussion(MethodView):
    def get(self, vote_uuid): ...


votes.add_url_rule("<string:vote_uuid>", view_func=GetVotes.as_view("get_vote"), methods=["GET"])
votes.add_url_rule("<string:vote_uuid>", view_func=GetDiscussion.as_view("get_discussion"), methods=["GET"])
app.register_blueprint(votes)
'''
    emap = build(tmp_path, {"web/__init__.py": "", "web/app.py": app})
    [note] = [n for n in emap.notes if "registered again" in n.message]
    assert note.line == 17 and "GET /votes/<string:vote_uuid> is registered again (first at web/app.py:16)" in note.message
