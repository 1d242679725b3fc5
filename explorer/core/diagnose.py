"""Identical-output check: probe a runner (probes.py), measure how its outputs moved (output_stats.py), and name the
verdict and likely causes (verdict.py); given a model folder, send the same probes there to compare a server with it.

`diagnose(runner, signature)` builds a probe set, sends it in as few calls as the signature allows, and turns the
spread of every output into a verdict — "identical", "insensitive", "stateful" or "ok" — with likely causes,
evidence and fixes, returned as one `Diagnosis`.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace

import numpy as np

from .errors import ExplorerError, RunError
from .output_stats import OutputStats, analyse_output, analyse_outputs
from .probes import (DEFAULT_EXAMPLE, Cancelled, DiagnosisCancelled, Plan, Probe, ProbeRun, Progress, _never, _quiet,
                     build_probes, is_example_input, plan_for, run_probes)
from .signature import Signature, default_key, missing_signature, user_signatures
from .verdict import Cause, input_scale, quantization_causes, verdict_for


# --- results --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Diagnosis:
    """The whole check: verdict, causes, per-output statistics, and the probe outputs for plots."""

    signature: str
    target: str
    engine: str
    verdict: str  # "identical" | "insensitive" | "stateful" | "ok"
    outputs: dict[str, OutputStats]
    causes: tuple[Cause, ...]
    probes: tuple[Probe, ...]
    values: dict[str, np.ndarray] = field(repr=False)  # output key -> (probes, *row shape) as returned
    mode: str = "batch"  # "batch", "fixed", "single": how probes were packed into calls
    calls: int = 0
    timing_ms: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    compared: dict | None = None  # local-vs-server findings when a folder was given

    @property
    def summary(self) -> str:
        """One sentence for a status line."""
        texts = {
            "identical": "Outputs are identical for different inputs.",
            "insensitive": "Outputs ignore some inputs.",
            "stateful": "The same input gave different outputs.",
            "ok": "Outputs vary with the inputs.",
        }
        head = texts.get(self.verdict, self.verdict)
        errors = [c.title for c in self.causes if c.severity == "error"]
        return head + (f" Likely: {errors[0]}." if errors else "")

    def to_dict(self) -> dict:
        """The `check --json` schema."""
        out = {
            "signature": self.signature,
            "target": self.target,
            "engine": self.engine,
            "verdict": self.verdict,
            "outputs": {k: s.to_dict() for k, s in self.outputs.items()},
            "causes": [c.to_dict() for c in self.causes],
            "probes": len(self.probes),
            "calls": self.calls,
            "mode": self.mode,
            "timing_ms": {k: round(v, 3) for k, v in self.timing_ms.items()},
            "notes": list(self.notes),
        }
        if self.compared is not None:
            out["compared"] = self.compared
        return out


# --- local vs server --------------------------------------------------------------------------------------------


def _compare_local(runner, signature: Signature, probes: list[Probe], plan: Plan, run: ProbeRun, folder: str,
                   stats: dict[str, OutputStats], progress: Progress, cancelled: Cancelled,
                   open_local=None) -> tuple[dict, list[Cause]]:
    """Send the same probes to the folder's versions; say whether the server matches the newest, an older one,
    or none, and what its version status shows."""
    from .compare import compare_signatures
    from .savedmodel import list_versions, read_model

    if open_local is None:
        from .targets import open_runner as open_local
    causes: list[Cause] = []
    versions = list(list_versions(folder))  # newest first
    info = read_model(folder)
    candidates = versions or [None]
    found: dict = {"folder": str(folder), "versions": versions, "matches": None, "outputs_agree": {}}
    served_versions: list[int] = []
    status_fn = getattr(runner, "status", None)
    if callable(status_fn):
        try:
            states = status_fn()
            # TF Serving's versions are numbers; a KServe V2 server's are strings, or "" when it names none.
            served_versions = sorted(int(s.version) for s in states
                                     if str(s.state).upper() == "AVAILABLE" and str(s.version).isdigit())
            found["server_status"] = [{"version": int(s.version) if str(s.version).isdigit() else s.version,
                                       "state": str(s.state)} for s in states]
        except ExplorerError as exc:
            found["server_status_error"] = str(exc)
    sig_diff = [d for d in compare_signatures(user_signatures(runner.signatures()), info.user_signatures)
                if d.breaking]
    if sig_diff:
        found["signature_differences"] = [d.to_dict() for d in sig_diff]
    newest = versions[0] if versions else None
    server_identical = bool(stats) and all(s.identical for s in stats.values() if s.numeric)
    match, matched = None, False  # a single SavedModel (no versions) matches as version None
    local_varies = None
    for i, version in enumerate(candidates):
        if cancelled():
            raise DiagnosisCancelled()
        progress(0.9 + 0.1 * i / len(candidates), f"sending the same probes to local version {version}")
        local = open_local(folder, version=version) if version is not None else open_local(folder)
        try:
            local_sig = local.signatures().get(signature.key)
            if local_sig is None:
                continue
            local_run = run_probes(local, local_sig, probes, plan)
        except ExplorerError as exc:
            found.setdefault("errors", {})[str(version)] = str(exc)
            continue
        finally:
            close = getattr(local, "close", None)
            if callable(close):
                close()
        agree = _outputs_agree(run.values, local_run.values)
        found["outputs_agree"][str(version)] = agree
        if local_varies is None:
            local_stats = analyse_outputs(local_run.values, [p.group for p in probes[:-1]])
            local_varies = not all(s.identical for s in local_stats.values() if s.numeric)
        if agree:
            match, matched = version, True
            break
    found["matches"], found["matched"] = match, matched
    local_text = f"version {newest} of the folder" if newest is not None else "the local model"
    if served_versions and newest is not None and max(served_versions) < newest:
        causes.append(Cause(
            "pinned_version", "a pinned version policy",
            f"The server's status lists version(s) {', '.join(map(str, served_versions))} as AVAILABLE while the "
            f"folder's newest is {newest}.",
            "Serve the newest version: set model_version_policy to latest (the default) in the model config, or "
            f"add {newest} to its specific versions; check the server reads this base path and has reloaded it."))
    if match is not None and newest is not None and match != newest:
        causes.append(Cause(
            "stale_version", f"the server serves version {match}, not {newest}",
            f"The same {len(probes)} probes give the server's answers on local version {match}, and different "
            f"answers on the newest, {newest}.",
            "Point clients at the version you mean (/versions/N or a version label), or make the server load the "
            "newest version (version policy, model config, a restart if files were replaced in place)."))
    elif not matched and (sig_diff or found["outputs_agree"]):
        evidence = (f"The server's signatures differ from the folder's ({len(sig_diff)} breaking difference(s))"
                    if sig_diff else f"The server's answers match no version of {folder} on the same probes")
        if server_identical and local_varies and not sig_diff:
            causes.append(Cause(
                "caching", "a cache or another model answering",
                f"The server gave one answer to every probe while {local_text} varies on the same "
                "probes.",
                "Check for a response cache in front of TF Serving (predict is a POST whose answer depends on the "
                "body) and that --model_base_path points at this folder."))
        else:
            causes.append(Cause(
                "other_model", "the server serves another model",
                evidence + ".",
                "Check the server's --model_base_path / model config points at this folder, and that the "
                "model name in the URL is the one you exported."))
    return found, causes


def _outputs_agree(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    if set(a) != set(b):
        return False
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        if x.shape != y.shape:
            return False
        if x.dtype.kind in "OSUb" or y.dtype.kind in "OSUb":
            if not np.array_equal(x, y):
                return False
            continue
        fx, fy = x.astype(np.float64), y.astype(np.float64)
        scale = float(np.abs(fx[np.isfinite(fx)]).mean()) if np.isfinite(fx).any() else 1.0
        if not np.allclose(fx, fy, rtol=1e-4, atol=1e-5 * (scale or 1.0), equal_nan=True):
            return False
    return True


# --- the whole check --------------------------------------------------------------------------------------------


def diagnose(runner, signature: str | None = None, *, probes: int = 64, current: dict[str, np.ndarray] | None = None,
             examples: list[dict] | None = None, compare_local: str | None = None, seed: int = 0,
             progress: Progress = _quiet, cancelled: Cancelled = _never, open_local=None) -> Diagnosis:
    """Probe `runner`'s `signature` (default: serving_default) and name why its outputs do or do not vary.
    `current` is the user's input (perturbed and swept around), `examples` tf.Example feature dicts for string
    inputs, `compare_local` a model folder to send the same probes to (for a server target). Calls
    progress(fraction, text) after each call and raises DiagnosisCancelled if cancelled() turns true."""
    started = time.perf_counter()
    signatures = runner.signatures()
    key = signature or default_key(signatures)
    if key is None or key not in signatures:
        raise missing_signature(getattr(runner, "target", None) or "The model", key, signatures)
    sig = signatures[key]
    load_ms = 0.0
    if callable(getattr(runner, "load", None)):
        # Load before probing (TF import + restore can take seconds) so the probe timing is the probes' own.
        progress(0.0, "loading the model")
        loading = time.perf_counter()
        runner.load()
        load_ms = (time.perf_counter() - loading) * 1000  # wall time: TensorFlow's import included
    plan = plan_for(sig, current)
    probe_list = build_probes(sig, probes, plan, current, examples, seed)
    if not sig.inputs:
        probe_list = probe_list[:6]  # nothing to vary: a few calls to see whether the answer changes on its own
    progress(0.0, f"{len(probe_list)} probes, {plan.mode} calls")
    notes = []
    try:
        run = run_probes(runner, sig, probe_list, plan, progress, cancelled)
    except DiagnosisCancelled:
        raise
    except ExplorerError as exc:
        guessed = [k for k, spec in sig.inputs.items() if is_example_input(sig, spec)
                   and k not in sig.example_features] if not examples else []
        if guessed:
            # The probes' tf.Examples were a guess (TF Serving's one float "x"); the user must know it was not theirs.
            raise RunError(f"check has no tf.Example of yours for '{guessed[0]}', so it guessed "
                           f"{json.dumps(DEFAULT_EXAMPLE)}, and the model refused it: {' '.join(str(exc).split())}",
                           fix=f"Give one of yours: --example '{guessed[0]}=[{{\"feature\": 1.0}}]' (the window: type "
                               f"it in the form). {getattr(exc, 'fix', '')}".strip(),
                           details=getattr(exc, "details", ""), key=guessed[0]) from None
        if plan.mode == "single" or not any(s.shape is None or not s.has_shape for s in sig.inputs.values()):
            raise
        # Unknown-rank inputs: the batch of rows was refused, so probe with one scalar-shaped request per call.
        plan = plan_for(sig, None, force_single=True)
        probe_list = build_probes(sig, probes, plan, None, examples, seed)
        notes.append(f"a batch of probes was refused ({exc}); probed with one call each")
        try:
            run = run_probes(runner, sig, probe_list, plan, progress, cancelled)
        except DiagnosisCancelled:
            raise
        except ExplorerError:
            raise exc from None  # the batch's error is the one that explains the signature
    dropped = set(sig.outputs) - set(run.values)
    if plan.mode == "batch" and dropped and any(s.shape is None or not s.has_shape for s in sig.inputs.values()):
        # Unknown-rank inputs: stacking probes as rows was a guess, and an output that is not per row (a scalar
        # over the whole input) says it changed what the model computes; one call per probe sees every output.
        single = plan_for(sig, None, force_single=True)
        single_list = build_probes(sig, probes, single, None, examples, seed)
        try:
            single_run = run_probes(runner, sig, single_list, single, progress, cancelled)
        except DiagnosisCancelled:
            raise
        except ExplorerError:
            single_run = None
        if single_run is not None and set(single_run.values) > set(run.values):
            plan, probe_list, run = single, single_list, single_run
            notes.append(f"{', '.join(sorted(dropped))} is not per row when probes are stacked (an input of "
                         "unknown rank); probed with one call each")
    groups = [p.group for p in probe_list[:-1]]
    input_keys = tuple(k for k in sig.inputs if not is_example_input(sig, sig.inputs[k])) + tuple(
        k for k in sig.inputs if is_example_input(sig, sig.inputs[k]))[:1]
    if not sig.inputs:
        # Without inputs every probe is the same request: each later call is a repeat of the first.
        stats = {}
        for k, v in run.values.items():
            s = analyse_output(k, v, groups)
            stats[k] = s
        moved = {k: s for k, s in stats.items() if s.numeric and not s.identical}
        if moved:
            stats = {k: _with_repeat(s, max(s.spread, 1e-3)) if k in moved else s for k, s in stats.items()}
    else:
        stats = analyse_outputs(run.values, groups, input_keys, run.repeat, run.base_in_batch)
    verdict, causes = verdict_for(stats, input_keys if sig.inputs else (), run.values, groups,
                                  getattr(runner, "engine", "local"), run.row_mismatch, input_scale(current))
    causes = quantization_causes(sig, stats) + causes
    compared = None
    if compare_local:
        compared, more = _compare_local(runner, sig, probe_list, plan, run, compare_local, stats, progress,
                                        cancelled, open_local)
        causes = [c for c in causes if not (c.cause == "caching" and c.severity == "warning")] + more
    progress(1.0, "done")
    timing = dict(run.timing_ms)
    timing["total"] = (time.perf_counter() - started) * 1000
    timing["load"] = load_ms
    return Diagnosis(key, getattr(runner, "target", ""), getattr(runner, "engine", ""), verdict, stats,
                     tuple(causes), tuple(probe_list), run.values, plan.mode, run.calls, timing,
                     tuple(notes) + run.notes, tuple(sig.inputs), compared)


def _with_repeat(stats: OutputStats, difference: float) -> OutputStats:
    return replace(stats, repeat_difference=difference)
