# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Documentation that cannot drift silently (pure Python, no database).

* Every ``docs/...`` and ``readme/...`` file cited in a ``.py``, ``.md`` or ``.xml``
  file of the repository exists: ``docs/x.md`` from the repository root,
  ``readme/X.md`` from the citing file's addon (or the root when the citation
  names the addon: ``o2c_bank_feed/readme/USAGE.md``).
* Every O2C method or hook named in the documentation (``.md`` files) and in the
  docstrings of the Python code (``_o2c_*``, ``_pg_*``, ``_cron_*``, ``action_*``)
  is defined somewhere in the repository, so a usage example cannot name a method
  that does not exist.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".git", "node_modules", "__pycache__", ".venv", "venv"}
CITED_PATH = re.compile(
    r"(?<![\w/.-])((?:o2c_\w+/)?(?:docs|readme)/[\w./-]*\w\.(?:md|rst|txt|json|html))"
)
METHOD_NAME = re.compile(r"(?<![\w.])\.?(_o2c_\w+|_pg_\w+|_cron_\w+|action_\w+)\b")
# Odoo / queue_job names a doc may cite (not ours to define)
EXTERNAL_NAMES = {
    "action_post",
    "action_archive",
    "action_confirm",
    "action_undo_reconciliation",
    "action_x",  # a placeholder in a test docstring
}


def _files(*suffixes):
    for path in sorted(ROOT.rglob("*")):
        if path.suffix in suffixes and path.is_file():
            parts = set(path.relative_to(ROOT).parts)
            if not parts & SKIP_DIRS:
                yield path


def _addon_of(path):
    rel = path.relative_to(ROOT).parts
    if len(rel) > 1 and (ROOT / rel[0] / "__manifest__.py").exists():
        return ROOT / rel[0]
    return ROOT


def _cited_paths():
    for path in _files(".py", ".md", ".xml"):
        if path.name == Path(__file__).name:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for lineno, line in enumerate(text.splitlines(), start=1):
            for cited in CITED_PATH.findall(line):
                if cited.startswith(("docs/", "o2c_")):
                    target = ROOT / cited
                else:
                    target = _addon_of(path) / cited
                yield path.relative_to(ROOT), lineno, cited, target


def test_cited_docs_and_readmes_exist():
    cited = list(_cited_paths())
    # the scan sees the citations it is meant to check
    assert any(c == "docs/design.md" for _p, _l, c, _t in cited)
    assert any(c.endswith("readme/DESCRIPTION.md") for _p, _l, c, _t in cited)
    missing = [
        f"{path}:{lineno}: {cited} -> {target.relative_to(ROOT)}"
        for path, lineno, cited, target in cited
        if not target.is_file()
    ]
    assert not missing, "cited files that do not exist:\n" + "\n".join(missing)


def _defined_names():
    names = set()
    for path in _files(".py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
    return names


def _docstrings(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(
            node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        ):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                yield node, doc


def _cited_method_names():
    for path in _files(".md"):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name in METHOD_NAME.findall(line):
                yield f"{path.relative_to(ROOT)}:{lineno}", name
    for path in _files(".py"):
        if path.name == Path(__file__).name:
            continue
        for node, doc in _docstrings(path):
            for name in METHOD_NAME.findall(doc):
                yield f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 1)}", name


def test_methods_named_in_docs_exist():
    defined = _defined_names() | EXTERNAL_NAMES
    cited = list(_cited_method_names())
    assert any(name == "_o2c_get_handlers" for _w, name in cited)
    missing = sorted(
        {f"{where}: {name}" for where, name in cited if name not in defined}
    )
    assert not missing, "documented methods that do not exist:\n" + "\n".join(missing)
