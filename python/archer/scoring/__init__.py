"""Rollout scoring over the native core (`archer._native`).

- `advantages`: group advantage estimators (GRPO as verl, Dr.GRPO, RLOO) and group stats.
- `verify` / `verify_batch`: native math-answer verification (policy: archer.scoring.verify docs).
- `inspect_texts`: degeneracy detection (loops, gibberish, language drift, shortcuts, word counts).
- `score_batch`: the one-call batch scorer (verify + inspect + shaping + advantages + metrics).
"""

from archer._native import ScoringInputError
from archer.scoring.advantages import AdvantageResult, advantages, broadcast_to_tokens
from archer.scoring.batch import BatchScores, ScoringConfig, score_batch
from archer.scoring.inspect import InspectConfig, Inspections, inspect_text, inspect_texts
from archer.scoring.verify import BatchVerdicts, Verdict, equivalent, verify, verify_batch

__all__ = ["AdvantageResult", "ScoringInputError", "advantages", "broadcast_to_tokens"]
__all__ += ["BatchVerdicts", "Verdict", "equivalent", "verify", "verify_batch"]
__all__ += ["InspectConfig", "Inspections", "inspect_text", "inspect_texts"]
__all__ += ["BatchScores", "ScoringConfig", "score_batch"]
