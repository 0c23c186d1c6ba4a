"""``schema-table``: a table of the fields of a JSON Schema shipped with superpose.

::

    ```{schema-table} checks.schema.json
    :def: check
    ```

renders the properties of the schema (or of ``$defs/<def>``): field, type, required, and the
description, read from ``superpose/schemas/`` of the installed package, so the page cannot drift
from the file the tests validate against.
"""
from __future__ import annotations

import json
from importlib import resources

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective


def _type(spec: dict, defs: dict) -> str:
    if "$ref" in spec:
        target = defs[spec["$ref"].rsplit("/", 1)[-1]]
        return target.get("title") or _type(target, defs)
    if "const" in spec:
        return json.dumps(spec["const"])
    if "enum" in spec:
        return " | ".join(json.dumps(v) for v in spec["enum"])
    t = spec.get("type", "any")
    t = " | ".join(t) if isinstance(t, list) else t
    if t == "array" and "items" in spec:
        t = f"array of {_type(spec['items'], defs)}"
    return t


def _row(cells: list[str], literal: tuple[int, ...] = (0, 1)) -> nodes.row:
    row = nodes.row()
    for i, text in enumerate(cells):
        entry = nodes.entry()
        para = nodes.paragraph()
        para += nodes.literal(text=text) if i in literal else nodes.Text(text)
        entry += para
        row += entry
    return row


class SchemaTable(SphinxDirective):
    required_arguments = 1
    option_spec = {"def": directives.unchanged}

    def run(self):
        path = resources.files("superpose").joinpath("schemas", self.arguments[0])
        schema = json.loads(path.read_text())
        node = schema["$defs"][self.options["def"]] if "def" in self.options else schema
        defs = schema.get("$defs", {})
        required = set(node.get("required", ()))
        table = nodes.table()
        group = nodes.tgroup(cols=4)
        table += group
        for width in (18, 22, 10, 50):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        head += _row(["field", "type", "required", "meaning"], literal=())
        group += head
        body = nodes.tbody()
        for name, spec in node.get("properties", {}).items():
            ref = defs.get(spec.get("$ref", "").rsplit("/", 1)[-1], {})
            doc = spec.get("description") or ref.get("description", "")
            body += _row([name, _type(spec, defs), "yes" if name in required else "", doc])
        group += body
        return [table]


def setup(app):
    app.add_directive("schema-table", SchemaTable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
