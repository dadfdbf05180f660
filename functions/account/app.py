"""The account family's FastAPI app."""

from empirio.web.app import create_app
from functions.account.routes import router

app = create_app(router, family="account")
