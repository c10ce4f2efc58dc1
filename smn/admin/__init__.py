"""The admin UI (server-rendered pages under /admin) and its JSON API (/admin/api)."""
