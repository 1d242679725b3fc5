"""Extra headers are checked before anything is sent, for both protocols, with a message a user can act on."""
import pytest

from explorer.core.errors import InputProblem
from explorer.core.headers import checked_headers, header_problem
from explorer.core.runners.grpc import GrpcRunner
from explorer.core.runners.rest import RestRunner


def test_good_headers_pass_as_a_dict():
    assert checked_headers([("Authorization", "Bearer abc.def"), ("X-Api-Key", "k")]) == {
        "Authorization": "Bearer abc.def", "X-Api-Key": "k"}
    assert header_problem({}) is None


@pytest.mark.parametrize("headers, words", [
    ({"Authorization": "Bearer abc…"}, "U+2026"),  # a token shortened by the page it was copied from
    ({"X-Token": "a\r\nInjected: 1"}, "cannot carry"),
    ({"Bad Name": "v"}, "not a valid header name"),
])
def test_bad_headers_are_named(headers, words):
    problem = header_problem(headers)
    assert problem is not None and words in str(problem) and problem.fix


@pytest.mark.parametrize("runner", [RestRunner, GrpcRunner])
def test_runners_refuse_bad_headers_before_connecting(runner):
    scheme = "rest" if runner is RestRunner else "grpc"
    with pytest.raises(InputProblem, match="U\\+2026"):
        runner(f"{scheme}://127.0.0.1:1/m", headers={"Authorization": "Bearer abc…"})
