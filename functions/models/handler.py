"""Lambda entry point of the models family: the FastAPI app under Mangum."""

from mangum import Mangum

from functions.models.app import app

handler = Mangum(app, lifespan="off")
