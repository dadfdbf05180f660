"""The prompt bound against real tokenizers: never fewer tokens than o200k_base, cl100k_base or Anthropic's
published tokenizer make of any text, in any script; total on every str; images at their family's maximum.

The tokenizers come from the test environment without a network: tiktoken's o200k_base and cl100k_base files
are the ones litellm (a test dependency, MIT) ships as tiktoken's cache, checked by tiktoken against OpenAI's
published hashes when loaded; Anthropic's Claude 2-era tokenizer is litellm's anthropic_tokenizer.json (Claude
3 and later use one Anthropic has not published). A test skips when its tokenizer is missing."""

from __future__ import annotations

import importlib.util
import os
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from empirio.domain.canonical import Image, Message, Request, Text, Tool
from empirio.domain.tokens import (
    IMAGE_TOKENS,
    estimate_prompt_tokens,
    image_tokens,
    text_bound,
)

Count = Callable[[str], int]


def _bundled() -> Path | None:
    spec = importlib.util.find_spec("litellm")  # finds the package without importing it
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "litellm_core_utils" / "tokenizers"
    return folder if folder.is_dir() else None


def _tiktoken(name: str) -> Count | None:
    folder = _bundled()
    try:
        import tiktoken
    except ImportError:
        return None
    if folder is None:
        return None
    before = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)
    try:
        encoding = tiktoken.get_encoding(name)  # verifies the file's sha256 against OpenAI's published one
    except Exception:  # not cached here, and no network to fetch it: the test skips
        return None
    finally:
        if before is None:
            os.environ.pop("TIKTOKEN_CACHE_DIR", None)
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = before
    return lambda text: len(encoding.encode_ordinary(text))


def _claude2() -> Count | None:
    folder = _bundled()
    try:
        from tokenizers import Tokenizer
    except ImportError:
        return None
    if folder is None or not (folder / "anthropic_tokenizer.json").is_file():
        return None
    tokenizer = Tokenizer.from_file(str(folder / "anthropic_tokenizer.json"))
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)


@pytest.fixture(scope="module")
def tokenizers() -> dict[str, Count]:
    found = {"o200k_base": _tiktoken("o200k_base"), "cl100k_base": _tiktoken("cl100k_base")}
    found["claude2"] = _claude2()
    available = {name: count for name, count in found.items() if count is not None}
    if not available:
        pytest.skip("no tokenizer available in this environment")
    return available


def _chars(*ranges: tuple[int, int]) -> st.SearchStrategy[str]:
    return st.one_of(*(st.integers(lo, hi).map(chr) for lo, hi in ranges))


def _run(alphabet: st.SearchStrategy[str], sep: str = "") -> st.SearchStrategy[str]:
    return st.lists(alphabet, min_size=1, max_size=40).map(sep.join)


LETTERS = st.sampled_from(string.ascii_letters)
DIGITS = st.sampled_from(string.digits)
SCRIPTS: dict[str, st.SearchStrategy[str]] = {
    "latin words": _run(_run(LETTERS), " "),
    "single letters with spaces": _run(LETTERS, " "),
    "digits": _run(DIGITS),
    "spaced digits": _run(DIGITS, " "),
    "punctuation": _run(st.sampled_from(string.punctuation)),
    "code": _run(st.sampled_from(string.printable)),
    "controls": _run(_chars((0, 31), (127, 127))),
    "whitespace": _run(st.sampled_from(" \t\n\r\x0b\x0c\u00a0\u2028\u3000\u200b")),
    "latin-1 and accents": _run(_chars((0xA0, 0x24F))),
    "combining marks": _run(st.tuples(LETTERS, _run(_chars((0x300, 0x36F)))).map("".join)),
    "cjk": _run(_chars((0x4E00, 0x9FFF))),
    "rare cjk (extension b)": _run(_chars((0x20000, 0x2A6DF))),
    "hangul": _run(_chars((0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3130, 0x318F))),
    "thai": _run(_chars((0x0E00, 0x0E7F))),
    "devanagari": _run(_chars((0x0900, 0x097F))),
    "arabic": _run(_chars((0x0600, 0x06FF)), " "),
    "arabic presentation forms (nfkc)": _run(_chars((0xFB50, 0xFDFF), (0xFE70, 0xFEFF))),
    "compatibility (nfkc)": _run(_chars((0x3300, 0x33FF), (0xFB00, 0xFB06), (0x2460, 0x24FF))),
    "emoji": _run(_chars((0x1F300, 0x1FAFF), (0x2600, 0x27BF))),
    "emoji zwj sequences": _run(
        st.tuples(
            _chars((0x1F466, 0x1F469), (0x1F3C3, 0x1F3CC)),
            st.sampled_from(["", "\ufe0f", "\U0001f3fb", "\U0001f3ff"]),
            st.sampled_from(["\u200d", "\u200d\u2764\ufe0f\u200d"]),
            _chars((0x1F466, 0x1F469)),
        ).map("".join)
    ),
    "flags": _run(st.tuples(_chars((0x1F1E6, 0x1F1FF)), _chars((0x1F1E6, 0x1F1FF))).map("".join)),
    "any code point": st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60),
}
MIXED = st.lists(st.one_of(*SCRIPTS.values()), min_size=1, max_size=6).map("".join)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_the_bound_is_at_least_every_tokenizers_count_in_every_script(
    tokenizers: dict[str, Count], script: str
) -> None:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(SCRIPTS[script])
    def check(text: str) -> None:
        bound = text_bound(text)
        for name, count in tokenizers.items():
            assert bound >= count(text), (name, text)

    check()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=MIXED)
