"""archer: GRPO for math reasoning with native rollout scoring and run diagnosis."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("archer-rl")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
