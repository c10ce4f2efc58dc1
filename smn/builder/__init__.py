"""The endpoint builder: partner endpoints defined in the admin UI, served under /v1/x/{slug}."""
