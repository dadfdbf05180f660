"""PDFs (and audio) in chat: a document in each of the three client formats reaches each provider in its own
native shape (OpenAI ``file`` parts, Anthropic ``document`` blocks, Bedrock Converse ``document`` blocks with the
text it requires), and a model without that input modality refuses it with a 400 naming the part."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.contract.conftest import Gateway

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
B64 = base64.b64encode(PDF).decode()
DATA_URL = f"data:application/pdf;base64,{B64}"


def bodies(model: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """The same question with the same PDF in each client format."""
    return {
        "chat": (
            "/v1/chat/completions",
            {
                "model": model,
                "max_tokens": 50,
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "Summarize this."},
                            {"type": "file", "file": {"filename": "report.pdf", "file_data": DATA_URL}},
                        ],
                    }
                ],
            },
        ),
        "responses": (
            "/v1/responses",
            {
                "model": model,
                "max_output_tokens": 50,
                "input": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "input_text", "text": "Summarize this."},
                            {"type": "input_file", "filename": "report.pdf", "file_data": DATA_URL},
                        ],
                    }
                ],
            },
        ),
        "messages": (
            "/v1/messages",
            {
                "model": model,
                "max_tokens": 50,
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "Summarize this."},
                            {
                                "type": "document",
                                "title": "report.pdf",
                                "source": {"type": "base64", "media_type": "application/pdf", "data": B64},
                            },
                        ],
                    }
                ],
            },
        ),
    }


def native_document(provider: str, body: dict[str, Any]) -> dict[str, Any]:
    blocks = body["messages"][-1]["content"]
    if provider == "openai":
        return next(b for b in blocks if b.get("type") == "file")
    if provider == "anthropic":
        return next(b for b in blocks if b.get("type") == "document")
    return next(b for b in blocks if "document" in b)


@pytest.mark.parametrize("client_format", ["chat", "responses", "messages"])
@pytest.mark.parametrize("provider", ["openai", "anthropic", "bedrock"])
def test_a_pdf_reaches_each_provider_in_its_native_shape(
    gateway: Gateway, client_format: str, provider: str
) -> None:
    path, body = bodies(f"test/{provider}")[client_format]
    response = gateway.client.post(path, headers={"Authorization": f"Bearer {gateway.key}"}, json=body)
    assert response.status_code == 200, response.text
    upstream_path = {"openai": "/chat/completions", "anthropic": "/messages", "bedrock": "/converse"}[
        provider
    ]
    sent = native_document(provider, gateway.upstream.last(upstream_path)["body"])
    if provider == "openai":
        assert sent == {"type": "file", "file": {"filename": "report.pdf", "file_data": DATA_URL}}
    elif provider == "anthropic":
        assert sent["source"] == {"type": "base64", "media_type": "application/pdf", "data": B64}
        assert sent["title"] == "report.pdf"
    else:
        assert sent["document"]["format"] == "pdf" and sent["document"]["name"] == "report"
        assert base64.b64decode(sent["document"]["source"]["bytes"]) == PDF  # boto3 sent the raw bytes


def test_a_pdf_alone_gets_the_text_bedrock_requires(gateway: Gateway) -> None:
    body = {
        "model": "test/bedrock",
        "max_tokens": 20,
        "messages": [{"role": "user", "content": [{"type": "file", "file": {"file_data": DATA_URL}}]}],
    }
    response = gateway.client.post(
        "/v1/chat/completions", headers={"Authorization": f"Bearer {gateway.key}"}, json=body
    )
    assert response.status_code == 200, response.text
    blocks = gateway.upstream.last("/converse")["body"]["messages"][-1]["content"]
    assert any("text" in b for b in blocks) and blocks[0]["document"]["name"] == "document 1"


def test_a_model_without_document_input_refuses_the_part_before_holding(gateway: Gateway) -> None:
    before = gateway.balance()
    path, body = bodies("local/echo")["chat"]
    response = gateway.client.post(path, headers={"Authorization": f"Bearer {gateway.key}"}, json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unsupported_modality" and error["param"] == "messages[0].content[1]"
    assert "document" in error["message"] and gateway.balance() == before


def test_audio_in_chat_reaches_openai_and_is_refused_where_it_is_not_an_input(gateway: Gateway) -> None:
    audio = {
        "type": "input_audio",
        "input_audio": {"data": base64.b64encode(b"RIFF....WAVE").decode(), "format": "wav"},
    }
    body = {
        "max_tokens": 20,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}, audio]}],
    }
    headers = {"Authorization": f"Bearer {gateway.key}"}
    ok = gateway.client.post("/v1/chat/completions", headers=headers, json={"model": "test/openai", **body})
    assert ok.status_code == 200, ok.text
    sent = gateway.upstream.last("/chat/completions")["body"]["messages"][-1]["content"]
    assert audio in sent
    refused = gateway.client.post(
        "/v1/chat/completions", headers=headers, json={"model": "test/anthropic", **body}
    )
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "messages[0].content[1]"


@pytest.mark.parametrize(
    "part",
    [
        {"type": "file", "file": {"file_id": "file-abc"}},
        {"type": "file", "file": {"file_data": "data:text/plain;base64,aGk="}},
        {"type": "file", "file": {"file_data": "not a data url"}},
    ],
)
def test_files_that_cannot_be_sent_are_refused_naming_the_part(
    gateway: Gateway, part: dict[str, Any]
) -> None:
    body = {
        "model": "test/openai",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "x"}, part]}],
    }
    response = gateway.client.post(
        "/v1/chat/completions", headers={"Authorization": f"Bearer {gateway.key}"}, json=body
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"].startswith("messages[0].content[1].file")
