"""The finding rules: a fixed vocabulary, each rule a small pure function of the run's series.

Thresholds are relative to the run's own early baseline (the median of its first few points) and
judged on a centered rolling median (window 5) wherever noise could fake a level change; spikes are
judged on raw values against a trailing median. Every constant is documented in docs/diagnose.md.
A rule whose metrics are missing is skipped and says so; it never raises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from archer.diagnose.readers import RunData
from archer.diagnose.series import Series, config_number, first_run, series

KINDS = (
    "entropy_collapse",
    "entropy_explosion",
    "entropy_oscillation",
    "shortcut_guessing",
    "response_length_collapse",
    "length_saturation",
    "valid_collapse",
    "kl_spike",
    "grad_explosion",
    "nan_loss",
    "slow_steps",
    "score_plateau",
    "repetition_rise",
    "gibberish_rise",
    "language_drift_rise",
)
SEVERITIES = ("info", "warning", "critical")

MIN_POINTS = 5  # fewer finite points than this: a rule does not judge the metric
ENTROPY_COLLAPSE_RATIO = 0.25  # smoothed entropy <= 25% of max(baseline, running peak)
ENTROPY_RECOVERED_RATIO = 0.5  # ... and still below 50% at the end -> critical
ENTROPY_EXPLOSION_RATIO = 1.8  # smoothed entropy >= 1.8x baseline for 3 consecutive steps
OSC_SWING = 0.45  # a swing: entropy moves >= 45% of its run median, then turns back (zigzag)
OSC_MAX_SWING_STEPS = 6  # ... within 6 steps
OSC_MIN_SWINGS = 4  # oscillation: >= 4 such fast swings in a row
SHORT_POS_TOKENS = 50.0  # correct responses "a handful of tokens": smoothed pos length < 50 ...
SHORT_POS_RATIO = 0.25  # ... and <= 25% of its baseline
SCORE_RISE = 0.05  # score "rises": smoothed score >= baseline + 0.05 (reward units)
CONNECTIVES_VANISH_RATIO = 0.25  # logical connectives <= 25% of baseline
SHORTCUT_RATE = 0.3  # or >= 30% of sampled responses flagged `shortcut`
LENGTH_COLLAPSE_RATIO = 0.2  # smoothed mean length <= 20% of baseline ...
LENGTH_COLLAPSE_TOKENS = 100.0  # ... and under 100 tokens
CLIP_RATIO = 0.05  # >= 5% of responses cut at the max length (seed: 8% made ~80% of tokens)
MEAN_NEAR_MAX = 0.6  # without a clip ratio: mean length >= 60% of max_response_length
VALID_FRACTION = 0.05  # mixed-outcome groups <= 5% of the batch (V4: 1 of 64)
VALID_STILL = 0.1  # ... still <= 10% at the end -> critical
SPIKE_RATIO, SPIKE_MIN_EXCESS, SPIKE_TRAIL = 5.0, 0.02, 10  # KL peak >= 5x trailing median
GRAD_RATIO, GRAD_CRITICAL_RATIO = 4.0, 10.0  # grad norm >= 4x baseline on 2 consecutive steps
SLOW_RATIO, SLOW_SECONDS = 2.0, 300.0  # step time 2x its baseline, or over the seeds' 300 s
PLATEAU_MIN_STEPS, PLATEAU_GAIN = 50, 0.05  # >= 50 scored steps and never 0.05 above baseline
RATE_RISE, RATE_FACTOR = 0.1, 2.0  # flag rate >= baseline + 0.1 and >= 2x baseline
LOSS_METRICS = ("actor/pg_loss", "actor/kl_loss", "actor/grad_norm", "actor/entropy")


@dataclass(frozen=True)
class Finding:
    kind: str
    step: int  # where the finding begins
    severity: str  # "info" | "warning" | "critical"
    message: str
    evidence: dict = field(default_factory=dict)


@dataclass
class Context:
    run: RunData
    skipped: list[str] = field(default_factory=list)
    _cache: dict[str, Series] = field(default_factory=dict)

    def s(self, metric: str) -> Series:
        if metric not in self._cache:
            self._cache[metric] = series(self.run.history, metric)
        return self._cache[metric]

    def need(self, kind: str, *metrics: str) -> bool:
        """True when every metric has enough points; otherwise record why `kind` was skipped."""
        short = [m for m in metrics if len(self.s(m)) < MIN_POINTS]
        if short:
            self.skipped.append(f"{kind}: needs {', '.join(short)} ({MIN_POINTS}+ finite points)")
        return not short


def _r(x: float) -> float:
    return float(f"{x:.4g}")


def _step(s: Series, i: int) -> int:
    return int(s.steps[i])


def _smooth_at(s: Series, step: int) -> float:
    """The smoothed value at the logged step nearest to `step`."""
    return float(s.smooth[int(np.argmin(np.abs(s.steps - step)))])


def entropy_collapse(ctx: Context) -> Finding | None:
    if not ctx.need("entropy_collapse", "actor/entropy"):
        return None
    e = ctx.s("actor/entropy")
    sm, base = e.smooth, e.baseline
    ref = np.maximum(base, np.maximum.accumulate(sm))
    i = first_run(sm <= ENTROPY_COLLAPSE_RATIO * ref, 1, e.baseline_len)
    if i is None:
        return None
    peak = int(np.argmax(sm[: i + 1]))
    still = sm[-1] <= ENTROPY_RECOVERED_RATIO * ref[i]
    rose = sm[peak] > 1.2 * base
    low = int(np.argmin(e.values))
    before = f"rose from {base:.3g} to {sm[peak]:.3g} (step {_step(e, peak)}) then " if rose else ""
    after = "" if still else "; it recovered later"
    msg = f"entropy {before}collapsed to {e.values[low]:.3g} (step {_step(e, low)}){after}"
    ev = {
        "baseline": _r(base),
        "peak": _r(sm[peak]),
        "peak_step": _step(e, peak),
        "value": _r(e.values[i]),
        "min": _r(e.values[low]),
        "min_step": _step(e, low),
        "final": _r(e.values[-1]),
        "threshold": _r(ENTROPY_COLLAPSE_RATIO * ref[i]),
    }
    return Finding("entropy_collapse", _step(e, i), "critical" if still else "warning", msg, ev)


def entropy_explosion(ctx: Context) -> Finding | None:
    if not ctx.need("entropy_explosion", "actor/entropy"):
        return None
    e = ctx.s("actor/entropy")
    sm, base = e.smooth, e.baseline
    if base <= 0:
        return None
    i = first_run(sm >= ENTROPY_EXPLOSION_RATIO * base, 3, e.baseline_len)
    if i is None:
        return None
    top = int(np.argmax(sm))
    msg = (
        f"entropy rose to {sm[top]:.3g} ({sm[top] / base:.1f}x its early {base:.3g}): "
        "over-random sampling"
    )
    ev = {
        "baseline": _r(base),
        "value": _r(sm[i]),
        "max": _r(sm[top]),
        "max_step": _step(e, top),
        "final": _r(e.values[-1]),
        "ratio": _r(sm[top] / base),
    }
    return Finding("entropy_explosion", _step(e, i), "warning", msg, ev)


def zigzag(values: np.ndarray, threshold: float) -> list[int]:
    """Indices of the turning points of `values`, ignoring moves smaller than `threshold`.

    A turning point is confirmed only once the series has moved back by `threshold` from it, so noise
    below the threshold never makes a swing. The last extreme is included.
    """
    if len(values) < 2:
        return []
    pivots: list[int] = []
    lo = hi = ext = 0
    direction = 0
    for i in range(1, len(values)):
        v = values[i]
        if direction == 0:
            lo = i if v < values[lo] else lo
            hi = i if v > values[hi] else hi
            if v - values[lo] >= threshold:
                pivots, direction, ext = [lo], 1, i
            elif values[hi] - v >= threshold:
                pivots, direction, ext = [hi], -1, i
        elif (v - values[ext]) * direction > 0:
            ext = i
        elif abs(values[ext] - v) >= threshold:
            pivots.append(ext)
            direction, ext = -direction, i
    return [*pivots, ext] if direction else []


def entropy_oscillation(ctx: Context) -> Finding | None:
    if not ctx.need("entropy_oscillation", "actor/entropy"):
        return None
    e = ctx.s("actor/entropy")
    level = float(np.median(np.abs(e.values)))
    if level <= 0:
        return None
    pivots = zigzag(e.values, OSC_SWING * level)
    run_start, count = 0, 0
    for k in range(1, len(pivots)):
        fast = e.steps[pivots[k]] - e.steps[pivots[k - 1]] <= OSC_MAX_SWING_STEPS
        if not fast:
            count = 0
            continue
        if count == 0:
            run_start = k - 1
        count += 1
        if count >= OSC_MIN_SWINGS:
            break
    if count < OSC_MIN_SWINGS:
        return None
    first = pivots[run_start]
    tail = e.values[first:]
    swings = len(pivots) - 1 - run_start
    lo, hi = float(np.min(tail)), float(np.max(tail))
    msg = (
        f"entropy oscillated between {lo:.3g} and {hi:.3g} ({swings} swings of >= {OSC_SWING:.0%})"
    )
    ev = {
        "min": _r(lo),
        "max": _r(hi),
        "swings": swings,
        "turning_steps": [_step(e, p) for p in pivots[run_start : run_start + 12]],
        "swing_threshold": _r(OSC_SWING * level),
    }
    return Finding("entropy_oscillation", _step(e, first), "warning", msg, ev)


def shortcut_guessing(ctx: Context) -> Finding | None:
    if not ctx.need("shortcut_guessing", "critic/score/mean"):
        return None
    score = ctx.s("critic/score/mean")
    length_metric = next(
        (m for m in ("response_length/pos/mean", "response_length/mean") if len(ctx.s(m)) >= 5),
        None,
    )
    rate = ctx.s("degeneracy/shortcut_rate")
    if length_metric is None and len(rate) < 3:
        ctx.skipped.append("shortcut_guessing: needs response_length/pos/mean or shortcut flags")
        return None
    rose = {int(s): v >= score.baseline + SCORE_RISE for s, v in zip(score.steps, score.smooth)}
    conn = ctx.s("token/pos_logical_connectives")
    vanished = (
        {
            int(s): v <= CONNECTIVES_VANISH_RATIO * conn.baseline
            for s, v in zip(conn.steps, conn.smooth)
        }
        if len(conn) >= MIN_POINTS
        else None
    )
    candidates: list[tuple[int, str]] = []
    if length_metric is not None:
        ln = ctx.s(length_metric)
        short = (ln.smooth < SHORT_POS_TOKENS) & (ln.smooth <= SHORT_POS_RATIO * ln.baseline)
        for k, step in enumerate(ln.steps.tolist()):
            if short[k] and rose.get(step) and (vanished is None or vanished.get(step)):
                candidates.append((step, "length"))
                break
    for k, step in enumerate(rate.steps.tolist()):
        if rate.values[k] >= SHORTCUT_RATE and rose.get(step, False):
            candidates.append((step, "flags"))
            break
    if not candidates:
        return None
    step, how = min(candidates)
    ev: dict = {"score_baseline": _r(score.baseline), "score": _r(score.at(step) or 0.0)}
    ev["score_final"] = _r(score.values[-1])
    if length_metric is not None:
        ln = ctx.s(length_metric)
        ev.update(length_metric=length_metric, length_baseline=_r(ln.baseline))
        ev["length"] = _r(_smooth_at(ln, step))
    if vanished is not None:
        ev.update(connectives_baseline=_r(conn.baseline), connectives=_r(_smooth_at(conn, step)))
    if len(rate):
        ev["shortcut_rate"] = _r(rate.at(step) or 0.0)
    what = (
        f"correct responses shrank to {ev['length']:.3g} tokens (from {ev['length_baseline']:.4g})"
        if how == "length"
        else f"{ev['shortcut_rate']:.0%} of sampled responses are answer-only"
    )
    msg = (
        f"score rose ({ev['score_baseline']:.3g} -> {ev['score_final']:.3g}) while {what}"
        + (", logical connectives vanished" if vanished is not None else "")
        + ": the model guesses answers instead of reasoning"
    )
    return Finding("shortcut_guessing", step, "warning", msg, ev)


def response_length_collapse(ctx: Context) -> Finding | None:
    if not ctx.need("response_length_collapse", "response_length/mean"):
        return None
    ln = ctx.s("response_length/mean")
    sm, base = ln.smooth, ln.baseline
    hit = (sm <= LENGTH_COLLAPSE_RATIO * base) & (sm < LENGTH_COLLAPSE_TOKENS)
    i = first_run(hit, 1, ln.baseline_len)
    if i is None:
        return None
    low = int(np.argmin(ln.values))
    msg = f"mean response length fell from {base:.4g} to {ln.values[low]:.3g} tokens"
    ev = {"baseline": _r(base), "value": _r(sm[i]), "min": _r(ln.values[low])}
    ev.update(min_step=_step(ln, low), final=_r(ln.values[-1]))
    return Finding("response_length_collapse", _step(ln, i), "warning", msg, ev)


def _cap_from_max(ctx: Context) -> float | None:
    """The max response length when the config is unknown: `response_length/max` pinned at one
    value on at least half of the steps is the generation cap."""
    mx = ctx.s("response_length/max")
    if len(mx) < MIN_POINTS:
        return None
    top = float(np.max(mx.values))
    return top if np.mean(mx.values >= top) >= 0.5 else None


def length_saturation(ctx: Context) -> Finding | None:
    clip = ctx.s("response_length/clip_ratio")
    max_len = config_number(ctx.run.config, "max_response_length") or _cap_from_max(ctx)
    mean = ctx.s("response_length/mean")
    if len(clip) >= MIN_POINTS:
        i = first_run(clip.smooth >= CLIP_RATIO, 1)
        if i is None:
            return None
        top = float(np.max(clip.smooth))
        ev: dict = {"clip_ratio": _r(clip.smooth[i]), "max_clip_ratio": _r(top)}
        msg = f"{top:.0%} of responses hit the max length"
        if max_len and len(mean):
            m = mean.at(_step(clip, i)) or 0.0
            share = min(1.0, clip.smooth[i] * max_len / m) if m > 0 else None
            ev.update(max_response_length=max_len, token_share_at_max=share and _r(share))
            if share:
                msg += f", about {share:.0%} of generated tokens"
        return Finding("length_saturation", _step(clip, i), "warning", msg, ev)
    if max_len and len(mean) >= MIN_POINTS:
        i = first_run(mean.smooth >= MEAN_NEAR_MAX * max_len, 1)
        if i is None:
            return None
        msg = f"mean response length {mean.smooth[i]:.4g} is near max_response_length {max_len:g}"
        ev = {"mean_length": _r(mean.smooth[i]), "max_response_length": max_len}
        return Finding("length_saturation", _step(mean, i), "warning", msg, ev)
    ctx.skipped.append(
        "length_saturation: needs response_length/clip_ratio, or a mean length and the max "
        "length (config max_response_length or a pinned response_length/max)"
    )
    return None


def batch_size(ctx: Context) -> float | None:
    """Groups per batch: from the config, else valid + solve_none + solve_all."""
    configured = config_number(ctx.run.config, "train_batch_size")
    if configured:
        return configured
    totals = [
        r["batch/valid"] + r["batch/solve_none"] + r["batch/solve_all"]
        for r in ctx.run.history
        if all(
            np.isfinite(r.get(k, np.nan))
            for k in ("batch/valid", "batch/solve_none", "batch/solve_all")
        )
    ]
    return float(np.median(totals)) if totals else None


def valid_collapse(ctx: Context) -> Finding | None:
    if not ctx.need("valid_collapse", "batch/valid"):
        return None
    size = batch_size(ctx)
    if not size:
        ctx.skipped.append(
            "valid_collapse: batch size unknown (no data.train_batch_size, no solve_*)"
        )
        return None
    valid = ctx.s("batch/valid")
    none, done = ctx.s("batch/solve_none"), ctx.s("batch/solve_all")
    hit = valid.smooth <= VALID_FRACTION * size
    if len(none) and len(done):  # all-solved groups mean "too easy", not collapse
        n_at = dict(zip(none.steps.tolist(), none.values.tolist()))
        d_at = dict(zip(done.steps.tolist(), done.values.tolist()))
        hit &= np.array([n_at.get(s, 0.0) >= d_at.get(s, 0.0) for s in valid.steps.tolist()])
    i = first_run(hit, 1)
    if i is None:
        return None
    still = valid.smooth[-1] <= VALID_STILL * size
    never = valid.baseline <= 2 * VALID_FRACTION * size  # no signal from the start: not a collapse
    step = _step(valid, i)
    ev = {"batch_size": _r(size), "baseline": _r(valid.baseline), "valid": _r(valid.values[i])}
    ev.update(min=_r(float(np.min(valid.values))), final=_r(valid.values[-1]))
    if len(none):
        ev["solve_none"] = _r(none.at(step) or 0.0)
    of = f" of {size:g}" + (f" (solve_none {ev['solve_none']:.3g})" if "solve_none" in ev else "")
    if never:
        msg = (
            f"valid groups stayed near zero from the start: {valid.values[i]:.3g}{of}; GRPO has "
            "no signal (data too hard for the model?)"
        )
    else:
        msg = (
            f"valid groups fell from {valid.baseline:.3g} to {valid.values[i]:.3g}{of}: almost no "
            "group has mixed outcomes, GRPO has no signal"
            + ("" if still else "; it recovered later")
        )
    severity = "critical" if still and not never else "warning"
    return Finding("valid_collapse", step, severity, msg, ev)


def _spikes(s: Series) -> list[tuple[int, float, float]]:
    """(index, value, trailing median) of local peaks >= SPIKE_RATIO x the trailing median."""
    v, out = s.values, []
    if len(v) < 5:
        return out
    # trailing[i - 4] = median of the up-to-SPIKE_TRAIL values before i (always >= 4 of them)
    padded = np.concatenate([np.full(SPIKE_TRAIL, np.nan), v[:-1]])
    windows = np.lib.stride_tricks.sliding_window_view(padded, SPIKE_TRAIL)[4:]
    trailing = np.nanmedian(windows, axis=1)
    for i in range(4, len(v)):
        trail = float(trailing[i - 4])
        peak = v[i] >= v[i - 1] and (i == len(v) - 1 or v[i] >= v[i + 1])
        if peak and v[i] >= SPIKE_RATIO * max(trail, 0.0) and v[i] - trail >= SPIKE_MIN_EXCESS:
            out.append((i, float(v[i]), trail))
    return out


def kl_spike(ctx: Context) -> Finding | None:
    if not ctx.need("kl_spike", "actor/kl_loss"):
        return None
    kl = ctx.s("actor/kl_loss")
    spikes = _spikes(kl)
    if not spikes:
        return None
    i, value, trail = spikes[0]
    top = max(sp[1] for sp in spikes)
    msg = f"KL loss spiked to {value:.4g} (trailing median {trail:.3g})"
    if len(spikes) > 1:
        msg += f"; {len(spikes)} spikes in all, the largest {top:.4g}"
    ev = {
        "value": _r(value),
        "trailing_median": _r(trail),
        "ratio": _r(value / trail) if trail > 0 else None,
        "max": _r(top),
        "spike_steps": [_step(kl, k) for k, _, _ in spikes[:10]],
    }
    return Finding("kl_spike", _step(kl, i), "warning", msg, ev)


def grad_explosion(ctx: Context) -> Finding | None:
    if not ctx.need("grad_explosion", "actor/grad_norm"):
        return None
    g = ctx.s("actor/grad_norm")
    base = g.baseline
    if base <= 0:
        return None
    start = g.baseline_len

    def first(ratio: float) -> int | None:  # two raw steps in a row; lone spikes are normal
        return first_run(g.values >= ratio * base, 2, start)

    i = first(GRAD_RATIO)
    if i is None:
        return None
    critical = first(GRAD_CRITICAL_RATIO) is not None
    top = int(np.argmax(g.values))
    msg = (
        f"grad norm rose to {g.values[top]:.4g} ({g.values[top] / base:.1f}x its early {base:.3g})"
    )
    ev = {"baseline": _r(base), "value": _r(g.values[i]), "max": _r(g.values[top])}
    ev["max_step"] = _step(g, top)
    return Finding("grad_explosion", _step(g, i), "critical" if critical else "warning", msg, ev)


def nan_loss(ctx: Context) -> Finding | None:
    bad: dict[int, list[str]] = {}
    present = [m for m in LOSS_METRICS if any(m in r for r in ctx.run.history)]
    if not present:
        ctx.skipped.append(f"nan_loss: none of {', '.join(LOSS_METRICS)} logged")
        return None
    for row in ctx.run.history:
        names = [m for m in present if m in row and not np.isfinite(row[m])]
        if names:
            bad[int(row["step"])] = names
    if not bad:
        return None
    tail = [r for r in ctx.run.history if any(m in r for m in present)][-2:]
    still = all(int(r["step"]) in bad for r in tail)
    first = min(bad)
    msg = f"non-finite {', '.join(bad[first])} at step {first} ({len(bad)} steps in all)" + (
        "; still non-finite at the end: the run diverged" if still else "; later steps recovered"
    )
    ev = {"steps": sorted(bad)[:20], "metrics": sorted({m for v in bad.values() for m in v})}
    return Finding("nan_loss", first, "critical" if still else "warning", msg, ev)


def slow_steps(ctx: Context) -> Finding | None:
    if not ctx.need("slow_steps", "timing_s/step"):
        return None
    t = ctx.s("timing_s/step")
    base, sm = t.baseline, t.smooth
    median = float(np.median(t.values))
    i = first_run(sm >= SLOW_RATIO * base, 1, t.baseline_len) if base > 0 else None
    j = first_run(sm > SLOW_SECONDS, 1) if median > SLOW_SECONDS else None
    hits = [k for k in (i, j) if k is not None]
    if not hits:
        return None
    k = min(hits)
    msg = (
        f"steps take {median:.0f} s (median), over the seeds' {SLOW_SECONDS:.0f} s limit"
        if k == j
        else f"steps slowed from {base:.0f} s to {sm[k]:.0f} s"
    )
    ev = {"baseline_s": _r(base), "median_s": _r(median), "max_s": _r(float(np.max(t.values)))}
    ln = ctx.s("response_length/mean")
    common = np.intersect1d(t.steps, ln.steps)
    if len(common) >= MIN_POINTS:
        a = np.array([t.at(s) for s in common.tolist()])
        b = np.array([ln.at(s) for s in common.tolist()])
        if np.std(a) > 0 and np.std(b) > 0:
            ev["corr_with_response_length"] = _r(float(np.corrcoef(a, b)[0, 1]))
    return Finding("slow_steps", _step(t, k), "warning", msg, ev)


def score_plateau(ctx: Context) -> Finding | None:
    if not ctx.need("score_plateau", "critic/score/mean"):
        return None
    sc = ctx.s("critic/score/mean")
    if len(sc) < PLATEAU_MIN_STEPS:
        ctx.skipped.append(f"score_plateau: needs {PLATEAU_MIN_STEPS}+ scored steps")
        return None
    base = sc.baseline
    best = float(np.max(sc.smooth[sc.baseline_len :]))
    if best - base >= PLATEAU_GAIN:
        return None
    msg = (
        f"score never rose {PLATEAU_GAIN} above its early {base:.3g} in {len(sc)} steps "
        f"(best {best:.3g})"
    )
    ev = {"baseline": _r(base), "best": _r(best), "final": _r(sc.values[-1]), "steps": len(sc)}
    return Finding("score_plateau", _step(sc, sc.baseline_len), "warning", msg, ev)


def _flag_rates(ctx: Context, flag: str) -> Series:
    """Per-step flag rate: the logged degeneracy metric, else the rollout samples' flags."""
    logged = ctx.s(f"degeneracy/{flag}_rate")
    if len(logged):
        return logged
    steps, values = [], []
    for step, rows in sorted(ctx.run.rollouts.items()):
        flags = [r[flag] for r in rows if r.get(flag) is not None]
        if flags:
            steps.append(step)
            values.append(float(np.mean(flags)))
    return Series(np.asarray(steps, dtype=np.int64), np.asarray(values, dtype=np.float64))


