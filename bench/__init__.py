"""`make bench`: SMN measured side by side with a bare Falcon app (see bench/README.md)."""
