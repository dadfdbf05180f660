"""The inference family's FastAPI app (served by uvicorn under the Lambda Web Adapter, so it can stream)."""

from empirio.providers import registry, transport
from empirio.web.app import create_app
from functions.inference.routes import router

registry.preload()  # the HTTP adapters at start-up, not on the first request (boto3 ones wait for theirs)
SHUTDOWN = [transport.close]
app = create_app(router, family="inference", on_shutdown=SHUTDOWN)
