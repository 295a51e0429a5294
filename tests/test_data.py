"""Training data: readers, row validation with clear errors, templates, filtering, sampler."""

from __future__ import annotations

import json

import pytest
import transformers  # noqa: F401

from archer.config import DataConfig
from archer.data import (
    BOXED_INSTRUCTION,
    DataError,
    PromptSampler,
    load_examples,
    parse_row,
    prepare,
    render_prompt,
)


@pytest.fixture(scope="module")
def char_tok():
    from archer.tiny import build_tokenizer

    return build_tokenizer("char")


@pytest.fixture(scope="module")
def bpe_tok():
    from archer.tiny import build_tokenizer

    return build_tokenizer("bpe")


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def _verl_row(q="What is 2+2?", gt="4"):
    return {
        "data_source": "test",
        "prompt": [{"role": "user", "content": q}],
        "reward_model": {"ground_truth": gt},
    }


def test_missing_ground_truth_names_file_row_and_field(tmp_path):
    f = _jsonl(tmp_path / "d.jsonl", [_verl_row(), {"prompt": [{"role": "user", "content": "x"}]}])
    with pytest.raises(DataError) as err:
        load_examples([f])
    msg = str(err.value)
    assert "d.jsonl" in msg and "row 2" in msg and "reward_model.ground_truth" in msg


def test_empty_prompt_is_an_error(tmp_path):
    f = _jsonl(tmp_path / "d.jsonl", [_verl_row(q="   ")])
    with pytest.raises(DataError, match=r"d.jsonl: row 1: field 'prompt' is empty"):
        load_examples([f])
    with pytest.raises(DataError, match="field 'prompt' is empty"):
        parse_row({"prompt": [], "reward_model": {"ground_truth": "1"}}, "x: row 1")


def test_bad_rows_and_files(tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"prompt": "a", "answer": "1"}\n{not json\n')
    with pytest.raises(DataError, match=r"bad.jsonl: row 2: not valid JSON"):
        load_examples([str(tmp_path / "bad.jsonl")])
    with pytest.raises(DataError, match="does not exist"):
        load_examples([str(tmp_path / "missing.parquet")])
    with pytest.raises(DataError, match=r"prompt\[0\]"):
        parse_row({"prompt": [{"text": "a"}], "answer": "1"}, "f: row 1")
    with pytest.raises(DataError, match="missing field 'prompt'"):
        parse_row({"answer": "1"}, "f: row 1")
    (tmp_path / "e.jsonl").write_text("\n")
    with pytest.raises(DataError, match="no rows"):
        load_examples([str(tmp_path / "e.jsonl")])


def test_verl_parquet_schema(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [_verl_row("What is 1+1?", "2"), _verl_row("What is 3*3?", "9")]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "train.parquet")
    ex = load_examples([str(tmp_path / "train.parquet")])
    assert [e.ground_truth for e in ex] == ["2", "9"]
    assert ex[1].messages[0]["content"] == "What is 3*3?" and ex[0].data_source == "test"
    assert ex[1].origin.endswith("row 2")


def test_math_style_jsonl_and_bundled_sets():
    ex = load_examples(["../shared/data/math500.jsonl"])
    assert len(ex) == 500 and all(e.ground_truth for e in ex)
    smoke = load_examples(["bundled:smoke"])
    assert len(smoke) == 64
    toy = load_examples(["bundled:toy"])
    assert toy[0].messages[0]["content"].endswith("=")
    digits = [int(c) for c in toy[0].messages[0]["content"][:-1].split(",")]
    assert toy[0].ground_truth == str(max(digits))
    with pytest.raises(DataError, match="unknown bundled"):
        load_examples(["bundled:nope"])


def test_templates_and_chat_rendering(bpe_tok):
    ex = parse_row(_verl_row("What is 2+2?"), "t: row 1")
    boxed = render_prompt(ex, bpe_tok, DataConfig(template="boxed"))
    assert boxed.startswith("<|im_start|>user\nWhat is 2+2? " + BOXED_INSTRUCTION)
    assert boxed.endswith("<|im_start|>assistant\n")
    answer = render_prompt(ex, bpe_tok, DataConfig(template="answer", chat_template=False))
    assert "Answer: $Answer" in answer and 'after "Answer:"' in answer
    raw = render_prompt(
        ex, bpe_tok, DataConfig(template="none", chat_template=False, assistant_prefill="Answer:")
    )
    assert raw == "What is 2+2?Answer:"
    already = parse_row(_verl_row("Q? " + BOXED_INSTRUCTION), "t: row 2")
    assert render_prompt(already, bpe_tok, DataConfig()).count("\\boxed") == 1


def test_overlong_prompts_are_filtered_and_counted(char_tok):
    rows = [
        parse_row({"prompt": "1,2,3=", "answer": "3"}, "t: row 1"),
        parse_row({"prompt": "1,2,3,4,5,6,7,8=", "answer": "8"}, "t: row 2"),
    ]
    cfg = DataConfig(template="none", chat_template=False, max_prompt_length=8)
    ps = prepare(rows, char_tok, cfg)
    assert ps.n_filtered == 1 and len(ps.examples) == 1 and len(ps.prompt_ids[0]) == 6
    with pytest.raises(DataError, match="max_prompt_length=2"):
        prepare(
            rows, char_tok, DataConfig(template="none", chat_template=False, max_prompt_length=2)
        )


def test_sampler_is_deterministic_covers_epochs_and_resumes():
    a = PromptSampler(10, seed=3)
    first = a.next_batch(4) + a.next_batch(4) + a.next_batch(4)
    assert sorted(first[:10]) == list(range(10))  # one full epoch before any repeat
    assert a.epoch == 1
    b = PromptSampler(10, seed=3)
    b.next_batch(4)
    state = b.state_dict()
    c = PromptSampler(10, seed=3)
    c.load_state_dict(json.loads(json.dumps(state)))
    assert c.next_batch(8) == first[4:12]
    assert PromptSampler(10, seed=4).next_batch(10) != first[:10]
    assert PromptSampler(5, seed=1, shuffle=False).next_batch(7) == [0, 1, 2, 3, 4, 0, 1]
    with pytest.raises(DataError, match="data seed"):
        PromptSampler(10, seed=9).load_state_dict(state)
