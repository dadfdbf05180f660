"""The console family's FastAPI app: the sign-in forms and the pages, on one router."""

from empirio.web.app import create_app
from functions.console import account_routes, auth_routes, billing_routes, routes  # noqa: F401  (each registers on the router)
from functions.console.router import router

app = create_app(router, family="console", title="EmpirioLabs console")
