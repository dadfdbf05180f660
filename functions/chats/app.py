"""The chats family's FastAPI app."""

from empirio.web.app import create_app
from functions.chats.routes import router

app = create_app(router, family="chats")