def test_the_bound_holds_for_scripts_mixed_together(tokenizers: dict[str, Count], text: str) -> None:
    bound = text_bound(text)
    assert all(bound >= count(text) for count in tokenizers.values())


# Texts that reach (or come near) one token per UTF-8 byte: no rule of fewer tokens per byte is a bound.
DENSE = {
    "spaced digits": "1 2 3 4 5 6 7 8 9 0",
    "controls": "\x01\x02\x03\x04\x05\x06",
    "rare cjk": "\u5d40\u5d41\u5d42\u5d43",  # 3 tokens each, as 865 of U+4E00..U+9FFF are
    "private use": "\U000f0000\U000f0001",  # 4 tokens each
}


@pytest.mark.parametrize("name", sorted(DENSE))
def test_one_token_per_byte_is_reached_so_the_bound_is_tight(tokenizers: dict[str, Count], name: str) -> None:
    text = DENSE[name]
    counts = [count(text) for tokenizer, count in tokenizers.items() if tokenizer != "claude2"]
    if not counts:
        pytest.skip("no tiktoken encoding available")
    assert max(counts) == len(text.encode()) == text_bound(text)


def test_nfkc_expansion_is_covered_for_anthropics_tokenizer(tokenizers: dict[str, Count]) -> None:
    text = "\ufdfa"  # 3 bytes; NFKC makes it an 18-character phrase of 33 bytes
    assert text_bound(text) == 33
    if "claude2" in tokenizers:
        assert tokenizers["claude2"](text) > len(text.encode())  # so bytes alone would not be a bound
        assert text_bound(text) >= tokenizers["claude2"](text)


@settings(max_examples=300)
@given(text=st.text(st.characters(codec=None, categories=None, exclude_categories=[])))
def test_the_bound_is_total_on_every_str_lone_surrogates_included(text: str) -> None:
    assert text_bound(text) >= len(text)


def test_a_lone_surrogate_counts_its_bytes_and_the_estimate_does_not_raise() -> None:
    assert text_bound("\ud800") == 3 and text_bound("a\udfffb") == 5
    request = Request(model="local/echo", messages=(Message("user", (Text("\ud800"),)),))
    assert estimate_prompt_tokens(request) > 3


def _openai_chat_tokens(count: Count, messages: list[tuple[str, str]]) -> int:
    """OpenAI's documented chat count (openai-cookbook, "How to count tokens with tiktoken"): 3 per message,
    its role and content, and 3 priming the reply."""
    return sum(3 + count(role) + count(content) for role, content in messages) + 3


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contents=st.lists(MIXED | st.just(""), min_size=1, max_size=4))
def test_the_request_estimate_covers_openais_chat_framing(
    tokenizers: dict[str, Count], contents: list[str]
) -> None:
    roles = ["user", "assistant"]
    messages = [(roles[i % 2], text) for i, text in enumerate(contents)]
    request = Request(model="openai/gpt-4o", messages=tuple(Message(r, (Text(t),)) for r, t in messages))  # type: ignore[arg-type]
    for name in ("o200k_base", "cl100k_base"):
        if name in tokenizers:
            assert estimate_prompt_tokens(request) >= _openai_chat_tokens(tokenizers[name], messages)


