"""Marshmallow schemas shared by the resources and the OpenAPI document."""
from smn.schemas.common import FieldErrorSchema, HealthSchema, ProblemSchema, ReadinessSchema

__all__ = ["FieldErrorSchema", "HealthSchema", "ProblemSchema", "ReadinessSchema"]
