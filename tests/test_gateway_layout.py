"""The gateway's architecture, checked on its source: channels draw what the bot sends and never
reach into the action server or the knowledge base to redo its work; the core knows no channel."""
from __future__ import annotations

import ast
from pathlib import Path

CHANNELS = Path(__file__).resolve().parents[1] / "channels"


def imports(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved against channels/)."""
    package = ".".join(path.relative_to(CHANNELS.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            module = node.module or ""
            if node.level:
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            found.add(module)
            found |= {f"{module}.{a.name}" for a in node.names}
    return found


def modules(under: str = "") -> dict[str, set[str]]:
    return {str(p.relative_to(CHANNELS)): imports(p) for p in sorted((CHANNELS / under).rglob("*.py"))}


def test_no_gateway_module_imports_the_action_server():
    offenders = {f: sorted(m for m in mods if m == "actions" or m.startswith("actions."))
                 for f, mods in modules().items()}
    assert {f: m for f, m in offenders.items() if m} == {}


def test_channels_draw_cards_without_loading_the_knowledge_base():
    for channel in ("line", "widget"):
        for f, mods in modules(channel).items():
            assert not any(m.startswith("knowledge.") and m != "knowledge.contract" for m in mods), (f, mods)


def test_the_core_knows_no_channel():
    for f, mods in modules("core").items():
        bad = [m for m in mods if m.split(".")[:2] in (["channels", "line"], ["channels", "widget"],
                                                       ["channels", "console"])]
        assert not bad, (f, bad)


def zh_literals(path: Path) -> list[str]:
    """String literals with Chinese characters, docstrings left out."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and any("\u4e00" <= ch <= "\u9fff" for ch in node.value)]


def test_every_gateway_sentence_is_in_a_text_module():
    homes = {"texts.py", "console/labels.py"}       # users' sentences; officers' words
    found = {f: zh_literals(CHANNELS / f) for f in modules() if f not in homes}
    assert {f: words for f, words in found.items() if words} == {}


def test_each_page_script_keeps_its_words_in_one_strings_object():
    import re
    for script in ("widget/static/widget.js", "console/static/console.js"):
        text = (CHANNELS / script).read_text("utf-8")
        start = re.search(r"^\s*(?:var|const) T = \{$", text, re.M)
        assert start, script
        end = text.index("\n  };\n", start.end())
        rest = text[:start.start()] + text[end:]
        rest = re.sub(r"/\*.*?\*/", "", rest, flags=re.S)
        rest = re.sub(r"//[^\n]*", "", rest)
        assert re.findall(r"[^\n]*[\u4e00-\u9fff][^\n]*", rest) == [], script
