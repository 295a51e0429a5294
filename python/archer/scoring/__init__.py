"""Rollout scoring over the native core (`archer._native`).

- `advantages`: group advantage estimators (GRPO as verl, Dr.GRPO, RLOO) and group stats.
"""

from archer._native import ScoringInputError
from archer.scoring.advantages import AdvantageResult, advantages, broadcast_to_tokens

__all__ = ["AdvantageResult", "ScoringInputError", "advantages", "broadcast_to_tokens"]
