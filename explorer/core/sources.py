"""Source: where one input's values come from -- a literal, a fill, a file, text lines, tf.Examples -- kept verbatim
so nothing the user typed is lost, and its command-line form (--input KEY=VALUE, --example). tensors.build_input
turns a Source into an array."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from . import examples as example_codec
from .errors import InputProblem
from .signature import Signature

KINDS = ("literal", "fill", "file", "text", "examples")
FILLS = ("zeros", "ones", "constant", "range", "linspace", "uniform", "normal")
FILL_ALIASES = {
    "random": "uniform", "rand": "uniform", "randn": "normal", "gaussian": "normal", "arange": "range",
    "zero": "zeros", "one": "ones", "const": "constant", "full": "constant", "value": "constant",
}


@dataclass(frozen=True)
class Source:
    """Where one input's values come from, kept verbatim so nothing the user typed is lost."""

    kind: str  # "literal" | "fill" | "file" | "text" | "examples"
    text: str = ""  # literal JSON/scalar, text lines for strings, or JSON list of tf.Example feature dicts
    fill: str = ""  # one of FILLS
    params: dict = field(default_factory=dict)  # value, low, high, mean, std, start, stop, step, seed, shape, normalize, b64
    path: str = ""
    key: str = ""  # the array's name inside an .npz

    def __hash__(self) -> int:  # params is a dict: hash its JSON so Sources can key caches
        return hash((self.kind, self.text, self.fill, json.dumps(self.params, sort_keys=True, default=str),
                     self.path, self.key))

    def describe(self) -> str:
        """A short line for tables and logs: 'fill:normal?seed=3', '@a.npz:x', 'literal [[1.0]]'."""
        query = "&".join(f"{k}={_param_text(v)}" for k, v in self.params.items())
        query = f"?{query}" if query else ""
        if self.kind == "fill":
            return f"fill:{self.fill}{query}"
        if self.kind == "file":
            return f"@{self.path}" + (f":{self.key}" if self.key else "") + query
        text = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        return f"{self.kind} {text}"

    def to_dict(self) -> dict:
        """Plain JSON form for saved sessions."""
        return {"kind": self.kind, "text": self.text, "fill": self.fill, "params": dict(self.params),
                "path": self.path, "key": self.key}

    @classmethod
    def from_dict(cls, data: dict) -> "Source":
        """Inverse of to_dict; unknown fields are ignored so older/newer session files still load."""
        return cls(kind=str(data.get("kind", "literal")), text=str(data.get("text", "")),
                   fill=str(data.get("fill", "")), params=dict(data.get("params") or {}),
                   path=str(data.get("path", "")), key=str(data.get("key", "")))


# ---------------------------------------------------------------- command-line parsing

def parse_cli_input(text: str, keys=()) -> tuple[str, Source]:
    """'KEY=VALUE' from --input -> (key, Source). VALUE: a literal, @file[.npz:name][?params], fill:NAME[?params],
    text:LINES or b64:BASE64 (string inputs). A key of `keys` (the signature's) may itself hold '='."""
    known = [k for k in keys if "=" in k and text.startswith(k + "=")]
    if known:
        key = max(known, key=len)
        key, sep, value = key, "=", text[len(key) + 1:]
    else:
        key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputProblem(
            None, f"--input {text!r} is not of the form KEY=VALUE.",
            fix="Write e.g. --input x=[[1.0],[2.0]], x=@batch.npy, x=@img.png or x=fill:normal?seed=3.",
        )
    value = value.strip()
    if value.startswith("@"):
        return key, _parse_file(key, value[1:])
    if value.startswith("fill:"):
        name, _, query = value[5:].partition("?")
        return key, Source("fill", fill=fill_name(name, key), params=parse_params(query, key))
    if value.startswith("text:"):
        return key, Source("text", text=value[5:])
    if value.startswith("b64:"):
        return key, Source("text", text=value[4:], params={"b64": True})
    if value.startswith("examples:"):
        body = value[len("examples:"):]
        example_codec.parse_examples(body, key)
        return key, Source("examples", text=body)
    return key, Source("literal", text=value)


