"""The op names TensorFlow registers, and explorer/core/tf_ops.py written from them (scan's table of TensorFlow's
own ops, read without TensorFlow). Run after a TensorFlow upgrade: `python tests/tf_op_names.py` rewrites it;
tests/core/test_scan.py fails while an op TensorFlow registers is missing from the shipped table."""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
TABLE = Path(__file__).resolve().parents[1] / "explorer" / "core" / "tf_ops.py"


# Ops TensorFlow's wheel registers only once its TFLite converter has run in the process (the registry grows then):
# still TensorFlow's own, so the table holds them whichever test ran first.
LAZY_OPS = {"TFLite_Detection_PostProcess", "UnidirectionalSequenceLstm", "UnidirectionalSequenceRnn"}


def registered_ops() -> set[str]:
    """Every op name in this process's TensorFlow op registry (imports TensorFlow)."""
    import tensorflow as tf  # noqa: F401 - registers the ops
    from tensorflow.core.framework import op_def_pb2
    from tensorflow.python.client import pywrap_tf_session as c_api

    buffer = c_api.TF_GetAllOpList()
    ops = op_def_pb2.OpList()
    ops.ParseFromString(c_api.TF_GetBuffer(buffer))
    return {op.name for op in ops.op}


def write_table(names: set[str], version: str) -> None:
    """explorer/core/tf_ops.py: TF_VERSION and TF_OPS, names sorted and packed into lines of up to 116 characters."""
    lines: list[str] = []
    for name in sorted(names):
        if lines and len(lines[-1]) + 1 + len(name) <= 116:
            lines[-1] += " " + name
        else:
            lines.append(name)
    body = "\n".join(lines)
    TABLE.write_text(
        '"""TensorFlow\'s own op names (its op registry), so scan can tell a custom op without importing TensorFlow.\n\n'
        "Written by tests/tf_op_names.py from TensorFlow's registry; tests/core/test_scan.py checks that every op the\n"
        'installed TensorFlow registers is here (rerun the script after an upgrade; names only ever get added)."""\n'
        f'TF_VERSION = "{version}"\n'
        f'TF_OPS = frozenset("""\n{body}\n""".split())\n', encoding="utf-8")


if __name__ == "__main__":
    import tensorflow as tf

    names = registered_ops() | LAZY_OPS
    if TABLE.exists() and "--replace" not in sys.argv:
        from importlib import util

        spec = util.spec_from_file_location("tf_ops", TABLE)
        module = util.module_from_spec(spec)
        spec.loader.exec_module(module)
        names |= module.TF_OPS  # an op an older TensorFlow registered is still TensorFlow's in older models
    write_table(names, tf.__version__)
    print(f"{TABLE}: {len(names)} ops")
