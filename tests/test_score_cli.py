"""`archer score FILE.jsonl`: rows in, rows plus `correct`/`answer`/`status` out, a summary printed,
other key names, math_dapo mode, and clear errors for bad files. Runs the real CLI app."""

import json

from typer.testing import CliRunner

from archer.cli import app

runner = CliRunner()


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


ROWS = [
    {"id": 1, "response": "So \\boxed{\\frac{1}{2}}.", "ground_truth": "0.5"},
    {"id": 2, "response": "Answer: 7", "ground_truth": "8"},
    {"id": 3, "response": "I am not sure.", "ground_truth": "3"},
    {"id": 4, "response": "\\boxed{@@}", "ground_truth": "3"},
]


def test_score_writes_rows_and_summary(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "sub" / "out.jsonl"
    _write(src, ROWS)
    res = runner.invoke(app, ["score", str(src), "--out", str(out), "--threads", "1"])
    assert res.exit_code == 0, res.output
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in got] == [1, 2, 3, 4]
    assert [r["correct"] for r in got] == [True, False, False, False]
    assert [r["status"] for r in got] == ["match", "mismatch", "no_answer", "unparsable"]
    assert got[0]["answer"] == "\\frac{1}{2}" and got[2]["answer"] is None
    assert got[0]["response"] == ROWS[0]["response"]
    for text in ("accuracy", "0.2500 (1/4)", "no_answer", "throughput", "responses/s"):
        assert text in res.output


def test_score_custom_keys_and_math_dapo(tmp_path):
    src = tmp_path / "in.jsonl"
    _write(src, [{"completion": "work\nAnswer: 1,000", "gold": "1000"}])
    args = ["score", str(src), "--response-key", "completion", "--truth-key", "gold"]
    args += ["--mode", "math_dapo", "--out", str(tmp_path / "o.jsonl")]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    row = json.loads((tmp_path / "o.jsonl").read_text())
    assert row["correct"] is True and row["answer"] == "1000"


def test_score_errors_name_the_problem(tmp_path):
    res = runner.invoke(app, ["score", str(tmp_path / "missing.jsonl")])
    assert res.exit_code == 2 and "no such file" in res.output
    src = tmp_path / "bad.jsonl"
    # A row without a ground truth is inspected only (issue 4); a missing response is an error.
    src.write_text('{"text": "x"}\n', encoding="utf-8")
    res = runner.invoke(app, ["score", str(src)])
    assert res.exit_code == 2 and "missing key 'response'" in res.output
    assert "--response-key" in res.output
    src.write_text("{not json\n", encoding="utf-8")
    res = runner.invoke(app, ["score", str(src)])
    assert res.exit_code == 2 and "bad.jsonl: row 1" in res.output
    _write(src, ROWS)
    res = runner.invoke(app, ["score", str(src), "--mode", "sympy"])
    assert res.exit_code != 0 and "mode" in res.output


def test_score_rollout_batch(tmp_path):
    """The `make demo` input end to end."""
    out = tmp_path / "demo.jsonl"
    res = runner.invoke(
        app, ["score", "../shared/data/rollout_batch_1024.jsonl", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 1024
    assert {"correct", "answer", "status", "prompt_id", "finish_reason"} <= set(rows[0])
    n_correct = sum(r["correct"] for r in rows)
    assert 0 < n_correct < 1024 and f"({n_correct}/1024)" in res.output
