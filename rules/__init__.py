"""Built-in rules, one per module. Installed as ``sqllint.rules``; see ``sqllint.registry``."""
