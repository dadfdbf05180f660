"""Lambda entry point of the usage family: the FastAPI app under Mangum."""

from mangum import Mangum

from functions.usage.app import app

handler = Mangum(app, lifespan="off")
