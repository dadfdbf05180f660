"""The console family's FastAPI app: the sign-in forms and the pages, on one router; errors under /console are
console pages."""

from empirio.web.app import create_app
from functions.console import account_routes, auth_routes, billing_routes, routes  # noqa: F401  (each registers on the router)
from functions.console.error_pages import console_error_page
from functions.console.router import router

ERROR_PAGES = {"/console": console_error_page}  # the local composition of every family installs these too

app = create_app(router, family="console", title="EmpirioLabs console", error_pages=ERROR_PAGES)
