"""TF Serving's error texts -> what went wrong in plain words and how to fix it (table-driven; the raw text is kept)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable

# Canonical status codes: gRPC numbers, TF's old "Invalid argument" spelling, and the HTTP status TF Serving's REST
# server maps each one to (tensorflow_serving/model_servers/http_server.cc).
_CODES = [
    # (gRPC number, NAME, old TF spelling, HTTP status)
    (0, "OK", "OK", 200), (1, "CANCELLED", "Cancelled", 499), (2, "UNKNOWN", "Unknown", 500),
    (3, "INVALID_ARGUMENT", "Invalid argument", 400), (4, "DEADLINE_EXCEEDED", "Deadline exceeded", 504),
    (5, "NOT_FOUND", "Not found", 404), (6, "ALREADY_EXISTS", "Already exists", 409),
    (7, "PERMISSION_DENIED", "Permission denied", 403), (8, "RESOURCE_EXHAUSTED", "Resource exhausted", 429),
    (9, "FAILED_PRECONDITION", "Failed precondition", 400), (10, "ABORTED", "Aborted", 409),
    (11, "OUT_OF_RANGE", "Out of range", 400), (12, "UNIMPLEMENTED", "Unimplemented", 501),
    (13, "INTERNAL", "Internal", 500), (14, "UNAVAILABLE", "Unavailable", 503), (15, "DATA_LOSS", "Data loss", 500),
    (16, "UNAUTHENTICATED", "Unauthenticated", 401),
]
_BY_NUMBER = {n: name for n, name, _, _ in _CODES}
_NAMES = {name for _, name, _, _ in _CODES}
_OLD = {old.lower(): name for _, name, old, _ in _CODES}
# HTTP statuses that name one code unambiguously (400 and 409 stand for several; the text decides there).
_BY_HTTP = {404: "NOT_FOUND", 403: "PERMISSION_DENIED", 429: "RESOURCE_EXHAUSTED", 504: "DEADLINE_EXCEEDED",
            501: "UNIMPLEMENTED", 503: "UNAVAILABLE", 401: "UNAUTHENTICATED", 499: "CANCELLED", 400: "INVALID_ARGUMENT"}

# "INVALID_ARGUMENT: text" (absl, TF >= 2.12) or "Invalid argument: text" (older TF); either may repeat when wrapped.
_PREFIX = re.compile(r"^\s*(?P<code>[A-Z][A-Z_]+[A-Z]|[A-Z][a-z]+(?: [a-z]+)?)\s*:\s*", re.S)


@dataclass(frozen=True)
class Explanation:
    """One server error explained: `cause` and `fix` are for the user, `raw` is the server's own text."""

    cause: str
    fix: str
    raw: str
    kind: str = "unknown"  # the rule that matched, e.g. "input_size", "servable_not_found"
    code: str | None = None  # canonical status name ("INVALID_ARGUMENT"), from the text or the status given

    @property
    def message(self) -> str:
        """Cause and fix as one paragraph (the CLI's one line)."""
        return f"{self.cause} {self.fix}".strip()

    def to_dict(self) -> dict:
        return {"kind": self.kind, "code": self.code, "cause": self.cause, "fix": self.fix, "raw": self.raw}


@dataclass(frozen=True)
class Rule:
    """A pattern in the server's text and the cause/fix templates it maps to ({group} names fill in)."""

    kind: str
    pattern: re.Pattern
    cause: str
    fix: str
    fields: Callable[[re.Match], dict] | None = None  # extra template fields computed from the match


def _keys(text: str | None) -> list[str]:
    return [k.strip() for k in (text or "").split(",") if k.strip()]


def _listing(keys: list[str]) -> str:
    return ", ".join(f"'{k}'" for k in keys) if keys else "none"


def _input_size(m: re.Match) -> dict:
    extra, missing = _keys(m.group("extra")), _keys(m.group("missing"))
    sent_keys, want_keys = _keys(m.group("sent_keys")), _keys(m.group("want_keys"))
    parts = []
    if extra:
        parts.append(f"remove {_listing(extra)} (not an input of this signature)")
    if missing:
        parts.append(f"add {_listing(missing)}")
    if not parts:
        parts.append("send exactly the signature's inputs" + (f": {_listing(want_keys)}" if want_keys else ""))
    return {"sent_list": _listing(sent_keys) if sent_keys else "?", "want_list": _listing(want_keys) if want_keys
            else "?", "todo": "; ".join(parts).capitalize()}


