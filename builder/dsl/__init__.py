"""Dify's app DSL (YAML, version 0.6.0): export a Weft app, import a Dify (or Weft) file.

`export_spec` (`export_app` for an app's draft) and `import_dsl` are the two ways;
`builder/actions/dsl.py` and `builder/dsl_api.py` serve them, and builder's README says what
maps and what does not.
"""

from builder.dsl._version import DSL_VERSION
from builder.dsl._yaml import MAX_DSL_BYTES
from builder.dsl.app import export_app
from builder.dsl.export import export_spec
from builder.dsl.importer import ImportedDsl, import_dsl
from builder.dsl.notes import Note

__all__ = [
    "DSL_VERSION",
    "MAX_DSL_BYTES",
    "ImportedDsl",
    "Note",
    "export_app",
    "export_spec",
    "import_dsl",
]
