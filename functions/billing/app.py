"""The billing family's FastAPI app."""

from empirio.web.app import create_app
from functions.billing.routes import router

app = create_app(router, family="billing")