def _rate_rise(ctx: Context, flag: str) -> Finding | None:
    kind = f"{flag}_rise"
    rates = _flag_rates(ctx, flag)
    if len(rates) < 3:
        ctx.skipped.append(f"{kind}: needs degeneracy/{flag}_rate or flagged rollout samples")
        return None
    # rollout samples are sparse (every few steps): the baseline is at most the first third of them
    start = max(1, min(rates.baseline_len, len(rates) // 3))
    base, sm = float(np.median(rates.values[:start])), rates.smooth
    threshold = max(base + RATE_RISE, RATE_FACTOR * base)
    hit = (sm >= threshold) & (rates.values >= threshold)  # raw too: samples are sparse
    i = first_run(hit, 1, start)
    if i is None:
        return None
    step = _step(rates, i)
    examples = [
        r["response"]
        for s, rows in sorted(ctx.run.rollouts.items())
        if s >= step
        for r in rows
        if r.get(flag)
    ][:3]
    top = float(np.max(sm))
    msg = f"{flag.replace('_', ' ')} in sampled responses rose from {base:.0%} to {top:.0%}"
    ev = {"baseline_rate": _r(base), "rate": _r(sm[i]), "max_rate": _r(top), "examples": examples}
    return Finding(kind, step, "warning", msg, ev)


def repetition_rise(ctx: Context) -> Finding | None:
    return _rate_rise(ctx, "repetition")


def gibberish_rise(ctx: Context) -> Finding | None:
    return _rate_rise(ctx, "gibberish")


def language_drift_rise(ctx: Context) -> Finding | None:
    return _rate_rise(ctx, "language_drift")


RULES: dict[str, Callable[[Context], Finding | None]] = {kind: globals()[kind] for kind in KINDS}


def find_all(run: RunData) -> tuple[list[Finding], list[str]]:
    """Every finding for `run` (sorted by step) and the list of rules skipped with why."""
    ctx = Context(run)
    found = [f for f in (rule(ctx) for rule in RULES.values()) if f is not None]
    return sorted(found, key=lambda f: (f.step, KINDS.index(f.kind))), ctx.skipped
