"""Falcon resources: thin classes that validate, call a service and serialize."""