def _signature_key(m: re.Match) -> dict:
    return {"key": m.group("key") or m.group("key2") or ""}


def _servable(m: re.Match) -> dict:
    version = m.group("version")
    if version:
        return {"what": f"version {version} of model '{m.group('model')}'",
                "why": "it does not exist under the model base path, it failed to load, "
                       "or the server's version policy (latest/specific) does not serve it"}
    return {"what": f"model '{m.group('model')}'",
            "why": "the name in the URL or ModelSpec differs from the server's --model_name (or model config), "
                   "or no version of it has finished loading"}


def _size(m: re.Match) -> dict:
    size, limit = int(m.group("size")), int(m.group("limit"))
    side = "received" if m.group("dir").lower().startswith("rec") else "sent"
    return {"size_mb": f"{size / 2**20:.1f}", "limit_mb": f"{limit / 2**20:.0f}", "side": side,
            "need_mb": str(max(8, int(size / 2**20 * 1.25) + 1))}


def _method(m: re.Match) -> dict:
    api = {"classification": "classify", "regression": "regress", "prediction": "predict"}[m.group("api").lower()]
    was = m.group("was").rstrip(".") or "(empty)"
    use = {"tensorflow/serving/predict": "predict", "tensorflow/serving/classify": "classify",
           "tensorflow/serving/regress": "regress"}.get(was, "the API that matches its method")
    return {"api_short": api, "was": was, "use": use}


def _r(kind: str, pattern: str, cause: str, fix: str, fields=None, flags=re.I | re.S) -> Rule:
    return Rule(kind, re.compile(pattern, flags), cause, fix, fields)


