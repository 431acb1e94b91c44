"""The layering of ``docs/architecture.md`` holds for every import in the package.

The table on that page is parsed here (so page and test cannot drift apart); every ``import`` and
``from ... import`` in ``entropy_ref/``, including those inside functions, is an edge of the import
graph. The test fails on a module no layer lists, an import pointing to a layer its row does not
allow, an import cycle, a private name imported across modules, and a subpackage attribute that
hides a submodule.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re

import pytest

from helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "entropy_ref"
PAGE = REPO_ROOT / "docs" / "architecture.md"


def parse_layers(text: str):
    """``{layer: (patterns, allowed layers)}`` from the page's table."""
    layers = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("layer", "") or set(cells[0]) <= set("-"):
            continue
        name, modules, allowed = cells
        patterns = re.findall(r"`([^`]+)`", modules)
        if "every layer below" in allowed:
            allowed_set = None                      # resolved after the whole table is read
        else:
            allowed_set = {a.strip() for a in allowed.split(",") if a.strip() != "(nothing)"}
        layers[name] = (patterns, allowed_set)
    names = list(layers)
    for i, name in enumerate(names):
        patterns, allowed_set = layers[name]
        if allowed_set is None:
            layers[name] = (patterns, set(names[i + 1:]))
        unknown = layers[name][1] - set(names)
        assert not unknown, f"{PAGE.name}: layer {name!r} allows unknown layers {unknown}"
    return layers


def module_names():
    """``{dotted name relative to the package ('' for the package): path}``."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def layer_of(module: str, layers) -> str | None:
    """The layer whose pattern matches ``module`` (longest match wins)."""
    best, best_len = None, -1
    for layer, (patterns, _) in layers.items():
        for pat in patterns:
            if pat.endswith("/"):
                prefix = pat[:-1].replace("/", ".")
                hit = module == prefix or module.startswith(prefix + ".")
            else:
                name = pat.replace("/", ".")
                hit = module == ("" if name == "__init__" else name)
            if hit and len(pat) > best_len:
                best, best_len = layer, len(pat)
    return best


def imports_of(module: str, path, modules):
    """``[(target module, imported name or None, line)]`` for every import of the package."""
    is_pkg = path.name == "__init__.py"
    base = module.split(".") if module else []
    if not is_pkg:
        base = base[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "entropy_ref" or alias.name.startswith("entropy_ref."):
                    found.append((alias.name[len("entropy_ref."):] if "." in alias.name else "",
                                  None, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(parent + ([node.module] if node.module else []))
            elif node.module and (node.module == "entropy_ref"
                                  or node.module.startswith("entropy_ref.")):
                target = node.module[len("entropy_ref"):].lstrip(".")
            else:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}" if target else alias.name
                if sub in modules:
                    found.append((sub, None, node.lineno))
                else:
                    found.append((target, alias.name, node.lineno))
    return found


@pytest.fixture(scope="module")
def graph():
    layers = parse_layers(PAGE.read_text(encoding="utf-8"))
    modules = module_names()
    edges = {m: imports_of(m, p, modules) for m, p in modules.items()}
    return layers, modules, edges


def test_the_table_parses_into_the_documented_layers():
    layers = parse_layers(PAGE.read_text(encoding="utf-8"))
    assert list(layers)[0] == "interface" and list(layers)[-1] == "foundation", list(layers)
    assert layers["foundation"][1] == set()
    assert layers["interface"][1] == set(list(layers)[1:])


def test_every_module_belongs_to_one_layer(graph):
    layers, modules, _ = graph
    missing = sorted(m or "__init__" for m in modules if layer_of(m, layers) is None)
    assert not missing, f"modules in no layer of {PAGE.name}: {missing}"


def test_no_import_points_up_or_sideways_to_a_layer_not_allowed(graph):
    layers, modules, edges = graph
    bad = []
    for module, targets in edges.items():
        src = layer_of(module, layers)
        if src is None:                       # reported by test_every_module_belongs_to_one_layer
            continue
        for target, _, line in targets:
            dst = layer_of(target, layers)
            if dst is None:
                bad.append(f"{module}:{line} imports unknown module {target!r}")
            elif dst != src and dst not in layers[src][1]:
                bad.append(f"{modules[module].relative_to(REPO_ROOT)}:{line}: {src} layer imports "
                           f"{target or 'entropy_ref'} ({dst} layer)")
    assert not bad, "\n".join(bad)


def find_cycles(edges) -> list[list[str]]:
    """Strongly connected components with more than one module (or a self-import): Tarjan."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in {t for t, _, _ in edges.get(v, ())}:
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            selfloop = any(t == v for t, _, _ in edges.get(v, ()))
            if len(comp) > 1 or selfloop:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_find_cycles_finds_a_planted_cycle():
    edges = {"a": [("b", None, 1)], "b": [("c", None, 1)], "c": [("a", None, 1)], "d": []}
    assert find_cycles(edges) == [["a", "b", "c"]]
    assert find_cycles({"a": [("b", None, 1)], "b": []}) == []


def test_no_import_cycle(graph):
    _, _, edges = graph
    # a package importing its own submodules is not a cycle by itself; a submodule importing its
    # package's __init__ (``from . import x`` where x is a name, not a module) is an edge like any
    cycles = find_cycles(edges)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_private_name_is_imported_across_modules(graph):
    _, modules, edges = graph
    bad = [f"{modules[m].relative_to(REPO_ROOT)}:{line} imports {name} from {target}"
           for m, targets in edges.items() for target, name, line in targets
           if name and name.startswith("_") and not name.startswith("__") and target != m]
    assert not bad, "\n".join(bad)


def test_no_attribute_of_a_package_hides_one_of_its_submodules():
    import entropy_ref

    hidden = []
    for info in pkgutil.walk_packages(entropy_ref.__path__, "entropy_ref."):
        module = importlib.import_module(info.name)
        parent_name, _, child = info.name.rpartition(".")
        parent = importlib.import_module(parent_name)
        if getattr(parent, child, module) is not module:
            hidden.append(f"{parent_name}.{child} is {getattr(parent, child)!r}, not the module")
    assert not hidden, "\n".join(hidden)
