"""Lambda entry point of the admin family: the FastAPI app under Mangum."""

from mangum import Mangum

from functions.admin.app import app

handler = Mangum(app, lifespan="off")
