"""The packages depend on each other one way only (docs/architecture.md), read from the imports.

Every import counts, at the top of a module or inside a function: a lazy import still ties the
two modules together. A change that imports against the direction fails here, naming the
file, the line and the rule.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS = ("domain", "store", "runtime", "activities", "workflows", "starter", "devstack")
"""Lowest first: a package may import its own modules and those of the packages before it."""

WORKER_MAY_IMPORT = {"domain", "store", "runtime", "activities", "workflows"}

DEVSTACK_DOOR = "starter/cli/dev.py"
"""The `dev` command `make run` runs: the one module of the service that imports devstack."""

NOT_IN_WORKFLOWS = ("temporalio.client", "store", "sqlalchemy", "stripe", "aiosmtplib", "httpx")
"""Client code and I/O: a workflow reaches these only through activities."""


@dataclass(frozen=True)
class Import:
    file: str
    line: int
    module: str

    @property
    def package(self) -> str:
        return self.module.split(".")[0]

    def __str__(self) -> str:
        return f"{self.file}:{self.line} imports {self.module}"


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _source_files() -> list[Path]:
    files = [ROOT / "worker.py"]
    for package in LAYERS:
        files += sorted((ROOT / package).rglob("*.py"))
    return [file for file in files if "migrations/versions" not in file.as_posix()]


def _imports(path: Path, root: Path = ROOT) -> Iterator[Import]:
    file = path.relative_to(root).as_posix()
    package = list(path.relative_to(root).parent.parts)
    for node in ast.walk(ast.parse(path.read_text(), filename=file)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(file, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                stem = ".".join([*base, *([node.module] if node.module else [])])
            else:
                stem = node.module or ""
            yield Import(file, node.lineno, stem)
            # `from package import module` names a module as well as a name.
            for alias in node.names:
                yield Import(file, node.lineno, f"{stem}.{alias.name}")


ALL_IMPORTS = [each for path in _source_files() for each in _imports(path)]
OWN_MODULES = {_module_name(path) for path in _source_files()}


def _own(module: str) -> str | None:
    """The project module an import names, or None for a library."""
    while module:
        if module in OWN_MODULES:
            return module
        module = module.rpartition(".")[0]
    return None


def _layer_of(file: str) -> str:
    return file.split("/")[0]


def test_each_package_imports_only_the_packages_below_it() -> None:
    against = [
        f"{each} (a {_layer_of(each.file)} module may import only "
        f"{', '.join(LAYERS[: LAYERS.index(_layer_of(each.file)) + 1])})"
        for each in ALL_IMPORTS
        if _layer_of(each.file) in LAYERS
        and each.package in LAYERS
        and LAYERS.index(each.package) > LAYERS.index(_layer_of(each.file))
        and not (each.file == DEVSTACK_DOOR and each.package == "devstack")
    ]
    assert against == []


def test_the_worker_never_imports_the_front_doors_or_the_local_stack() -> None:
    against = [
        str(each)
        for each in ALL_IMPORTS
        if each.file == "worker.py"
        and each.package in LAYERS
        and each.package not in WORKER_MAY_IMPORT
    ]
    assert against == []


def test_nothing_of_the_service_imports_the_local_stack_but_the_dev_command() -> None:
    against = [
        str(each)
        for each in ALL_IMPORTS
        if each.package == "devstack"
        and _layer_of(each.file) != "devstack"
        and each.file != DEVSTACK_DOOR
    ]
    assert against == []


def test_workflows_hold_no_client_code_and_no_io() -> None:
    against = [
        str(each)
        for each in ALL_IMPORTS
        if _layer_of(each.file) == "workflows"
        and any(
            each.module == name or each.module.startswith(f"{name}.") for name in NOT_IN_WORKFLOWS
        )
    ]
    assert against == []


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _module_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for each in ALL_IMPORTS:
        source = _module_name(ROOT / each.file)
        target = _own(each.module)
        # A package's __init__ is imported on the way to its modules; it is not a dependency.
        if target is not None and target != source and target not in LAYERS:
            edges.setdefault(source, set()).add(target)
    return edges


def test_no_module_imports_itself_round_a_circle() -> None:
    assert _circles(_module_edges()) == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": {"c"}}, []),
    ],
)
def test_the_circle_finder_finds_circles_and_only_circles(
    edges: dict[str, set[str]], expected: list[list[str]]
) -> None:
    assert _circles(edges) == expected


def test_the_reader_sees_an_import_against_the_direction(tmp_path: Path) -> None:
    """The checks above pass only if the reader really sees imports: shown on a made-up file."""
    made_up = tmp_path / "store" / "made_up.py"
    made_up.parent.mkdir()
    made_up.write_text("def f() -> None:\n    from ..starter.signups import SignupService\n")
    found = list(_imports(made_up, tmp_path))
    assert Import("store/made_up.py", 2, "starter.signups") in found
