"""The keys family's FastAPI app."""

from empirio.web.app import create_app
from functions.keys.routes import router

app = create_app(router, family="keys")
