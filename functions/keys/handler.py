"""Lambda entry point of the keys family: the FastAPI app under Mangum."""

from mangum import Mangum

from functions.keys.app import app

handler = Mangum(app, lifespan="off")