# First match wins: specific texts before general ones.
RULES: list[Rule] = [
    _r("input_size",
       r"input size does not match signature:\s*(?P<sent>\d+)\s*!=\s*(?P<want>\d+)"
       r"(?:.*?len\(\{(?P<sent_keys>[^}]*)\}\)\s*!=\s*len\(\{(?P<want_keys>[^}]*)\}\))?"
       r"(?:.*?Sent extra:\s*\{(?P<extra>[^}]*)\})?(?:.*?Missing but required:\s*\{(?P<missing>[^}]*)\})?",
       "The request sent {sent} input(s) ({sent_list}) but the signature takes {want} ({want_list}).",
       "{todo}; input keys must match the signature's input names exactly (see the signature's metadata).",
       _input_size),
    _r("input_alias", r"input tensor alias not found in signature:\s*(?P<alias>[^\s.]+)\.?"
                      r"(?:\s*Inputs expected to be in the set \{(?P<keys>[^}]*)\})?",
       "The request names an input '{alias}' that the signature does not have (its inputs: {keys}).",
       "Rename the input to one of the signature's input keys: {keys}."),
    _r("output_alias", r"output tensor alias not found in signature:\s*(?P<alias>[^\s.]+)\.?"
                       r"(?:\s*Outputs expected to be in the set \{(?P<keys>[^}]*)\})?",
       "The output filter asks for '{alias}', which is not an output of the signature (its outputs: {keys}).",
       "Remove '{alias}' from output_filter, or pick from {keys}."),
    _r("duplicate_output", r"duplicate output tensor alias:\s*(?P<alias>\S+)",
       "The output filter lists '{alias}' twice.", "List each output once in output_filter."),
    _r("signature_not_found", r"Serving signature (?:key|name):?\s*\\?\"?(?P<key>[^\"\\]*)\\?\"?\s*not found|"
                              r"No signature was found with the name:?\s*(?P<key2>\S+)",
       "The model has no signature named '{key}'.",
       "Pick one of the model's signature keys (see its metadata); leave the name empty for serving_default. "
       "Classify/regress signatures are called by their key, not by their method name.", _signature_key),
    _r("servable_not_found",
       r"Servable not found for request:\s*(?P<which>Latest|Specific)\((?P<model>[^,)]+)(?:,\s*(?P<version>\d+))?\)",
       "The server has no {what} loaded: {why}.",
       "Check the model name and version against the server's status (GET /v1/models/NAME or GetModelStatus); "
       "check --model_base_path holds numbered version folders and the version policy serves the one you ask for.",
       _servable),
    _r("no_versions", r"Could not find any versions of model\s*(?P<model>\S+)",
       "The server has no version of model '{model}': the model name differs from the server's --model_name, "
       "or no version of it loaded.",
       "Check the model name; make sure the base path holds numbered version folders (e.g. 1/saved_model.pb) and "
       "look at the server log for load errors."),
    _r("version_not_found", r"Could not find version\s*(?P<version>\d+) of model\s*(?P<model>\S+)",
       "The server has no version {version} of model '{model}': it is not under the base path, or the version "
       "policy (latest/specific) does not serve it.",
       "Ask the server's status without a version to see which versions it serves; change the version, or the "
       "server's --model_version_policy / model config."),
    _r("missing_model_spec", r"Missing ModelSpec name",
       "The request names no model.", "Set model_spec.name to the server's --model_name."),
    _r("examples_empty", r"^\s*Input is empty",
       "The classify/regress request carries no tf.Example.", "Send at least one example."),
    _r("one_input", r"Expected one input Tensor",
       "Classify and regress need a signature with exactly one (string, serialized tf.Example) input.",
       "Use predict for this signature, or export a classify/regress signature taking serialized tf.Examples."),
    _r("bad_classify_outputs", r"Expected classification signature outputs to contain classes or scores|"
                               r"No output tensor named outputs found in signature|"
                               r"Expected (?:output )?Tensor shape|Expected scores Tensor of|"
                               r"Input batch size did not match output batch size|Tensors class and score should match",
       "The signature's outputs do not have the form the classify/regress API needs (classes/scores of shape "
       "[batch, classes], or outputs of shape [batch] / [batch, 1]).",
       "Call the signature with predict instead, or export it with outputs of the standard names and shapes."),
    _r("version_label", r"Unrecognized servable version label:?\s*(?P<label>[^\s\"]*)",
       "The version label '{label}' is not defined on the server.",
       "Use a label from the server's model config (version_labels), or address the version by number "
       "(/versions/N)."),
    _r("method_mismatch",
       r"Expected (?P<api>classification|regression|prediction) signature method_name to be (?P<want>.*?)\.\s*"
       r"Was:\s*(?P<was>\S*)",
       "The {api_short} API was called on a signature whose method is {was}; {api_short} needs a signature "
       "with method {want}.",
       "Call this signature with {use}, or pick a signature whose method is {want}.", _method),
    _r("message_too_large", r"(?P<dir>Received|Sent) message larger than max \((?P<size>\d+) vs\.? (?P<limit>\d+)\)",
       "The gRPC message ({size_mb} MB) is larger than the {limit_mb} MB limit for messages {side}.",
       "Raise the gRPC max message size (here: Max message MB, e.g. {need_mb}; in code: channel options "
       "grpc.max_receive_message_length / grpc.max_send_message_length), or send a smaller batch.", _size),
    _r("json_type", r"JSON Value:\s*(?P<value>.*?)\s+Type:\s*(?P<jtype>\w+)\s+is not of expected type:\s*(?P<dtype>\w+)",
       "A JSON value ({value}, a {jtype}) cannot become the signature's {dtype} tensor.",
       "Send {dtype} values: numbers without quotes for numeric inputs, strings for string inputs "
       "({{\"b64\": ...}} for binary); check which input carries this value."),
    _r("json_lossy", r"Cannot convert JSON value:\s*(?P<value>.*?) to (?P<dtype>\w+) without loss of precision",
       "The value {value} does not fit a {dtype} exactly.",
       "Send values within {dtype}'s range and precision, or change the input's dtype in the model."),
    _r("json_tensor_size", r"Expecting tensor size:?\s*(?P<want>\d+)\s*but got:?\s*(?P<got>\d+)",
       "The instances are not all the same size: the first has {want} values, a later one {got}.",
       "Every instance of a batch must have the same shape: pad or crop the ragged ones."),
    _r("json_shape", r"Expecting shape\s*(?P<want>\[[^\]]*\])\s*but got:?\s*(?P<got>\[[^\]]*\])",
       "The instances do not all have the same shape: the first is {want}, a later one {got}.",
       "Give every instance of the batch the same shape (nested lists of equal length)."),
    _r("json_ragged", r"(?:found at incorrect level|Encountered list at unexpected (?:level|size))",
       "The nested lists are ragged: not every list at one depth has the same length, or values and lists are mixed.",
       "Make the JSON a regular N-dimensional array (equal lengths at every depth)."),
    _r("json_both_keys", r"expecting only\s+one of 'inputs' or 'instances'",
       "The request has both 'inputs' and 'instances'.",
       "Use 'instances' (row format, a list of examples) or 'inputs' (columnar format), not both."),
    _r("json_no_keys", r"Missing 'inputs' or 'instances' key",
       "The predict request has neither an 'instances' nor an 'inputs' key.",
       "Wrap the data: {{\"instances\": [...]}} (one entry per example) or {{\"inputs\": {{...}}}} (columnar)."),
    _r("json_plain_list", r"(?:instances is a plain list|inputs is a plain value/list), but expecting",
       "The signature has several inputs but the request sent one unnamed list.",
       "Name each input: row format [{{\"a\": ..., \"b\": ...}}, ...] or columnar {{\"inputs\": {{\"a\": ..., "
       "\"b\": ...}}}}."),
    _r("json_missing_input", r"Missing named input:\s*(?P<name>\S+) in 'inputs' object",
       "The 'inputs' object lacks the signature's input '{name}'.", "Add '{name}' to 'inputs'."),
    _r("json_unknown_input", r"does not have named input:\s*(?P<name>\S+)",
       "The request names an input '{name}' that the signature does not have.",
       "Rename it to one of the signature's input keys."),
    _r("json_instance_keys", r"keys must be equal to:\s*(?P<keys>\S+)",
       "An instance object does not have exactly the signature's inputs.",
       "Give every instance exactly these keys: {keys}."),
    _r("json_mixed_rows", r"Expecting (?:object but got list|value/list but got object) at item\s*(?P<item>\d+)",
       "The 'instances' list mixes objects and plain values (at item {item}).",
       "Use objects for every instance (named inputs) or plain values for every instance, not both."),
    _r("json_parse", r"JSON Parse error:\s*(?P<what>.*)",
       "The request body is not valid JSON ({what}).",
       "Send a JSON object such as {{\"instances\": [...]}}; check quotes, commas and brackets."),
    _r("json_signature_name", r"'signature_name' key must be a string",
       "'signature_name' must be a string.", "Quote the signature name: \"signature_name\": \"serving_default\"."),
    _r("json_no_examples", r"key 'examples' is expected and was not found|'examples' value",
       "A classify/regress request needs a non-empty 'examples' list.",
       "Send {{\"examples\": [{{\"feature\": value, ...}}, ...]}}, one object per tf.Example."),
    _r("json_feature", r"Feature:\s*(?P<name>\S+) has (?:element with unexpected JSON type|uint64 element)|"
                       r"Unexpected element type in feature:\s*(?P<name2>\S+)",
       "A tf.Example feature holds values tf.Example cannot store together (mixed kinds, nested lists or null).",
       "Each feature must be a number, a string, {{\"b64\": ...}}, or a flat list of one kind of those."),
    _r("rest_dtype", r"Conversion of JSON Value:\s*(?P<value>.*?) to type:\s*(?P<dtype>\w+)",
       "TF Serving's REST (JSON) API cannot carry {dtype} tensors.",
       "Call this model over gRPC (tensors go as TensorProto there), or export it with a float32 input that is "
       "cast to {dtype} inside the model."),
    _r("matrix_size", r"Matrix size-incompatible:\s*In\[0\]:\s*\[(?P<a>[^\]]*)\],?\s*In\[1\]:\s*\[(?P<b>[^\]]*)\]",
       "The model ran, but a matrix multiply got shapes [{a}] and [{b}]: the input's inner dimension does not match "
       "what the model was built for (the signature itself did not reject it).",
       "Check the last dimension of each input against the signature's shape (e.g. features or channels), "
       "not only the batch size."),
    _r("incompatible_shapes", r"Incompatible shapes:\s*\[(?P<a>[^\]]*)\]\s*vs\.?\s*\[(?P<b>[^\]]*)\]",
       "The model ran, but two tensors of shapes [{a}] and [{b}] could not be combined: an input's shape (often "
       "the batch size or a fixed dimension) does not fit the graph.",
       "Send the shape the signature declares; if it declares a fixed batch size, send exactly that many rows."),
    _r("examples_into_non_string", r"Type mismatch: actual string vs\.? expect (?P<dtype>\w+)|"
                                   r"Expects arg\[\d+\] to be (?P<dtype2>\w+) but string is provided",
       "The signature's input takes {dtype} values, but classify/regress feed it serialized tf.Example strings: "
       "this signature cannot be called through the classify/regress API.",
       "Call it with predict and a {dtype} input, or use a signature whose one input is a string of serialized "
       "tf.Examples.", lambda m: {"dtype": m.group("dtype") or m.group("dtype2")}),
    _r("dtype_mismatch", r"Expects arg\[(?P<arg>\d+)\] to be (?P<want>\w+) but (?P<got>\w+) is provided",
       "An input was sent as {got} but the model expects {want}.",
       "Cast the input to {want} before sending (e.g. numpy .astype), or send it with the signature's dtype."),
    _r("placeholder", r"You must feed a value for placeholder tensor '(?P<name>[^']+)'",
       "The graph needs a value for '{name}', which the request did not give.",
       "Send every input the signature lists; a signature that depends on other placeholders is broken."),
    _r("malformed_url", r"Malformed request:\s*(?P<method>[A-Z]+)\s+(?P<path>\S+)",
       "The server did not understand the URL {method} {path}.",
       "Use /v1/models/NAME[/versions/N|/labels/L][:predict|:classify|:regress|/metadata] (POST for "
       ":predict/:classify/:regress, GET for status and /metadata)."),
    _r("missing_model_name", r"Missing model name in request",
       "The URL names no model.", "Use /v1/models/NAME..."),
    _r("bad_version", r"Failed to convert version",
       "The version in the URL is not a valid number.", "Use a positive integer: /v1/models/NAME/versions/123."),
    _r("tls", r"SSL|TLS|handshake|CERTIFICATE_VERIFY_FAILED|certificate verify failed|self.signed",
       "The secure (TLS) connection could not be set up: the server's certificate was not trusted or the server "
       "does not speak TLS on that port.",
       "Give the server's root certificate (CA file), turn TLS off for a plain port, or check the host name "
       "matches the certificate."),
    # Before connection_refused: gRPC wraps this in "failed to connect to all addresses", but a server did answer.
    _r("http1_port", r"Failed parsing HTTP/2|Trying to connect an http1\.x server",
       "A server answered at that address, but not in gRPC (HTTP/2): it is an HTTP/1 port, most likely TF Serving's "
       "REST port (8501 by default).",
       "Use the gRPC port (--port, 8500 by default), or talk REST to this one: rest://HOST:PORT/MODEL."),
    _r("connection_refused", r"Connection refused|ECONNREFUSED|Errno 111|failed to connect to all addresses",
       "Nothing is listening at that address: the server is not running, or the host/port is wrong.",
       "Start the server or fix the port (TF Serving: gRPC --port, default 8500; REST --rest_api_port, default 8501)."),
    _r("dns", r"DNS resolution failed|Name or service not known|nodename nor servname|getaddrinfo failed",
       "The host name could not be resolved.", "Check the host name, or use an IP address."),
    _r("deadline", r"Deadline Exceeded|DEADLINE_EXCEEDED|timed? ?out",
       "The server did not answer within the timeout.",
       "Raise the timeout (the first request after a model loads can be slow), send a smaller batch, or check the "
       "server is not overloaded."),
]

