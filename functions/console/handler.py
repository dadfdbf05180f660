"""Lambda entry point of the console family: the FastAPI app under Mangum."""

from mangum import Mangum

from functions.console.app import app

handler = Mangum(app, lifespan="off")
