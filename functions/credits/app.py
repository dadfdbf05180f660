"""The credits family's FastAPI app."""

from empirio.web.app import create_app
from functions.credits.routes import router

app = create_app(router, family="credits")
