"""The console family's one router: auth_routes and routes both register on it (app.py imports both)."""

from fastapi import APIRouter

router = APIRouter()
