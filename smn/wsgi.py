"""The WSGI entry point gunicorn loads in each worker: `smn.wsgi:app`."""
from smn.app import create_app
from smn.settings import Settings

app = create_app(Settings.from_env())
