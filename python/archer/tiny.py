"""Tiny Qwen3-architecture models and tokenizers, built offline (no model hub, no download).

Two tokenizers:

- ``"bpe"``: a byte-level BPE (like Qwen's) trained with `tokenizers` on a small built-in math
  corpus, with Qwen's special tokens and a ChatML chat template. The default model for `smoke`,
  tests and the vLLM path (head_dim 32, the smallest vLLM's CPU attention accepts).
- ``"char"``: one token per character over a tiny alphabet (digits, a few symbols) plus the word
  ``Answer:`` as a single token. A randomly initialised policy over ~20 tokens hits a one-digit answer
  often enough for GRPO to get signal from the first step: the `toy` preset's model.

`build_tiny_model(path)` writes a Hugging Face model directory (config.json, model.safetensors,
generation_config.json, tokenizer files) that ``AutoModelForCausalLM.from_pretrained`` and vLLM load.
Without a path it uses a cache directory keyed by the full spec, so repeated calls are free. Writes
go to a temporary directory renamed into place, so concurrent builders never see half a model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

# Qwen's special tokens: a base model ends documents with <|endoftext|>, chat turns end with <|im_end|>.
EOS = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
PAD = "<|pad|>"

# ChatML, as Qwen's templates render it (no system prompt injected).
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# The char tokenizer's alphabet: what the toy tasks need and little else, so random sampling finds
# the answer. "Answer:" is one token so the answer prefix costs one sampling decision.
CHAR_ALPHABET = list("0123456789+=,; ")
CHAR_WORDS = ["Answer:"]

_CORPUS_LINES = [
    "Let's think step by step and output the final answer within \\boxed{}.",
    "Solve the problem. Put the final answer on its own line as Answer: <number>.",
    "First, we compute the sum: 3 + 4 = 7. Therefore the answer is \\boxed{7}.",
    "Since x^2 - 5x + 6 = 0, we factor (x - 2)(x - 3) = 0, so x = 2 or x = 3.",
    "The area of a circle of radius r is \\pi r^2, so with r = 3 it is 9\\pi.",
    "Thus \\frac{1}{2} + \\frac{1}{3} = \\frac{5}{6}. Hence the answer is \\boxed{\\frac{5}{6}}.",
    "We need to find the number of integers n such that 1 \\le n \\le 100.",
    "Because the triangle is right-angled, a^2 + b^2 = c^2, and c = \\sqrt{3^2 + 4^2} = 5.",
    "However, we must check the case n = 0 separately. So, the total is 12.",
    "Answer: 42",
    "Wait, let me re-check: 12 \\times 7 = 84, and 84 / 2 = 42. Answer: 42",
    "The probability is \\dfrac{3}{8}, and the expected value equals 2.5.",
    "Let f(x) = 2x + 1. Then f(f(1)) = f(3) = 7. Therefore, the answer is 7.",
    "If a + b = 10 and a - b = 4, then a = 7 and b = 3, so ab = 21.",
    "The sequence 2, 4, 8, 16 has ratio 2; the next term is 32.",
    "Consider the interval [2, 5) and the set \\{1, 2, 3\\}; the point is (3, \\frac{\\pi}{2}).",
    "Hmm, but then the remainder modulo 9 is 4, because 1 + 3 = 4.",
    "In conclusion, 30^\\circ is the angle, and the percentage is 50\\%.",
    "Question: What is 6 + 9? Answer: 15",
    "user assistant system",
]


@dataclass(frozen=True)
class TinySpec:
    """Everything that determines the built model; its hash names the cache directory."""

    tokenizer: str = "bpe"  # "bpe" or "char"
    seed: int = 0
    hidden_size: int = 64
    intermediate_size: int = 128
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    head_dim: int = 32  # vLLM's CPU attention needs head_dim >= 32
    vocab_size: int = 512  # BPE target size; the char tokenizer uses its own (small) size
    max_position_embeddings: int = 4096
    tie_word_embeddings: bool = True  # as Qwen3-0.6B
    version: int = 1  # bump when the build recipe changes, to invalidate caches

    def key(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def cache_root() -> Path:
    """Where built tiny models are cached: $ARCHER_CACHE, else ~/.cache/archer."""
    root = os.environ.get("ARCHER_CACHE") or os.path.join(Path.home(), ".cache", "archer")
    return Path(root) / "tiny-models"


def _build_bpe_tokenizer(vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=[EOS, IM_START, IM_END, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    # Repeat the corpus so merge counts are stable; BPE training is deterministic for a fixed input.
    tok.train_from_iterator(_CORPUS_LINES * 4, trainer=trainer)
    return tok


def _build_char_tokenizer():
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    specials = [EOS, IM_START, IM_END, PAD]
    vocab = {t: i for i, t in enumerate(specials + CHAR_WORDS + CHAR_ALPHABET)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=PAD))
    words = "|".join(w.replace(":", "\\:") for w in CHAR_WORDS)
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(f"{words}|."), behavior="isolated")
    tok.decoder = decoders.Fuse()  # tokens are characters: join without separators
    return tok


def _wrap(tok):
    from transformers import PreTrainedTokenizerFast

    tok.add_special_tokens([EOS, IM_START, IM_END, PAD])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=EOS,
        pad_token=PAD,
        additional_special_tokens=[IM_START, IM_END],
        clean_up_tokenization_spaces=False,
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.padding_side = "left"
    return fast


def build_tokenizer(kind: str = "bpe", vocab_size: int = 512):
    """A PreTrainedTokenizerFast of the given kind, built in memory."""
    if kind == "bpe":
        return _wrap(_build_bpe_tokenizer(vocab_size))
    if kind == "char":
        return _wrap(_build_char_tokenizer())
    raise ValueError(f"tiny tokenizer kind must be 'bpe' or 'char', got {kind!r}")


def _is_complete(path: Path) -> bool:
    return (path / "model.safetensors").is_file() and (path / "tokenizer.json").is_file()


def build_tiny_model(path: Path | str | None = None, *, seed: int = 0, **spec_fields) -> Path:
    """Write a random-init tiny Qwen3ForCausalLM + tokenizer to `path` (default: a cache directory
    named by the spec's hash) and return the directory. An existing complete directory is reused.

    `spec_fields` are `TinySpec` fields (tokenizer="char", hidden_size=..., ...).
    """
    spec = TinySpec(seed=seed, **spec_fields)
    target = Path(path) if path is not None else cache_root() / f"{spec.tokenizer}-{spec.key()}"
    if _is_complete(target):
        return target

    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    tokenizer = build_tokenizer(spec.tokenizer, spec.vocab_size)
    vocab = len(tokenizer)
    config = Qwen3Config(
        vocab_size=vocab,
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_hidden_layers,
        num_attention_heads=spec.num_attention_heads,
        num_key_value_heads=spec.num_key_value_heads,
        head_dim=spec.head_dim,
        max_position_embeddings=spec.max_position_embeddings,
        tie_word_embeddings=spec.tie_word_embeddings,
        bos_token_id=tokenizer.convert_tokens_to_ids(EOS),
        eos_token_id=[
            tokenizer.convert_tokens_to_ids(EOS),
            tokenizer.convert_tokens_to_ids(IM_END),
        ],
        pad_token_id=tokenizer.pad_token_id,
        torch_dtype="float32",
    )
    # Seed only this build: a fork of the global generator keeps callers' RNG state untouched.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        model = Qwen3ForCausalLM(config)
    model.generation_config.eos_token_id = config.eos_token_id
    model.generation_config.pad_token_id = config.pad_token_id
    model.generation_config.bos_token_id = config.bos_token_id

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / "archer_tiny_spec.json").write_text(json.dumps(asdict(spec), indent=2) + "\n")
        if target.exists() and not any(target.iterdir()):
            target.rmdir()
        try:
            os.rename(tmp, target)
        except OSError:
            # Someone else finished first (or the target is a non-empty directory we must not touch).
            if not _is_complete(target):
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def tiny_model_for(kind: str = "bpe", seed: int = 0) -> Path:
    """The cached default tiny model of a tokenizer kind (the `smoke` and `toy` presets' models)."""
    if kind == "char":
        # The toy task's shape (platform-facts.md): 2 heads of 32, intermediate 256, ~130k params.
        return build_tiny_model(
            seed=seed, tokenizer="char", num_attention_heads=2, num_key_value_heads=2,
            intermediate_size=256, max_position_embeddings=256,
        )  # fmt: skip
    return build_tiny_model(seed=seed, tokenizer=kind)
