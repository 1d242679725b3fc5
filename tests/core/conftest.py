"""Session-scoped SavedModels generated with TensorFlow (tests/modelgen.py), each built once per test run."""
from pathlib import Path

import pytest

import modelgen


@pytest.fixture(scope="session")
def generated_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("generated_models")


@pytest.fixture(scope="session")
def keras_model(generated_dir) -> Path:
    return modelgen.keras_export(generated_dir)


@pytest.fixture(scope="session")
def tf2_model(generated_dir) -> Path:
    """A TF Serving base path (version 1) with string/int64/bool/uint8/float64/scalar/[-1,-1,100] signatures."""
    return modelgen.tf2_signatures(generated_dir)


@pytest.fixture(scope="session")
def tf1_model(generated_dir) -> Path:
    return modelgen.tf1_builder(generated_dir)


@pytest.fixture(scope="session")
def tf1_text_model(generated_dir) -> Path:
    return modelgen.tf1_builder_text(generated_dir)


@pytest.fixture(scope="session")
def big_graph_model(generated_dir) -> Path:
    """saved_model.pb of 100 MB: constants embedded in the graph."""
    return modelgen.big_graph(generated_dir, megabytes=100)
