"""The models family's FastAPI app."""

from empirio.web.app import create_app
from functions.models.routes import router

app = create_app(router, family="models")
