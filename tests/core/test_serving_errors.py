"""The error explainer, case by case, with TF Serving's exact texts (tests/data/tfserving_rest/FIXTURES.md)."""
import re

import pytest

from explorer.core.serving_errors import RULES, canonical_code, explain, split_code

UNFILLED = re.compile(r"\{[a-z_0-9]+\}")

# (raw text as the server sends it, status, expected rule, words the cause must contain, words the fix must contain)
CASES = [
    # predict_util.cc, both the new absl prefix and the old TF one
    ("INVALID_ARGUMENT: input size does not match signature: 2!=1 len({x,y}) != len({x}). Sent extra: {y}. "
     "Missing but required: {}.", None, "input_size", ["2 input", "'x', 'y'", "takes 1"], ["Remove 'y'"]),
    ("Invalid argument: input size does not match signature: 1!=2 len({a}) != len({a,b}). Sent extra: {}. "
     "Missing but required: {b}.", 400, "input_size", ["1 input", "takes 2"], ["Add 'b'"]),
    ("input size does not match signature: 2!=1 for inputs x,y. Sent extra: {y} Missing but required: {}",
     None, "input_size", ["2 input", "takes 1"], ["Remove 'y'"]),
    # D:490-497, exact
    ('{ "error": "Servable not found for request: Latest(half)" }', 404, "servable_not_found",
     ["model 'half'", "--model_name"], ["status"]),
    ("NOT_FOUND: Servable not found for request: Specific(default, 42)", None, "servable_not_found",
     ["version 42 of model 'default'", "version policy"], ["version"]),
    # predict_util.cc:93 and the older "signature name" wording
    ('FAILED_PRECONDITION: Serving signature key "nope" not found.', None, "signature_not_found",
     ["no signature named 'nope'"], ["signature keys"]),
    ('{ "error": "Serving signature name: \\"serving_default\\" not found in signature def" }', 400,
     "signature_not_found", ["'serving_default'"], ["signature keys"]),
    # H:304-308, json_tensor.cc:268
    ('{ "error": "JSON Value: \\"x\\" Type: String is not of expected type: float" }', 400, "json_type",
     ['"x"', "String", "float"], ["float values"]),
    ("Invalid argument: Failed to process element: 1 of 'instances' list. Error: Invalid argument: Expecting tensor "
     "size: 2 but got: 3", 400, "json_tensor_size", ["2 values", "3"], ["same shape"]),
    ("Failed to process element: 2 of 'instances' list. Error: INVALID_ARGUMENT: Expecting shape [2] but got: [1,2]",
     400, "json_shape", ["[2]", "[1,2]"], ["same shape"]),
    ("Missing 'inputs' or 'instances' key", 400, "json_no_keys", ["neither"], ['"instances"']),
    ('JSON Value: { "instances": [[1,2]], "inputs": [[1,2]] } Not formatted correctly expecting only one of '
     "'inputs' or 'instances' keys to exist ", 400, "json_both_keys", ["both"], ["not both"]),
    ("JSON Parse error: The document is empty", 400, "json_parse", ["not valid JSON", "document is empty"], ["JSON"]),
    ("JSON Parse error: Invalid value. at offset: 0", 400, "json_parse", ["Invalid value"], ["JSON"]),
    ('JSON Value: { "signature_name": 100 } not formatted correctly. \'signature_name\' key must be a string value.',
     400, "json_signature_name", ["must be a string"], ["Quote"]),
    ("Unrecognized servable version label: Version_Nonexistent", 400, "version_label", ["'Version_Nonexistent'"],
     ["version_labels"]),
    ("Malformed request: POST /v1/models/foo/version/50:predict", 400, "malformed_url",
     ["POST /v1/models/foo/version/50:predict"], ["/v1/models/NAME"]),
    ("Missing model name in request.", 400, "missing_model_name", ["names no model"], ["/v1/models/NAME"]),
    ("Failed to convert version: 18446744073709551615", 400, "bad_version", ["not a valid number"], ["integer"]),
    ("Expecting object but got list at item 1 of input list", 400, "json_mixed_rows", ["item 1"], ["not both"]),
    ("Expecting value/list but got object at item 0 of input list", 400, "json_mixed_rows", ["item 0"], ["not both"]),
    # classifier.cc:165 / regressor.cc:160
    ("INVALID_ARGUMENT: Expected classification signature method_name to be tensorflow/serving/classify. Was: "
     "tensorflow/serving/predict", None, "method_mismatch", ["classify API", "tensorflow/serving/predict"],
     ["with predict"]),
    ("Expected regression signature method_name to be tensorflow/serving/regress. Was: tensorflow/serving/classify",
     400, "method_mismatch", ["regress API"], ["with classify"]),
    # kernels, as TF's session reports them
    ("INVALID_ARGUMENT: Matrix size-incompatible: In[0]: [3,2], In[1]: [1,1]\n\t [[{{node MatMul}}]]", 400,
     "matrix_size", ["[3,2]", "[1,1]", "inner dimension"], ["last dimension"]),
    ("Invalid argument: Incompatible shapes: [3,1] vs. [1,10,10,1]\n\t [[{{node add}}]]", 400,
     "incompatible_shapes", ["[3,1]", "[1,10,10,1]"], ["batch"]),
    ("INVALID_ARGUMENT: Expects arg[0] to be float but double is provided", None, "dtype_mismatch",
     ["double", "float"], ["Cast"]),
    # DT_HALF over REST (json_tensor.cc AddValueToTensor default branch)
    ("UNIMPLEMENTED: Conversion of JSON Value: 1.0 to type: half", 501, "rest_dtype", ["REST", "half"], ["gRPC"]),
    # gRPC client limits and transport
    ("Received message larger than max (52428835 vs. 4194304)", "RESOURCE_EXHAUSTED", "message_too_large",
     ["50.0 MB", "4 MB", "received"], ["max message", "63"]),
    ("Sent message larger than max (9000000 vs. 4194304)", 8, "message_too_large", ["sent"], ["max message"]),
    ("failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: Failed to connect to remote host: "
     "Connection refused", "UNAVAILABLE", "connection_refused", ["Nothing is listening"], ["port"]),
    ("<urlopen error [Errno 111] Connection refused>", None, "connection_refused", ["Nothing is listening"], ["port"]),
    ("Deadline Exceeded", "DEADLINE_EXCEEDED", "deadline", ["timeout"], ["Raise the timeout"]),
    ("timed out", None, "deadline", ["timeout"], ["Raise the timeout"]),
    ("failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:5: Ssl handshake failed: "
     "SSL_ERROR_SSL: error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED", "UNAVAILABLE", "tls",
     ["TLS"], ["root certificate"]),
    ("INVALID_ARGUMENT: output tensor alias not found in signature: z Outputs expected to be in the set {y}.", None,
     "output_alias", ["'z'", "'y'"], ["output_filter"]),
    ("Invalid argument: input tensor alias not found in signature: x2. Inputs expected to be in the set {x}.", None,
     "input_alias", ["'x2'", "'x'"], ["'x'"]),
    ("instances is a plain list, but expecting list of objects as multiple input tensors required as per "
     "tensorinfo_map", 400, "json_plain_list", ["several inputs"], ["Name each input"]),
    ("Missing named input: b in 'inputs' object.", 400, "json_missing_input", ["'b'"], ["Add 'b'"]),
    # get_model_status_impl.cc / classifier.cc / input_util.cc texts, as the test server's gRPC API sends them
    ("Could not find version 5 of model default", "NOT_FOUND", "version_not_found", ["version 5", "'default'"],
     ["--model_version_policy"]),
    ("Could not find any versions of model nope", "NOT_FOUND", "no_versions", ["'nope'"], ["model name"]),
    ("No signature was found with the name: nope", "INVALID_ARGUMENT", "signature_not_found", ["'nope'"],
     ["signature keys"]),
    ("Type mismatch: actual string vs. expect float\n\t [[{{node _arg_x2_0_0}}]]", "INVALID_ARGUMENT",
     "examples_into_non_string", ["float values", "serialized tf.Example"], ["predict"]),
    ("INVALID_ARGUMENT: Expects arg[0] to be float but string is provided", None, "examples_into_non_string",
     ["float values"], ["predict"]),
    ("Missing ModelSpec name", "INVALID_ARGUMENT", "missing_model_spec", ["names no model"], ["model_spec.name"]),
    ("Input is empty.", "INVALID_ARGUMENT", "examples_empty", ["no tf.Example"], ["at least one"]),
    ("Expected one input Tensor.", "INVALID_ARGUMENT", "one_input", ["exactly one"], ["predict"]),
    ("Expected classification signature outputs to contain classes or scores.", "INVALID_ARGUMENT",
     "bad_classify_outputs", ["classes/scores"], ["predict"]),
]


