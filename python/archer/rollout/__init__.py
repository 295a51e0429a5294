"""Rollout engines behind one interface (Hugging Face generate, vLLM)."""
