"""What to change next, from the findings and the run's config: the seeds' lessons, as rules.

Each recommendation names the findings that triggered it and the lab note it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping

from archer.diagnose.findings import Finding
from archer.diagnose.series import config_number

KL_MIDDLE_LOW, KL_MIDDLE_HIGH = 0.01, 0.05  # V4's "dangerous middle ground" lies strictly between


def _rec(text: str, because: list[str], source: str) -> dict:
    return {"text": text, "because": because, "source": source}


def recommendations(findings: list[Finding], config: Mapping) -> list[dict]:
    kinds = {f.kind for f in findings}
    ent = config_number(config, "entropy_coeff")
    kl = config_number(config, "kl_loss_coef")
    max_len = config_number(config, "max_response_length")
    out: list[dict] = []

    if "entropy_collapse" in kinds:
        if ent == 0:
            out.append(
                _rec(
                    "Entropy collapsed with no entropy bonus: add entropy_coeff=0.01 and a stronger "
                    "KL anchor (kl_loss_coef 0.01 -> 0.05); V0 (entropy_coeff=0, kl_loss_coef=0.001) "
                    "collapsed 2.9 -> 0.07 in 71 steps.",
                    ["entropy_collapse"],
                    "seed 003 (V0 -> V1)",
                )
            )
        else:
            bonus = f" (entropy_coeff={ent:g})" if ent else ""
            out.append(
                _rec(
                    f"Entropy bonus feedback loop: the bonus{bonus} is proportional to entropy, so "
                    "it weakens as entropy falls and cannot stop a collapse (V2: 5.3 -> 0.18 at step "
                    "78). Anchor with the KL loss instead, which grows as the policy drifts: raise "
                    f"kl_loss_coef (V3 used 0.05{'' if kl is None else f', this run {kl:g}'}) and "
                    "keep entropy_coeff=0.01 as the floor.",
                    ["entropy_collapse"],
                    "seed 001 (V2 -> V3)",
                )
            )
    over = sorted(kinds & {"entropy_explosion", "gibberish_rise"})
    if over:
        out.append(
            _rec(
                "Over-randomness: the entropy bonus is winning"
                + (f" (entropy_coeff={ent:g})" if ent else "")
                + ". Use the bonus as a floor and the KL loss as a ceiling: kl_loss_coef=0.05 "
                "with entropy_coeff=0.01 kept entropy near its target in V3 (V1 with 0.01/0.01 "
                "rose to 8.4 and sampled Unicode gibberish).",
                over,
                "seed 002 (V1 diagnosis), seed 001 (dual regularization)",
            )
        )
    if "shortcut_guessing" in kinds:
        out.append(
            _rec(
                "Do not trust the score: it rises through answer-only guessing (V1 reached 0.43 by "
                "emitting `คำตอบ: <number>`). Judge progress by response_length/pos/mean (> 50 "
                "tokens) and logical connectives, and reduce what rewards randomness (entropy "
                "bonus) or anchor harder to the reference (kl_loss_coef 0.05).",
                ["shortcut_guessing"],
                "seed 002 (V1 diagnosis)",
            )
        )
    unstable = sorted(kinds & {"entropy_oscillation", "kl_spike"})
    if unstable and kl is not None and KL_MIDDLE_LOW < kl < KL_MIDDLE_HIGH:
        out.append(
            _rec(
                f"kl_loss_coef={kl:g} is in the dangerous middle ground (V4: 0.03): too weak to "
                "anchor the policy but strong enough to destabilize it. Go back to 0.05 (V3/V5).",
                unstable,
                "seed 000 (V4 post-mortem)",
            )
        )
    elif unstable:
        out.append(
            _rec(
                "Unstable regularization (oscillating entropy / KL spikes): in V4 this came from a "
                "KL coefficient between anchoring and freedom (0.03); use a clearly anchoring "
                "kl_loss_coef (0.05) or none, and lower the learning rate if it persists.",
                unstable,
                "seed 000 (V4 post-mortem)",
            )
        )
    if "valid_collapse" in kinds:
        out.append(
            _rec(
                "No learning signal: almost every group is all-wrong, so GRPO advantages are zero. "
                "Stop the run (V5 abandons at valid < 10 of 64) and restart from the last config "
                "with healthy valid counts (V3 kept 27).",
                ["valid_collapse"],
                "seed 000 (V4 post-mortem, V5 criteria)",
            )
        )
    if "score_plateau" in kinds:
        out.append(
            _rec(
                "The score is not moving: raise sampling temperature (1.0 -> 1.2), sample more "
                "responses per prompt (16 -> 32), or start from the instruct model; a strongly "
                "anchored run (kl_loss_coef 0.05) may just need more steps (V5 judges at 200/300).",
                ["score_plateau"],
                "seed 004 (notes), seed 000 (V5 strategy)",
            )
        )
    slow = sorted(kinds & {"length_saturation", "slow_steps"})
    if slow:
        cut = f" (now {max_len:g})" if max_len else ""
        out.append(
            _rec(
                "Overlong responses dominate step time: 8% of responses at max_response_length=30720 "
                "made ~80% of the tokens and ~10 min/step. Lower max_response_length to a few "
                f"times the correct-response length{cut} (V1: 4096, ~5x faster) with a "
                "proportional overlong_buffer_len (256).",
                slow,
                "seed 003 (V1 changes)",
            )
        )
    degenerate = sorted(kinds & {"repetition_rise", "language_drift_rise"})
    if degenerate:
        out.append(
            _rec(
                "Degenerate samples are spreading (loops like `& & &`, `ゆ ゆ ゆ`, foreign answer "
                "markers): add repetition_penalty=1.2 or a stronger entropy/KL balance, and "
                "inspect the examples below before trusting the score.",
                degenerate,
                "seed 003 (contingency plans), seed 002 (V1 diagnosis)",
            )
        )
    if kinds & {"grad_explosion", "nan_loss"}:
        out.append(
            _rec(
                "Gradient instability (the V1 criteria call grad_norm > 10 instability): lower the "
                "learning rate, keep gradient clipping at 1.0, and resume from the last checkpoint "
                "with finite losses.",
                sorted(kinds & {"grad_explosion", "nan_loss"}),
                "seed 003 (V1 monitoring criteria)",
            )
        )
    return out
