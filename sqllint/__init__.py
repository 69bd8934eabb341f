"""sqllint: a MySQL query-regression linter."""

__version__ = "0.1.0"