# KServe V2 servers' own texts: MLServer 1.7 (mlserver/errors.py), KServe 0.16 (kserve/errors.py) and Triton
# (its core and backends; the texts its QA tests assert). Checked first for V2 targets, after TF Serving's otherwise.
_V2_NOT_FOUND_FIX = ("Check the model name (and version) against the models the server lists (POST /v2/repository/index "
                     "on Triton and MLServer) or its log; "
                     "V2 versions are strings such as \"1\".")
V2_RULES: list[Rule] = [
    _r("v2_model_not_found", r"Model (?P<model>\S+) with version (?P<version>\S+) not found",
       "The server (MLServer) has no version '{version}' of model '{model}'.", _V2_NOT_FOUND_FIX),
    _r("v2_model_not_found", r"Model (?P<model>\S+) (?:with version\s+)?not found",
       "The server (MLServer) has no model named '{model}'.", _V2_NOT_FOUND_FIX),
    _r("v2_model_not_ready", r"Model (?P<model>\S+?) (?:with version (?P<version>\S+) )?is not ready yet",
       "Model '{model}' is on the server (MLServer) but not ready yet: it is still loading, or loading failed.",
       "Wait and retry; if it stays not ready, read the server's log for the load error."),
    _r("v2_model_not_found", r"Model with name (?P<model>\S+) does not exist",
       "The server (KServe) has no model named '{model}'.", _V2_NOT_FOUND_FIX),
    _r("v2_model_not_ready", r"Models? with names? (?P<model>\S+) (?:is|are) not ready",
       "Model '{model}' is on the server (KServe) but not ready: its load() has not finished or failed.",
       "Wait and retry; if it stays not ready, read the server's log for the load error."),
    _r("v2_model_not_ready", r"Request for unknown model: '(?P<model>[^']+)' has no available versions",
       "Model '{model}' is in Triton's repository but no version of it is available (still loading, or loading "
       "failed).", "Read Triton's log or GET /v2/repository/index for the version's state and load error."),
    _r("v2_model_not_found", r"Request for unknown model: '(?P<model>[^']+)' version (?P<version>\S+) is not found",
       "Triton has no version {version} of model '{model}'.",
       "Ask without a version to use the one Triton serves, or check version_policy in the model's config.pbtxt."),
    _r("v2_model_not_found", r"Request for unknown model: '(?P<model>[^']+)' is not found",
       "Triton has no model named '{model}' in its repository.", _V2_NOT_FOUND_FIX),
    _r("v2_unknown_input", r"unexpected inference input '(?P<name>[^']+)'(?: for model '(?P<model>[^']+)')?"
                           r"(?:, allowed inputs are: (?P<keys>.*))?",
       "The request names an input '{name}' that the model does not have.",
       "Rename it to one of the model's inputs (see its metadata: GET /v2/models/MODEL)."),
    _r("v2_shape", r"unexpected shape for input '(?P<name>[^']+)' for model '(?P<model>[^']+)'\. Expected "
                   r"(?P<want>\[[^\]]*\]), got (?P<got>\[[^\]]*\])",
       "Input '{name}' was sent with shape {got}; the model takes {want} (-1 is any size).",
       "Send the shape the model's metadata declares; Triton models with max_batch_size > 0 want a leading batch "
       "dimension."),
    _r("v2_input_count", r"expected (?P<want>\d+) inputs? but got (?P<got>\d+) inputs?",
       "The request sent {got} input(s) but the model takes {want}.",
       "Send exactly the model's inputs (see its metadata: GET /v2/models/MODEL)."),
    _r("v2_datatype", r"(?:unexpected|inconsistent) datatype '?(?:TYPE_)?(?P<got>\w+)'? for (?:inference )?input "
                      r"'(?P<name>[^']+)', (?:expecting|model expects) '?(?:TYPE_)?(?P<want>\w+)'?",
       "Input '{name}' was sent as {got}; the model takes {want}.",
       "Send '{name}' as {want} (cast it before sending)."),
    _r("v2_json_datatype", r"Sending (?P<datatype>\w+) data via JSON is not supported",
       "The server (KServe) cannot read {datatype} tensors from JSON.",
       "Send them in the binary tensor data extension (binary on; the default with KServe) or over gRPC "
       "(v2+grpc://)."),
    _r("v2_datatype_unknown", r"invalid datatype (?P<datatype>\S+) in the input",
       "The server (KServe) does not know one of the request's datatypes (it has no BF16, for one).",
       "Cast that input to a datatype the server supports (FP32 for BF16), or use Triton for BF16."),
    _r("v2_datatype_unknown", r"datatype.*?Input should be (?P<allowed>'BOOL'.*)",
       "The server does not accept one of the request's datatypes (allowed: {allowed}).",
       "Cast the input to a datatype the server lists (MLServer has no BF16: send FP32, or use another server)."),
    _r("v2_json_shape", r"(?:shape|data) .*?(?:does not match|mismatch)|cannot reshape array of size (?P<size>\d+) "
                        r"into shape (?P<shape>\S+)",
       "The request's data do not fill its shape: the number of values must be the product of the shape.",
       "Send flat row-major 'data' with exactly as many values as the shape holds."),
]
V2_MODEL_KINDS = {"v2_model_not_found", "v2_model_not_ready"}

