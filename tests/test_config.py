"""Typed config and presets: exact seed values, overrides, validation naming the field, CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from archer.cli import app
from archer.config import Config, ConfigError, apply_overrides, diff, validate
from archer.criteria import criteria_for
from archer.presets import PRESETS, get_preset
from archer.train.commands import resolve_config

# The seeds' values, transcribed by hand from ../shared/seeds (not from presets.py):
# (max_response_length, entropy_coeff, kl_loss_coef, overlong_buffer_len)
SEED_VALUES = {
    "v0": (30720, 0.0, 0.001, 16),  # seed 003 "Old" column (the 0226c run)
    "v1": (4096, 0.01, 0.01, 256),  # seed 003 "New" column
    "v2": (4096, 0.005, 0.01, 256),  # seed 002
    "v3": (4096, 0.01, 0.05, 256),  # seed 001
    "v4": (4096, 0.01, 0.03, 256),  # seed 000 (v4 post-mortem)
    "v5": (4096, 0.01, 0.05, 256),  # seed 000 (= v3)
}


@pytest.mark.parametrize("name", sorted(SEED_VALUES))
def test_presets_match_the_seeds(name):
    c = get_preset(name).config
    resp, ent, kl, buf = SEED_VALUES[name]
    assert c.rollout.max_response_length == resp
    assert c.algo.entropy_coeff == ent
    assert c.algo.kl_loss_coef == kl and c.algo.use_kl_loss
    assert c.scoring.overlong_buffer_len == buf
    # shared values (seed 004 / seed 003)
    assert c.model.intended == "Qwen3-0.6B-Base" and c.model.path is None
    assert c.trainer.n_gpus_per_node == 4
    assert (c.trainer.train_batch_size, c.rollout.n) == (64, 16)
    assert c.data.max_prompt_length == 2048
    assert c.optim.lr == 1e-6 and c.algo.ppo_epochs == 3 and c.rollout.temperature == 1.0
    # Archer2.0 math script defaults where the seeds are silent
    assert c.trainer.ppo_mini_batch_size == 16 and c.optim.warmup_steps == 10
    assert c.optim.weight_decay == 0.1 and c.optim.grad_clip == 1.0
    assert c.algo.kl_loss_type == "low_var_kl" and c.algo.loss_agg_mode == "token-mean"
    assert (c.algo.clip_ratio_low, c.algo.clip_ratio_high, c.algo.clip_ratio_c) == (0.2, 0.2, 3.0)
    # use_archer_policy_loss=True: ASPO, with the per-response entropy split at 0.8 (0.4/0.4)
    assert c.algo.policy_loss == "aspo" and c.algo.token_entropy_split
    assert c.algo.token_entropy_quantile == 0.8
    assert (c.algo.high_entropy_clip_ratio_low, c.algo.high_entropy_clip_ratio_high) == (0.4, 0.4)
    assert c.scoring.overlong_penalty_factor == 1.0
    assert (c.rollout.val_n, c.rollout.val_temperature, c.rollout.val_top_p) == (4, 0.6, 0.95)
    assert c.preset == name
    assert get_preset(name).criteria == criteria_for(name) and get_preset(name).criteria
    # every seed-derived value names its source
    src = get_preset(name).sources
    assert "seed" in src["algo.kl_loss_coef"] and "Archer2.0" in src["optim.weight_decay"]


def test_v5_is_v3_run_longer():
    rows = {k for k, _, _ in diff(get_preset("v3").config, get_preset("v5").config)}
    assert rows == {"preset", "trainer.experiment_name"} or rows <= {
        "preset",
        "trainer.experiment_name",
        "trainer.total_steps",
    }
    assert get_preset("v5").config.trainer.total_steps >= 300


def test_smoke_and_toy_use_embedded_models():
    smoke, toy = get_preset("smoke").config, get_preset("toy").config
    assert smoke.model.path is None and smoke.model.intended == "tiny"
    assert smoke.trainer.total_steps == 2
    assert toy.model.tiny_tokenizer == "char" and toy.data.train_files == ["bundled:toy"]
    assert smoke.algo.policy_loss == "aspo" and toy.algo.policy_loss == "ppo"
    assert set(PRESETS) == {"v0", "v1", "v2", "v3", "v4", "v5", "smoke", "toy"}


def test_set_overrides_parse_types_and_apply_in_order():
    cfg = apply_overrides(
        get_preset("smoke").config,
        [
            "algo.kl_loss_coef=0.2",
            "algo.use_kl_loss=false",
            "data.template=answer",
            'data.train_files=["a.jsonl","b.parquet"]',
            "trainer.total_steps=5",
            "trainer.total_steps=7",
            "model.path=null",
        ],
    )
    assert cfg.algo.kl_loss_coef == 0.2 and cfg.algo.use_kl_loss is False
    assert cfg.data.template == "answer"
    assert cfg.data.train_files == ["a.jsonl", "b.parquet"]
    assert cfg.trainer.total_steps == 7


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("algo.kl_loss_coef=-1", "algo.kl_loss_coef"),
        ("rollout.temperature=0", "rollout.temperature"),
        ("algo.loss_agg_mode=seq-mean", "algo.loss_agg_mode"),
        ("algo.kl_loss_type=k9", "algo.kl_loss_type"),
        ("trainer.total_steps=abc", "trainer.total_steps"),
        ("rollout.top_p=1.5", "rollout.top_p"),
        ("trainer.ppo_mini_batch_size=3", "trainer.train_batch_size"),
        ("scoring.overlong_buffer_len=4096", "scoring.overlong_buffer_len"),
    ],
)
def test_bad_values_fail_naming_the_field(override, field):
    with pytest.raises(ConfigError) as err:
        apply_overrides(get_preset("v5").config, [override])
    assert field in str(err.value)


def test_unknown_field_is_rejected_with_the_known_ones():
    with pytest.raises(ConfigError, match=r"'kl_coeff' is not in algo.*kl_loss_coef"):
        apply_overrides(Config(), ["algo.kl_coeff=0.1"])
    with pytest.raises(ConfigError, match=r"a\.b=value"):
        apply_overrides(Config(), ["algo.kl_loss_coef"])
    with pytest.raises(ConfigError, match=r"algo\.foo"):
        validate({"algo": {"foo": 1}})


def test_config_round_trips_through_json(tmp_path):
    cfg = resolve_config("v3", steps=12, overrides=["algo.entropy_coeff=0.02"])
    cfg.dump(tmp_path / "config.json")
    data = json.loads((tmp_path / "config.json").read_text())
    assert data["preset"] == "v3" and data["trainer"]["total_steps"] == 12
    assert validate(data) == cfg


def test_config_file_then_set(tmp_path):
    f = tmp_path / "c.json"
    f.write_text(json.dumps({"algo": {"entropy_coeff": 0.3}, "trainer": {"total_steps": 9}}))
    cfg = resolve_config("smoke", config_file=f, overrides=["trainer.total_steps=11"])
    assert cfg.algo.entropy_coeff == 0.3 and cfg.trainer.total_steps == 11
    (tmp_path / "bad.json").write_text('{"algo": {"entropy_coeff": "lots"}}')
    with pytest.raises(ConfigError, match=r"algo\.entropy_coeff"):
        resolve_config("smoke", config_file=tmp_path / "bad.json")


runner = CliRunner()


def test_cli_v5_without_model_fails_at_once_with_instructions():
    result = runner.invoke(app, ["train", "--preset", "v5"])
    assert result.exit_code == 2
    out = result.output
    assert "Qwen3-0.6B-Base" in out and "--model" in out and "archer train --preset v5" in out


def test_cli_bad_set_fails_before_start(tmp_path):
    result = runner.invoke(
        app, ["train", "--preset", "smoke", "--output", str(tmp_path), "--set", "optim.lr=-3"]
    )
    assert result.exit_code == 2 and "optim.lr" in result.output
    assert not any(tmp_path.iterdir())  # nothing started, nothing written


def test_cli_model_dir_must_exist(tmp_path):
    result = runner.invoke(app, ["train", "--preset", "v5", "--model", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "config.json" in result.output


def test_cli_presets_list_and_diff():
    listing = runner.invoke(app, ["presets"])
    assert listing.exit_code == 0
    for name in PRESETS:
        assert name in listing.output
    d = runner.invoke(app, ["presets", "diff", "v3", "v4"])
    assert d.exit_code == 0
    lines = [ln for ln in d.output.splitlines() if ln.startswith("algo.")]
    assert len(lines) == 1 and "kl_loss_coef" in lines[0] and "0.05" in lines[0]
    assert "0.03" in lines[0]
    show = runner.invoke(app, ["presets", "show", "v5"])
    assert show.exit_code == 0 and "ABANDON" in show.output and "seed 000" in show.output
    bad = runner.invoke(app, ["presets", "diff", "v3", "v9"])
    assert bad.exit_code == 2 and "unknown preset" in bad.output


def test_missing_model_fails_before_torch_is_imported():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from archer.cli import app\n"
        "r = CliRunner().invoke(app, ['train', '--preset', 'v5'])\n"
        "assert r.exit_code == 2, r.output\n"
        "print('torch imported:', 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "torch imported: False" in out.stdout
