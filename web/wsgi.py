"""The WSGI entry point for production servers: `gunicorn 'web.wsgi:app'` (settings from CASEWORK_*)."""

from web import create_app

app = create_app()
