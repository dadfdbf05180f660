"""The inference family's FastAPI app (served by uvicorn under the Lambda Web Adapter, so it can stream)."""

from empirio.providers import transport
from empirio.web.app import create_app
from functions.inference.routes import router

SHUTDOWN = [transport.close]
app = create_app(router, family="inference", on_shutdown=SHUTDOWN)
