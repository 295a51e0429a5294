"""The embedded tiny models: built offline, loadable by transformers, deterministic, cached."""

from __future__ import annotations

import hashlib

import pytest
import transformers

from archer.tiny import EOS, IM_END, build_tiny_model, tiny_model_for


def _digest(path):
    return hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()


def test_bpe_model_loads_and_generates(tmp_path):
    path = build_tiny_model(tmp_path / "m", seed=3)
    tok = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.AutoModelForCausalLM.from_pretrained(path)
    assert model.config.head_dim >= 32  # vLLM's CPU attention needs it
    assert tok.eos_token == EOS and tok.pad_token is not None
    text = tok.apply_chat_template(
        [{"role": "user", "content": "What is 3+4?"}], tokenize=False, add_generation_prompt=True
    )
    assert text.endswith("<|im_start|>assistant\n")
    ids = tok(text, return_tensors="pt")["input_ids"]
    assert tok.decode(ids[0]) == text  # byte-level BPE round-trips
    out = model.generate(ids, do_sample=False, max_new_tokens=5)
    assert out.shape[1] > ids.shape[1]
    assert tok.convert_tokens_to_ids(IM_END) in model.generation_config.eos_token_id


def test_build_is_deterministic_per_seed(tmp_path):
    # the char tokenizer keeps this fast; the BPE trainer's determinism is checked separately
    a = build_tiny_model(tmp_path / "a", seed=1, tokenizer="char")
    b = build_tiny_model(tmp_path / "b", seed=1, tokenizer="char")
    c = build_tiny_model(tmp_path / "c", seed=2, tokenizer="char")
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)
    assert (a / "tokenizer.json").read_text() == (b / "tokenizer.json").read_text()


def test_bpe_tokenizer_training_is_deterministic():
    from archer.tiny import build_tokenizer

    assert build_tokenizer("bpe").get_vocab() == build_tokenizer("bpe").get_vocab()


def test_cache_reuses_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHER_CACHE", str(tmp_path))
    p1 = tiny_model_for("char")
    mtime = (p1 / "model.safetensors").stat().st_mtime_ns
    p2 = tiny_model_for("char")
    assert p1 == p2 and (p2 / "model.safetensors").stat().st_mtime_ns == mtime
    assert str(p1).startswith(str(tmp_path))


def test_char_tokenizer_is_one_token_per_character(tmp_path):
    path = build_tiny_model(tmp_path / "c", tokenizer="char")
    tok = transformers.AutoTokenizer.from_pretrained(path)
    ids = tok("3,7,2=Answer:9")["input_ids"]
    assert len(ids) == 8  # 6 characters, "Answer:" and "9"
    assert tok.decode(ids) == "3,7,2=Answer:9"
    assert len(tok) < 32  # small enough that random sampling finds one-digit answers


def test_unknown_tokenizer_kind_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="'bpe' or 'char'"):
        build_tiny_model(tmp_path / "x", tokenizer="wordpiece")
