"""Lambda entry point of the chats family: the FastAPI app under Mangum."""

from mangum import Mangum

from functions.chats.app import app

handler = Mangum(app, lifespan="off")
