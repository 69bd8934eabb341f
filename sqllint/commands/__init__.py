"""Sub-commands beyond ``check`` (one module each: ``explain``, ``trace``, ``endpoints``, ``report``).

Each module defines one click command and ``sqllint.cli`` registers it with ``main.add_command``;
like ``cli.py`` they only parse options, call the pipeline and hand the result to a renderer.
"""
