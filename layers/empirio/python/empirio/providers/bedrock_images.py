"""Images on Bedrock (pure): the InvokeModel bodies of Stability AI's models (Stable Image Core and Ultra, SD3.5
Large: one image a call, an aspect ratio rather than a size) and of Amazon's image models (Nova Canvas, Titan Image
Generator: TEXT_IMAGE, up to 5 images a call), and their answers as generated images. An image a model filtered
is not returned, so it is not charged."""

from __future__ import annotations

from typing import Any

from empirio.domain.catalog import CatalogModel
from empirio.domain.media import GeneratedImage, ImageRequest, dimensions
from empirio.providers.base import UpstreamError

STABILITY_RATIOS = {
    "1:1": 1.0,
    "16:9": 16 / 9,
    "9:16": 9 / 16,
    "21:9": 21 / 9,
    "9:21": 9 / 21,
    "3:2": 3 / 2,
    "2:3": 2 / 3,
    "5:4": 5 / 4,
    "4:5": 4 / 5,
}
AMAZON_MAX_IMAGES = 5


def is_stability(model: CatalogModel) -> bool:
    return "stability." in model.upstream_model


def stability_body(request: ImageRequest) -> dict[str, Any]:
    width, height = dimensions(request.size)
    aspect = min(STABILITY_RATIOS, key=lambda name: abs(STABILITY_RATIOS[name] - width / height))
    fmt = request.output_format or "png"
    if fmt not in ("png", "jpeg", "webp"):
        raise UpstreamError(400, "Stability models answer png, jpeg or webp.")
    return {
        "prompt": request.prompt[:10_000],
        "aspect_ratio": aspect,
        "output_format": fmt,
        "mode": "text-to-image",
    }


def amazon_body(request: ImageRequest) -> dict[str, Any]:
    width, height = dimensions(request.size)
    if request.n > AMAZON_MAX_IMAGES:
        raise UpstreamError(400, f"Amazon's image models make at most {AMAZON_MAX_IMAGES} images a request.")
    return {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": request.prompt[:1024]},
        "imageGenerationConfig": {
            "numberOfImages": request.n,
            "width": width,
            "height": height,
            "quality": "premium" if request.quality in ("high", "hd") else "standard",
        },
    }


def parse(payload: dict[str, Any]) -> list[GeneratedImage]:
    """Both families answer ``images`` (base64); Stability adds ``finish_reasons`` (null when not filtered)."""
    if payload.get("error"):
        raise UpstreamError(400, f"The upstream provider refused the request: {payload['error']}")
    reasons = payload.get("finish_reasons") or [None] * len(payload["images"])
    return [
        GeneratedImage(b64_json=str(image))
        for image, reason in zip(payload["images"], reasons, strict=True)
        if reason is None
    ]