@pytest.mark.parametrize("raw, status, kind, cause_words, fix_words", CASES, ids=[c[2] + f"-{i}" for i, c in
                                                                                 enumerate(CASES)])
def test_each_text_is_explained(raw, status, kind, cause_words, fix_words):
    exp = explain(raw, status)
    assert exp.kind == kind, (exp.kind, exp.cause)
    assert exp.raw == raw  # the server's own words are never lost
    for word in cause_words:
        assert word in exp.cause, (word, exp.cause)
    for word in fix_words:
        assert word in exp.fix, (word, exp.fix)
    assert not UNFILLED.search(exp.cause + exp.fix), exp  # every template field was filled
    assert exp.message.startswith(exp.cause)


def test_every_rule_is_exercised():
    """Each rule in the table must have a case above, or it is a rule nobody checked."""
    tested = {c[2] for c in CASES} | {"duplicate_output", "no_versions", "json_ragged", "json_unknown_input",
                                      "json_instance_keys", "json_no_examples", "json_feature", "json_lossy",
                                      "placeholder", "dns", "http1_port"}
    assert {r.kind for r in RULES} <= tested


@pytest.mark.parametrize("raw, kind", [
    ("duplicate output tensor alias: y", "duplicate_output"),
    ("Could not find any versions of model half_plus_two", "no_versions"),
    ('JSON Value: 3 found at incorrect level: 2 in the JSON DOM. Expected at level: 1', "json_ragged"),
    ("Encountered list at unexpected size: 3 at level: 1 expected size: 2", "json_ragged"),
    ("JSON object: does not have named input: q", "json_unknown_input"),
    ('Failed to process element: 0 of \'instances\' list. JSON object: {"a":1} keys must be equal to: a,b',
     "json_instance_keys"),
    ("JSON Value: {} When method is classify, key 'examples' is expected and was not found", "json_no_examples"),
    ("Feature: x has element with unexpected JSON type: Array", "json_feature"),
    ("Cannot convert JSON value: 1e300 to float without loss of precision.", "json_lossy"),
    ("You must feed a value for placeholder tensor 'x' with dtype float", "placeholder"),
    ("DNS resolution failed for nohost:8500", "dns"),
    ("UNAVAILABLE: failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:8501: Failed parsing "
     "HTTP/2 (Expected SETTINGS frame as the first frame, got frame type 79)", "http1_port"),
])
def test_more_rules(raw, kind):
    exp = explain(raw)
    assert exp.kind == kind
    assert not UNFILLED.search(exp.cause + exp.fix), exp


