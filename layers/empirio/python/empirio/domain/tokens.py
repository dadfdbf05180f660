"""Token counts we can make without a vendor tokenizer: an upper bound on a prompt for holds, a typical count
for rate limits and token counts, a deterministic count for the local model.

The prompt bound is what admission holds for, so it must never be below what a provider bills. Measured against
OpenAI's o200k_base and cl100k_base and Anthropic's published (Claude 2-era) tokenizer, tests/unit/
test_tokens_bound.py: spaced digits ("1 2 3"), control characters and rare code points (3 tokens for a rare CJK
ideograph, 4 for most 4-byte characters) reach one token per UTF-8 byte, so no rule of fewer tokens per byte
is an upper bound, whatever the script; Anthropic's tokenizer normalizes to NFKC first, which turns one 3-byte
ligature (U+FDFA) into 33 bytes and 15 tokens. The bound is therefore the byte count of the text or of its NFKC
form, whichever is longer (see ``text_bound``). When a provider bills more than the hold anyway, the customer is
charged the hold and the excess is the house's loss, recorded on the usage record and in reconciliation."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import unicodedata
from collections.abc import Callable

from empirio.domain.canonical import Audio, Document, Image, Request, Text, Thinking, ToolCall, ToolResult

# The most input tokens one image can be billed, by model family (the provider's own documented rule, worst
# case after its resizing). The hold counts every image at its family's maximum.
#
# OpenAI (platform.openai.com/docs/guides/images-vision, "Calculating costs"): tile models scale to fit
# 2048x2048, then the short side to 768, and bill a base plus a price per 512 px tile, so at most 8 tiles
# (768x2048): gpt-4o, gpt-4.1, gpt-4.5 85 + 8 x 170 = 1,445; gpt-5 70 + 8 x 140 = 1,190; o1/o3 75 + 8 x 150 =
# 1,275; gpt-4o-mini 2,833 + 8 x 5,667 = 48,169 (its image tokens are priced 33 times). Patch models cap an
# image at 1,536 patches of 32 px times a multiplier: gpt-4.1-mini and gpt-5-mini 1.62 (2,489), o4-mini 1.72
# (2,642), gpt-4.1-nano and gpt-5-nano 2.46 (3,779). Models with a larger patch budget ("original" detail,
# 2,500+ patches) are not priced here yet: they get the default below.
# Anthropic (docs.claude.com/en/docs/build-with-claude/vision): tokens = width x height / 750 after resizing to
# a 1,568 px long edge and about 1.15 MP (~1,600 tokens); models with high-resolution vision (Opus 4.7 and
# later) take up to 3.75 MP, 5,000 tokens. Every Claude model is held at 5,000.
# Others (Gemini 258 per 768 px tile, Pixtral 16 px patches up to 1024x1024 = 4,160, Llama 4 and Nova tiles):
# the default, 5,000.
IMAGE_TOKENS = 5_000
IMAGE_TOKENS_BY_FAMILY: tuple[tuple[str, int], ...] = (  # the first substring of the model id that matches
    ("gpt-4o-mini", 48_169),
    ("gpt-4.1-nano", 3_779),
    ("gpt-5-nano", 3_779),
    ("o4-mini", 2_642),
    ("gpt-4.1-mini", 2_489),
    ("gpt-5-mini", 2_489),
    ("gpt-4o", 1_445),
    ("gpt-4.1", 1_445),
    ("gpt-4.5", 1_445),
    ("claude", 5_000),
)
# Chat framing around each message (OpenAI counts 3 per message and 1 per name); one more per request primes
# the reply (3 on OpenAI).
MESSAGE_OVERHEAD = 4
REQUEST_OVERHEAD = 3
# Anthropic adds a tool-use system prompt of its own when tools are offered: 346 tokens on Claude 4 models,
# 530 on Claude 3 Opus (docs.claude.com, tool use pricing). OpenAI's own wrapping of functions is smaller.
TOOLS_OVERHEAD = 600


def count_text(text: str) -> int:
    """Deterministic token count of a text (≈4 bytes a token), used by the local model."""
    return math.ceil(len(text.encode("utf-8", "surrogatepass")) / 4)


def text_bound(text: str) -> int:
    """At least as many tokens as any tokenizer we hold for makes of ``text``: its UTF-8 bytes, or the bytes of
    its NFKC form when that is longer. Total: a lone surrogate counts its 3 bytes and never raises.

    Why it holds: a byte-level BPE tokenizer (OpenAI's o200k_base and cl100k_base, Anthropic's published one)
    starts from one token per byte of the text it sees and only ever merges, so it never makes more tokens
    than bytes; Anthropic's normalizes to NFKC before that, hence the longer of the two byte counts. Claude 3
    and later use a tokenizer Anthropic has not published: it is taken to be of the same kind (byte-level,
    NFKC at most), the only worst case we can state for it. Why nothing tighter: the measurements (module
    docstring) reach one token per byte in every script."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return size
    return max(size, len(unicodedata.normalize("NFKC", text).encode("utf-8", "surrogatepass")))


