"""Avito's official OpenAPI specs as validators for requests and responses.

The vendored specs (this package's ``*.json``) are the contract for both the client and the
sandbox, so both validate against the same loaded copy. The specs are OpenAPI 3.0: their
``nullable`` keyword and local ``$ref``s are translated into plain JSON Schema (Draft 2020-12)
once, at load time. Quirks of the published files are tolerated here instead of editing them:
``auth.json`` spells ``/token`` three times with invisible U+200E marks so that its three grants
can coexist, and ``item.json`` has non-operation keys beside HTTP methods and an undeclared path
parameter in an operation this project does not use. ``messenger.json`` gives the array
parameter ``chat_types`` a string default (read as ``['u2i']``) and makes ``sendMessageRequestBody``
require a ``url`` it does not define (Avito's own example body has none; dropped in memory).
Ids typed ``int32`` are treated as 64-bit (real item ids have 10-12 digits).
"""

from avito_sync.local.avito_spec.load import (
    SPEC_NAMES,
    Operation,
    Parameter,
    Response,
    SchemaIssue,
    component_schema,
    find_operation,
    load_spec,
    normalise_path,
    operation,
    operations,
)
from avito_sync.local.avito_spec.validate import (
    MESSENGER_ERRORS,
    parameter_issues,
    request_body_issues,
    response_issues,
    schema_issues,
    validate_path,
    validate_query,
    validate_request_body,
    validate_response,
)

__all__ = [
    "MESSENGER_ERRORS",
    "SPEC_NAMES",
    "Operation",
    "Parameter",
    "Response",
    "SchemaIssue",
    "component_schema",
    "find_operation",
    "load_spec",
    "normalise_path",
    "operation",
    "operations",
    "parameter_issues",
    "request_body_issues",
    "response_issues",
    "schema_issues",
    "validate_path",
    "validate_query",
    "validate_request_body",
    "validate_response",
]
