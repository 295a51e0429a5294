"""Rollout with Hugging Face `generate`, sharing the trainer's model (no weight sync needed).

On a CPU this is as fast as vLLM for tiny models and has no start-up cost (platform-facts.md), so it
is the default engine for tests, `smoke` and `toy`; the vLLM engine implements the same interface.

Log-probs are those of the sampled tokens under softmax(logits / temperature), the distribution the
trainer recomputes for the importance ratio (top-p truncation is not folded in, as in verl).
"""

from __future__ import annotations

import torch

from archer.rollout.base import Rollout, SamplingParams


class HFRolloutEngine:
    """`RolloutEngine` over `model.generate` with left-padded prompt batches."""

    def __init__(
        self,
        model,
        tokenizer,
        *,
        eos_token_ids: list[int] | None = None,
        max_sequences_per_batch: int = 512,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        eos = eos_token_ids
        if eos is None:
            gen_eos = getattr(model.generation_config, "eos_token_id", None)
            eos = gen_eos if isinstance(gen_eos, list) else [gen_eos or tokenizer.eos_token_id]
        self.eos_token_ids = [int(e) for e in eos if e is not None]
        self.pad_token_id = (
            tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_token_ids[0]
        )
        self.max_sequences_per_batch = max_sequences_per_batch

    def _device(self) -> torch.device:
        return next(self.model.parameters()).device

    @torch.no_grad()
    def _generate_chunk(
        self, prompts: list[list[int]], params: SamplingParams
    ) -> list[tuple[list[int], list[float]]]:
        device = self._device()
        width = max(len(p) for p in prompts)
        input_ids = torch.full((len(prompts), width), self.pad_token_id, dtype=torch.long)
        attention = torch.zeros((len(prompts), width), dtype=torch.long)
        for i, p in enumerate(prompts):
            input_ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
            attention[i, width - len(p) :] = 1
        was_training = self.model.training
        self.model.eval()
        try:
            out = self.model.generate(
                input_ids=input_ids.to(device),
                attention_mask=attention.to(device),
                do_sample=True,
                temperature=params.temperature,
                top_p=params.top_p,
                top_k=0,  # no top-k truncation: the policy's full distribution, as verl's rollout
                max_new_tokens=params.max_tokens,
                eos_token_id=self.eos_token_ids,
                pad_token_id=self.pad_token_id,
                num_return_sequences=params.n,
                return_dict_in_generate=True,
                output_logits=True,
                # [scale-out] under FSDP every rank must run the same number of forward passes
                # (each all-gathers weights): finished ranks keep stepping until all are done
                synced_gpus=_distributed(),
            )
        finally:
            self.model.train(was_training)
        sequences = out.sequences[:, width:].cpu()
        # logits: one [batch*n, vocab] tensor per generated position
        logits = torch.stack(out.logits, dim=1).float().cpu() / params.temperature
        logp = torch.log_softmax(logits, dim=-1)
        picked = torch.gather(logp, -1, sequences[:, : logits.shape[1]].unsqueeze(-1)).squeeze(-1)
        results = []
        eos = set(self.eos_token_ids)
        for row in range(sequences.shape[0]):
            ids = sequences[row].tolist()
            cut = next((i + 1 for i, t in enumerate(ids) if t in eos), None)
            ids = ids[:cut] if cut is not None else ids[: params.max_tokens]
            results.append((ids, picked[row, : len(ids)].tolist()))
        return results

    def generate(self, prompt_ids: list[list[int]], params: SamplingParams) -> list[Rollout]:
        if not prompt_ids:
            return []
        prompts_per_chunk = max(1, self.max_sequences_per_batch // params.n)
        if params.seed is not None:
            # [scale-out] one seed per prompt (seed + index): the same samples however prompts
            # are split over ranks or chunks, at the cost of one generate() call per prompt
            prompts_per_chunk = 1
        rollouts: list[Rollout] = []
        eos = set(self.eos_token_ids)
        for start in range(0, len(prompt_ids), prompts_per_chunk):
            chunk = prompt_ids[start : start + prompts_per_chunk]
            if params.seed is not None:
                with torch.random.fork_rng(devices=_rng_devices(self._device())):
                    torch.manual_seed(params.seed + start)
                    outs = self._generate_chunk(chunk, params)
            else:
                outs = self._generate_chunk(chunk, params)
            # generate() returns the n samples of each prompt contiguously
            for j, (ids, logprobs) in enumerate(outs):
                index = start + j // params.n
                stopped = bool(ids) and ids[-1] in eos
                rollouts.append(
                    Rollout(
                        prompt_index=index,
                        prompt_ids=list(prompt_ids[index]),
                        response_ids=ids,
                        text=self.tokenizer.decode(ids, skip_special_tokens=True),
                        logprobs=logprobs,
                        finish_reason="stop" if stopped else "length",
                    )
                )
        return rollouts

    def sync_weights(self, model) -> None:
        """The engine samples from the trainer's own module: nothing to copy."""
        self.model = model

    def sleep(self) -> None:
        pass

    def wake(self) -> None:
        pass


def _distributed() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def _rng_devices(device: torch.device) -> list:
    return [device] if device.type == "cuda" else []