@pytest.mark.parametrize(
    ("model", "tokens"),
    [
        ("openai/gpt-4o-mini", 2_833 + 8 * 5_667),  # tile model whose image tokens are priced 33 times
        ("openai/gpt-4o", 85 + 8 * 170),  # 768x2048 after resizing: 8 tiles of 512 px
        ("openai/gpt-4.1", 85 + 8 * 170),
        ("openai/gpt-4.1-mini", 2_489),  # 1,536 patches x 1.62
        ("openai/gpt-4.1-nano", 3_779),  # 1,536 patches x 2.46
        ("openai/o4-mini", 2_642),  # 1,536 patches x 1.72
        ("openai/gpt-5-nano", 3_779),
        ("anthropic/claude-opus-4-7", 5_000),  # high-resolution vision: 3.75 MP / 750
        ("bedrock/anthropic.claude-sonnet-4-5", 5_000),
        ("google/gemini-2.5-pro", IMAGE_TOKENS),
        ("mistral/pixtral-large-latest", IMAGE_TOKENS),  # 64 x 64 patches and row breaks: 4,160
    ],
)
def test_an_image_is_held_at_its_model_familys_documented_maximum(model: str, tokens: int) -> None:
    assert image_tokens(model) == tokens
    assert IMAGE_TOKENS >= 4_160  # the default covers every family not listed


def test_images_are_held_at_the_worst_of_the_model_and_its_fallbacks() -> None:
    image = Image(url="https://example.com/cat.png")
    message = Message("user", (image, Text("What is this?")))
    alone = estimate_prompt_tokens(Request(model="openai/gpt-4o", messages=(message,)))
    with_mini = estimate_prompt_tokens(
        Request(model="openai/gpt-4o", messages=(message,), fallbacks=("openai/gpt-4o-mini",))
    )
    assert with_mini - alone == image_tokens("openai/gpt-4o-mini") - image_tokens("openai/gpt-4o")


def test_tools_add_anthropics_tool_use_system_prompt() -> None:
    message = Message("user", (Text("hi"),))
    bare = estimate_prompt_tokens(Request(model="anthropic/claude-sonnet-4-5", messages=(message,)))
    tool = Tool(name="f", description="", parameters={"type": "object"})
    tooled = estimate_prompt_tokens(
        Request(model="anthropic/claude-sonnet-4-5", messages=(message,), tools=(tool,))
    )
    assert tooled - bare >= 346 + text_bound('f{"type": "object"}')


def measurements(tokenizers: dict[str, Count]) -> Iterator[dict[str, Any]]:
    """The table in the module docstring's terms: real counts against the old estimate and the bound."""
    for name, text in SAMPLES.items():
        size = len(text.encode())
        yield {
            "script": name,
            **{tokenizer: count(text) for tokenizer, count in tokenizers.items()},
            "old": -(-size // 3),
            "new": text_bound(text),
        }


SAMPLES = {
    "english prose": "All human beings are born free and equal in dignity and rights.",
    "single letters": "a b c d e f g h i j k l m n o p q r s t",
    "spaced digits": "1 2 3 4 5 6 7 8 9 0",
    "digits": "31415926535897932384626433832795",
    "punctuation": "!?!?...;;--((**))[[]]{{}}",
    "code": "def f(x):\n    return {k: v for k, v in x.items() if v}\n",
    "chinese": "人人生而自由\uff0c在尊严和权利上一律平等。",
    "rare cjk": "\U00020000\U00020001\U00020002\U00020003",
    "japanese": "すべての人間は、生まれながらにして自由であり",
    "korean": "모든 인간은 태어날 때부터 자유로우며",
    "thai": "มนุษย์ทั้งหลายเกิดมามีอิสระและเสมอภาคกัน",
    "hindi": "सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतन्त्रता",
    "arabic": "يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق",
    "emoji zwj": "👩‍👩‍👧‍👦👨🏿‍🚀🏳️‍🌈",
    "combining": "Z̷̢͙a̸̛͎l̴̰̈g̵͎̓o̶̳͝",
    "ligature U+FDFA": "\ufdfa",
}


def test_the_measured_samples_are_within_the_bound(tokenizers: dict[str, Count]) -> None:
    for row in measurements(tokenizers):
        assert all(row["new"] >= row[name] for name in tokenizers), row
