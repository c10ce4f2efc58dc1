"""Odoo access for SMN: one pooled client and the typed errors it raises."""
from smn.odoo.client import OdooClient
from smn.odoo.errors import (
    ERROR_CLASSES,
    JSON2_ERROR_CLASSES,
    OdooAccessError,
    OdooAuthenticationError,
    OdooError,
    OdooMissingError,
    OdooProtocolError,
    OdooServerError,
    OdooTimeout,
    OdooUnavailable,
    OdooUserError,
    OdooValidationError,
    error_from_payload,
)

__all__ = [
    "ERROR_CLASSES",
    "JSON2_ERROR_CLASSES",
    "OdooAccessError",
    "OdooAuthenticationError",
    "OdooClient",
    "OdooError",
    "OdooMissingError",
    "OdooProtocolError",
    "OdooServerError",
    "OdooTimeout",
    "OdooUnavailable",
    "OdooUserError",
    "OdooValidationError",
    "error_from_payload",
]