def test_status_codes_in_every_spelling():
    assert canonical_code(3) == "INVALID_ARGUMENT"
    assert canonical_code(404) == "NOT_FOUND"
    assert canonical_code("Invalid argument") == "INVALID_ARGUMENT"
    assert canonical_code("failed_precondition") == "FAILED_PRECONDITION"
    assert canonical_code(None) is None
    assert split_code("FAILED_PRECONDITION: x y") == ("FAILED_PRECONDITION", "x y")
    assert split_code("Failed precondition: x y") == ("FAILED_PRECONDITION", "x y")
    assert split_code("JSON Parse error: z") == (None, "JSON Parse error: z")  # not a code, left alone


def test_unknown_text_falls_back_to_the_code_and_keeps_the_words():
    exp = explain("something new went wrong", "UNAVAILABLE")
    assert exp.kind == "code" and exp.code == "UNAVAILABLE"
    assert "unreachable" in exp.cause and "something new went wrong" in exp.cause
    exp = explain("INTERNAL: boom")
    assert exp.code == "INTERNAL" and "boom" in exp.cause
    exp = explain("totally novel")
    assert exp.kind == "unknown" and "totally novel" in exp.cause


def test_grpc_status_code_object_is_understood():
    grpc = pytest.importorskip("grpc")
    assert canonical_code(grpc.StatusCode.RESOURCE_EXHAUSTED) == "RESOURCE_EXHAUSTED"
    assert explain("Deadline Exceeded", grpc.StatusCode.DEADLINE_EXCEEDED).code == "DEADLINE_EXCEEDED"
