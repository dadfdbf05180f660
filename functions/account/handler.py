"""Lambda entry point of the account family: the FastAPI app under Mangum."""

from mangum import Mangum

from functions.account.app import app

handler = Mangum(app, lifespan="off")
