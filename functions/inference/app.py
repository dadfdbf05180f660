"""The inference family's FastAPI app (served by uvicorn under the Lambda Web Adapter, so it can stream)."""

from empirio.web.app import create_app
from functions.inference.routes import router

app = create_app(router)
