"""The type stubs and docstrings cover the public API."""

import ast
import pathlib

import cuttle


def stub_names():
    stub = pathlib.Path(cuttle.__file__).with_name("__init__.pyi")
    assert stub.exists(), "cuttle/__init__.pyi is not installed next to the package"
    assert stub.with_name("py.typed").exists()
    tree = ast.parse(stub.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in node.names)
    return names, tree


def test_every_public_name_has_a_stub():
    names, _ = stub_names()
    missing = [n for n in cuttle.__all__ if n not in names]
    assert missing == []


def test_stubbed_methods_exist_at_runtime():
    _, tree = stub_names()
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or not hasattr(cuttle, node.name):
            continue
        cls = getattr(cuttle, node.name)
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and not item.name.startswith("__"):
                assert hasattr(cls, item.name), f"{node.name}.{item.name}"


def test_public_classes_and_functions_have_docstrings():
    for name in cuttle.__all__:
        obj = getattr(cuttle, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), name
    for method in ("submit", "wait_until_done", "subscribe", "close", "cancel"):
        assert getattr(cuttle.Scheduler, method).__doc__, method