# When no text rule matches, the status code alone still says something.
_BY_CODE = {
    "NOT_FOUND": ("The server has no such model, version or endpoint.",
                  "Check the model name, version and URL against the server's status."),
    "UNAVAILABLE": ("The server is unreachable or not ready.", "Check it is running and the host and port are right."),
    "UNIMPLEMENTED": ("The server does not implement this call.",
                      "Check the API (predict/classify/regress) and that the endpoint is TF Serving."),
    "DEADLINE_EXCEEDED": ("The server did not answer within the timeout.",
                          "Raise the timeout, send a smaller batch, or check the server is not overloaded."),
    "RESOURCE_EXHAUSTED": ("The server or the channel ran out of a resource (memory or message size).",
                           "Send a smaller batch or raise the message size limits."),
    "PERMISSION_DENIED": ("The server refused the request (permission denied).", "Check credentials and headers."),
    "UNAUTHENTICATED": ("The server wants authentication.", "Send the credentials it expects (e.g. a header)."),
    "INVALID_ARGUMENT": ("The server rejected the request as invalid.",
                         "Compare the inputs with the signature (names, dtypes, shapes)."),
    "FAILED_PRECONDITION": ("The server could not run the request in its current state.",
                            "Check the signature name and that the model is loaded."),
    "INTERNAL": ("The server failed while running the model.",
                 "Read the server's text below; the model may be broken for these inputs."),
}


