"""The pipeline flows one way: the engine never imports the CLI or the reporters."""

from __future__ import annotations

import subprocess
import sys


def test_engine_does_not_import_cli_or_reporters() -> None:
    code = ("import sys, sqllint.engine; "
            "bad = [m for m in sys.modules if m == 'sqllint.cli' or m.startswith('sqllint.report')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_records_do_not_need_sqlglot() -> None:
    code = "import sys, sqllint.records; assert 'sqlglot' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
