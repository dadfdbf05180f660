"""Lambda entry point of the credits family: the FastAPI app under Mangum."""

from mangum import Mangum

from functions.credits.app import app

handler = Mangum(app, lifespan="off")
