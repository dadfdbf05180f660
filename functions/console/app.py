"""The console family's FastAPI app."""

from empirio.web.app import create_app
from functions.console.routes import router

app = create_app(router, title="EmpirioLabs console")