def image_tokens(model: str) -> int:
    """The most input tokens one image can cost on ``model`` (an id or alias; see IMAGE_TOKENS_BY_FAMILY)."""
    name = model.lower()
    return next((tokens for family, tokens in IMAGE_TOKENS_BY_FAMILY if family in name), IMAGE_TOKENS)


PAGE_TOKENS = 3_000  # a PDF page is read as its text and as an image: 1,500 to 3,000 tokens on Anthropic


def _decoded_size(data: str) -> int:
    return len(data) * 3 // 4


def document_tokens(document: Document) -> int:
    """An upper-leaning count for a PDF: its pages (``/Type /Page`` objects) at PAGE_TOKENS each, or a token for
    every three bytes, whichever is more."""
    try:
        raw = base64.b64decode(document.data, validate=False)
    except (ValueError, binascii.Error):
        return _decoded_size(document.data) // 3
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", raw))
    return max(len(raw) // 3, PAGE_TOKENS * max(1, pages))


def estimate_prompt_tokens(request: Request) -> int:
    """An upper bound on a request's prompt tokens (messages, tools and schema): text by ``text_bound``, each
    image at the most its model family bills (the worst of the model and its fallbacks), framing overheads.
    What the hold is planned on."""
    image = max(image_tokens(model) for model in (request.model, *request.fallbacks))
    return _prompt_tokens(request, text_bound, image, TOOLS_OVERHEAD)


TYPICAL_BYTES_PER_TOKEN = 3  # ordinary text on the providers' tokenizers is 3 to 5 bytes a token
TYPICAL_IMAGE_TOKENS = 1_600  # a 1024x1024 image: ~765 tokens on OpenAI, ~1,600 on Anthropic


def typical_text(text: str) -> int:
    return math.ceil(len(text.encode("utf-8", "surrogatepass")) / TYPICAL_BYTES_PER_TOKEN)


def typical_prompt_tokens(request: Request) -> int:
    """A realistic count of a request's prompt tokens (≈3 bytes a token, 1,600 an image): what a rate limit
    reserves (settle corrects it to the provider's count) and what a token count answers when no provider
    counts. Not a bound: dense scripts and spaced digits make more tokens than this (``estimate_prompt_tokens``
    is the bound, for money)."""
    return _prompt_tokens(request, typical_text, TYPICAL_IMAGE_TOKENS, 0)


def _prompt_tokens(request: Request, text: Callable[[str], int], image: int, tools_overhead: int) -> int:
    total = REQUEST_OVERHEAD
    for message in request.messages:
        total += MESSAGE_OVERHEAD
        for block in message.content:
            if isinstance(block, Text | Thinking):
                total += text(block.text)
            elif isinstance(block, Image):
                total += image
            elif isinstance(block, Document):
                total += document_tokens(block)
            elif isinstance(block, Audio):
                total += _decoded_size(block.data) // 3 + MESSAGE_OVERHEAD
            elif isinstance(block, ToolCall):
                total += text(block.name + block.arguments)
            elif isinstance(block, ToolResult):
                total += sum(image if isinstance(b, Image) else text(b.text) for b in block.content)
    if request.tools:
        total += tools_overhead
    for tool in request.tools:
        total += text(tool.name + tool.description + json.dumps(tool.parameters, ensure_ascii=False))
    if request.response_format and request.response_format.schema:
        total += text(json.dumps(request.response_format.schema, ensure_ascii=False))
    return total
