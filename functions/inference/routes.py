"""HTTP routes of the inference family: each names its endpoint and hands the request to the gate (gate.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from empirio.context import get_context
from functions.inference import gate, videos
from functions.inference.audio import CreateSpeech, CreateTranscription
from functions.inference.chat import Chat
from functions.inference.count_tokens import CountTokens
from functions.inference.embeddings import CreateEmbeddings
from functions.inference.estimate import Estimate
from functions.inference.formats import FORMATS
from functions.inference.images import CreateImages, EditImages

router = APIRouter()
CHAT = {path: Chat(fmt) for path, fmt in FORMATS.items()}
EMBEDDINGS, IMAGES, IMAGE_EDITS = CreateEmbeddings(), CreateImages(), EditImages()
SPEECH, TRANSCRIPTIONS, VIDEOS = CreateSpeech(), CreateTranscription(), videos.CreateVideo()
ESTIMATE, COUNT_TOKENS = Estimate(), CountTokens()


@router.post("/v1/chat/completions")
async def chat_completions(request: Request) -> Response:
    return await gate.run(request, CHAT["/v1/chat/completions"])


@router.post("/v1/responses")
async def responses(request: Request) -> Response:
    return await gate.run(request, CHAT["/v1/responses"])


@router.post("/v1/messages")
async def messages(request: Request) -> Response:
    return await gate.run(request, CHAT["/v1/messages"])


@router.post("/v1/messages/count_tokens")
async def count_tokens(request: Request) -> Response:
    return await gate.plan(request, COUNT_TOKENS)


@router.post("/v1/estimate")
async def estimate_request(request: Request) -> Response:
    """What a request would cost and whether it would be admitted now; no model is called, nothing is held."""
    return await gate.plan(request, ESTIMATE)


@router.post("/v1/embeddings")
async def create_embeddings(request: Request) -> Response:
    return await gate.run(request, EMBEDDINGS)


@router.post("/v1/images/generations")
async def create_images(request: Request) -> Response:
    return await gate.run(request, IMAGES)


@router.post("/v1/images/edits")
async def edit_images(request: Request) -> Response:
    return await gate.run(request, IMAGE_EDITS)


@router.post("/v1/audio/speech")
async def create_speech(request: Request) -> Response:
    return await gate.run(request, SPEECH)


@router.post("/v1/audio/transcriptions")
async def create_transcription(request: Request) -> Response:
    return await gate.run(request, TRANSCRIPTIONS)


@router.post("/v1/videos")
async def create_video(request: Request) -> Response:
    """Multipart (as the SDK sends it, with an optional ``input_reference`` image) or JSON."""
    return await gate.run(request, VIDEOS)


@router.get("/v1/videos")
async def list_videos(request: Request) -> Response:
    return await videos.listing(get_context(), request)


# The path's video id is read from the route match and described to OpenAPI here: a declared ``video_id: str``
# parameter would make FastAPI build a field for it at import and, checking for pydantic v1 models, import
# ``pydantic.v1`` (~40 ms of the function's cold start).
VIDEO_ID = {
    "parameters": [{"name": "video_id", "in": "path", "required": True, "schema": {"type": "string"}}]
}


def _video_id(request: Request) -> str:
    return str(request.path_params["video_id"])


@router.get("/v1/videos/{video_id}", openapi_extra=VIDEO_ID)
async def retrieve_video(request: Request) -> Response:
    return await videos.retrieve(get_context(), request, _video_id(request))


@router.get("/v1/videos/{video_id}/content", openapi_extra=VIDEO_ID)
async def video_content(request: Request) -> Response:
    return await videos.content(get_context(), request, _video_id(request))


@router.delete("/v1/videos/{video_id}", openapi_extra=VIDEO_ID)
async def delete_video(request: Request) -> Response:
    return await videos.delete(get_context(), request, _video_id(request))


@router.head("/")
async def head_root() -> Response:
    """Claude Code checks connectivity with a quick HEAD /."""
    return Response(status_code=200)
