"""The limits family's FastAPI app."""

from empirio.web.app import create_app
from functions.limits.routes import router

app = create_app(router, family="limits")
