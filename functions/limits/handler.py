"""Lambda entry point of the limits family: the FastAPI app under Mangum."""

from mangum import Mangum

from functions.limits.app import app

handler = Mangum(app, lifespan="off")
