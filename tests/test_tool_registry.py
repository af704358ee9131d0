"""The registry is the one list of tools: every tool has its record (label, chip texts, and for a write its check,
its confirmation text and the documents it re-indexes) and its skill, and no tool name is written out as a string
in product code outside the tools, the offline model's skill records and the evaluation."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assistant.contracts import ChatResponse
from assistant.offline.examples import EXAMPLES
from assistant.offline.skills import SKILLS
from assistant.tools import ALL_TOOLS, BY_NAME, TOOLS

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "ui", "assistant", "ingestion", "retrieval", "domain")
# Where tool names are data: the tools themselves, the skill records of the offline model, the evaluation's cases.
MAY_NAME_TOOLS = ("assistant/tools/", "assistant/offline/skills.py", "assistant/offline/examples.py")
MAY_NAME_TOOLS_FILES = ("assistant/evaluation.py",)
# A field of the chat response that shares its name with a tool ("credits_balance"), read as `final["..."]` or
# `final.get("...")`: a field, not the tool.
FIELDS = frozenset(ChatResponse.model_fields)


def _keys(tree: ast.AST) -> set[int]:
    """ids of the string constants used as a subscript key or the first argument of `.get()`."""
    keys: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            keys.add(id(node.slice))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            keys.add(id(node.args[0]))
    return keys


def tool_names_in(path: Path, names: frozenset[str]) -> list[str]:
    """`line: name` of every string constant in the file that is a tool name (not a response field used as a key)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    keys = _keys(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
            if node.value in FIELDS and id(node) in keys:
                continue
            found.append(f"{node.lineno}: {node.value}")
    return found


def product_files() -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not relative.startswith(MAY_NAME_TOOLS) and relative not in MAY_NAME_TOOLS_FILES:
                files.append(path)
    return files


def test_no_tool_name_is_written_out_in_product_code() -> None:
    names = frozenset(BY_NAME)
    wrong = [f"{path.relative_to(ROOT)}:{hit}" for path in product_files() for hit in tool_names_in(path, names)]
    assert not wrong, "tool names as strings; refer to the tool's record (e.g. TRANSFER_STOCK.name):\n" + "\n".join(
        wrong
    )


def test_the_check_sees_a_planted_tool_name(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        'def f(call, final):\n    if call["name"] == "transfer_stock":\n        return final.get("credits_balance")\n'
        '    return {"credits_balance": 1}\n'
    )
    assert tool_names_in(module, frozenset(BY_NAME)) == ["2: transfer_stock", "4: credits_balance"]


def test_the_registry_is_the_list_of_tools() -> None:
    assert len(BY_NAME) == len(TOOLS) == len(ALL_TOOLS)
    assert [t.name for t in ALL_TOOLS] == [spec.name for spec in TOOLS]


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_every_tool_has_its_labels_and_a_skill(name: str) -> None:
    spec = BY_NAME[name]
    assert spec.label and spec.running and spec.done
    assert name in SKILLS and SKILLS[name].spec is spec and EXAMPLES[name]


@pytest.mark.parametrize("name", sorted(n for n, spec in BY_NAME.items() if spec.writes))
def test_every_write_is_checked_described_and_reindexed(name: str) -> None:
    spec = BY_NAME[name]
    assert spec.validate and spec.describe and spec.reindex


@pytest.mark.parametrize("name", sorted(n for n, spec in BY_NAME.items() if not spec.writes))
def test_a_read_has_nothing_to_check_or_reindex(name: str) -> None:
    spec = BY_NAME[name]
    assert spec.validate is spec.describe is spec.reindex is None
