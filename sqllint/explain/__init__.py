"""The staging-database stage: safe connection, typed binding, plan model, plan rules' input.

One job per module — ``dsn`` (where, and the password masked), ``settings`` (config), ``session``
(guarded connection and pool), ``safety`` (what may be sent; DML → SELECT), ``catalog``
(information_schema), ``binding`` (typed literals), ``plan`` (the Plan dataclasses and parsers),
``cache`` (on-disk plans), ``advice`` (CREATE INDEX suggestions), ``stage`` (the run after the static
pipeline), ``lookup`` and ``render`` (``sqllint explain``). Importing this package loads no driver.
"""
