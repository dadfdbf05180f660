"""The admin family's FastAPI app."""

from empirio.web.app import create_app
from functions.admin.routes import router

app = create_app(router, family="admin")
