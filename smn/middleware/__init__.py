"""Falcon middleware, one concern each, wired in order by smn.app.create_app."""
