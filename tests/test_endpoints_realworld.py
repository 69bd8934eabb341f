"""Endpoint maps of code shaped like real applications (the patterns met on public gin, Flask, FastAPI,
Django and Spring projects that the fixtures did not have): each test is one pattern, in a small project."""

from __future__ import annotations

import os
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