def parse_cli_example(text: str) -> tuple[str, Source]:
    """--example 'KEY=[{"x": 2.0}]' or 'KEY={"x": 2.0}' (or no KEY: the signature's only input) -> (key, Source)."""
    body = text.strip()
    key = ""
    if body[:1] not in ("[", "{"):
        key, sep, body = body.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputProblem(
                None, f"--example {text!r} is neither KEY=JSON nor a JSON list of feature dicts.",
                fix='Write e.g. --example \'inputs=[{"x": 2.0}, {"x": 3.0}]\'.',
            )
    example_codec.parse_examples(body, key or None)  # fail now, with the CLI text in view
    return key, Source("examples", text=body.strip())


def parse_cli_sources(inputs: list[str], examples: list[str], keys=()) -> dict[str, Source]:
    """Every --input KEY=VALUE, then every --example -> {key: Source}; InputProblem when a key is given twice
    (users repeat --input to add rows, and the last value alone would run silently). `keys`: the signature's input
    keys, once known, so a key holding '=' is split after it."""
    sources: dict[str, Source] = {}
    given: dict[str, str] = {}
    for option, text, parse in [("--input", t, lambda t: parse_cli_input(t, keys)) for t in inputs] + \
                               [("--example", t, parse_cli_example) for t in examples]:
        key, source = parse(text)
        if key in sources:
            raise InputProblem(
                key, f"{key or 'The input'} is given twice ({given[key]} and {option} {text}); one request sends "
                     "one value per input.",
                fix=f"Give {key or 'it'} once; put several rows in one value (e.g. x=[[1],[2],[3]]), or use --batch "
                    "with a fill.")
        sources[key], given[key] = source, f"{option} {text}"
    return sources


def cli_examples(sources: dict[str, Source], signature: Signature) -> list[dict]:
    """Feature dicts of the one --example source, for engines that send them as tf.Example JSON (REST classify and
    regress); [] for other signatures or when there is not exactly one."""
    found = [s for s in sources.values() if s.kind == "examples"]
    if len(found) != 1 or signature.method_short not in ("classify", "regress"):
        return []
    return example_codec.parse_examples(found[0].text)


def _parse_file(key: str, rest: str) -> Source:
    params: dict = {}
    path = rest
    # "?k=v" after the path carries options (normalize=true); only when it parses as such, since "?" may be in a name
    if "?" in rest:
        head, _, query = rest.rpartition("?")
        if query and all("=" in part for part in query.split("&")):
            path, params = head, parse_params(query, key)
    npz_key = ""
    lower = path.lower()
    if ".npz:" in lower:
        cut = lower.rindex(".npz:") + 4
        path, npz_key = path[:cut], path[cut + 1:]
    if not path:
        raise InputProblem(key, f"{key}: '@' must be followed by a file path.", fix=f"Write {key}=@path/to/file.npy.")
    return Source("file", path=path, key=npz_key, params=params)


def fill_name(name: str, key: str | None = None) -> str:
    """A fill's canonical name ('random' -> 'uniform'); InputProblem listing the fills for an unknown one."""
    canon = name.strip().lower()
    canon = FILL_ALIASES.get(canon, canon)
    if canon not in FILLS:
        raise InputProblem(key, f"{_who(key)}unknown fill {name!r}.",
                           fix="Use one of: " + ", ".join(FILLS) + " (random = uniform).")
    return canon


def parse_params(query: str, key: str | None = None) -> dict:
    """'seed=3&std=2&shape=2x10x100&normalize=true' -> {'seed': 3, 'std': 2.0, 'shape': [2, 10, 100], ...}."""
    params: dict = {}
    for name, raw in parse_qsl(query, keep_blank_values=True):
        name = name.strip()
        if name in ("shape",):
            try:
                params[name] = [int(p) for p in raw.replace("x", ",").replace("(", "").replace(")", "").split(",") if p.strip()]
            except ValueError as exc:
                raise InputProblem(key, f"{_who(key)}shape {raw!r} is not a list of whole numbers.",
                                   fix="Write shape=2x10x100 or shape=2,10,100.") from exc
        else:
            params[name] = _scalar(raw)
    return params


def _scalar(raw: str):
    low = raw.strip().lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw


def param_flag(params: dict, name: str) -> bool:
    """A boolean option that may arrive as text from a form or a query string ("false" is false)."""
    value = params.get(name, False)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _param_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "x".join(str(v) for v in value)
    return str(value)


def _who(key: str | None) -> str:
    return f"{key}: " if key else ""
