"""The endpoint map: HTTP endpoints of an application, the calls their handlers make through the
repository, and the queries those calls reach, in order — for ``sqllint endpoints``, ``sqllint explain
--endpoint`` and ``sqllint report --html``.

One job per module — ``model`` (records), ``pyindex``/``pyresolve`` (what Python names refer to),
``pycalls`` (a function's calls in evaluation order), ``pyroutes`` (Flask, FastAPI), ``pydepends`` (FastAPI
dependencies), ``django`` (URLconfs, generic views), ``drf`` (REST framework routers), ``spring``/``springannotations``
(Spring MVC controllers, tree-sitter), ``springconfig`` (Spring Boot's context path from application.properties/.yml),
``goroutes``/``goindex``/``gowiring``/``gosyntax`` (Go routes of net/http, gorilla/mux, gin, echo, chi, their
middleware, and the Go call graph through interface fields), ``chain`` (following calls; endpoint-level findings from
the scope rules), ``match`` (selectors such as ``"GET /orders"``, with or without the prefix), ``build``
(all of it over one static run), ``plans`` (estimated rows from the EXPLAIN stage), ``check`` (the
endpoint-level findings as findings of ``check --endpoints``).
"""
