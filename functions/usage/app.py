"""The usage family's FastAPI app."""

from empirio.web.app import create_app
from functions.usage.routes import router

app = create_app(router, family="usage")