def canonical_code(status: int | str | None) -> str | None:
    """gRPC number, HTTP status, "INVALID_ARGUMENT", "Invalid argument" or grpc.StatusCode -> "INVALID_ARGUMENT"."""
    if status is None:
        return None
    name = getattr(status, "name", None)  # grpc.StatusCode
    if name in _NAMES:
        return name
    if isinstance(status, int):
        return _BY_NUMBER.get(status) if status < 100 else _BY_HTTP.get(status, "UNKNOWN" if status >= 500 else None)
    text = str(status).strip()
    if text.upper().replace(" ", "_") in _NAMES:
        return text.upper().replace(" ", "_")
    return _OLD.get(text.lower())


def split_code(text: str) -> tuple[str | None, str]:
    """"INVALID_ARGUMENT: msg" or "Invalid argument: msg" -> ("INVALID_ARGUMENT", "msg"); other text unchanged."""
    match = _PREFIX.match(text)
    if match:
        code = canonical_code(match.group("code"))
        if code:
            return code, text[match.end():]
    return None, text


def server_text(body: str) -> str:
    """A REST error body {"error": "..."} -> its message; any other text as it is."""
    stripped = body.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            return body
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            return data["error"]
    return body


def explain(text: str, status: int | str | None = None, *, protocol: str = "tfserving",
            model: str = "") -> Explanation:
    """Explain one server error text (REST body, gRPC details or client error); status may name its code;
    protocol "v2" reads KServe V2 servers' texts first (MLServer, KServe, Triton)."""
    raw = text if isinstance(text, str) else str(text)
    message = server_text(raw)
    if protocol == "v2" and message.lstrip().startswith("{"):
        from .v2protocol import error_text  # FastAPI's {"detail": ...} as well as {"error": ...}

        message = error_text(message.encode("utf-8", "replace")) or message
    code, body = split_code(message)
    code = code or canonical_code(status)
    rules = V2_RULES + RULES if protocol == "v2" else RULES + V2_RULES
    if protocol == "v2" and code == "NOT_FOUND" and body.strip() in ("Not Found", ""):
        # FastAPI's (MLServer, KServe) answer for a path it has no route for: not a model name problem.
        return Explanation(f"The server has no such endpoint (HTTP 404 'Not Found') for model '{model}'.",
                           "Check the URL is a KServe V2 server's (MLServer, KServe, Triton) and the model name.",
                           raw, "v2_no_route", code)
    for rule in rules:
        match = rule.pattern.search(body)
        if match:
            values = {k: (v if v is not None else "") for k, v in match.groupdict().items()}
            if rule.fields:
                values.update(rule.fields(match))
            if "keys" in values:  # "{x,y}" sets in TF Serving's texts read better as 'x', 'y'
                values["keys"] = _listing(_keys(values["keys"])) if values["keys"] else "see the signature"
            return Explanation(_fill(rule.cause, values), _fill(rule.fix, values), raw, rule.kind, code)
    cause, fix = _BY_CODE.get(code or "", (None, None))
    if protocol == "v2" and fix:
        fix = fix.replace("that the endpoint is TF Serving", "that the endpoint is a KServe V2 server")
    body = body.strip()
    if cause:
        return Explanation(f"{cause} The server said: {body}" if body else cause, fix, raw, "code", code)
    return Explanation(f"The server said: {body}" if body else "The server gave an error with no text.",
                       "Read the server's message; compare the request with the model's signature.", raw, "unknown",
                       code)


def _fill(template: str, values: dict) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError):  # a template naming a group the pattern left out: show it unfilled
        return template
