"""The repo stands alone: resources at the top level, shipped as explorer._resources, and no path outside the repo."""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "explorer").rglob("__init__.py")}
    assert on_disk - listed == set(), "a new subpackage must be added to [tool.setuptools] packages"
    assert "explorer._resources" in listed


def test_resources_sit_at_the_top_level_and_the_accessor_finds_them():
    from explorer import resources

    assert resources.resource_dir() == ROOT / "resources"
    assert resources.icon_path().is_file()
    assert (resources.demo_model_path() / "1" / "saved_model.pb").is_file()
    assert (resources.examples_dir() / "tfserving" / "LICENSE").is_file()
    assert (resources.examples_dir() / "tfserving" / "NOTICE").is_file()
    assert not (ROOT / "explorer" / "resources").exists()


def test_an_installed_layout_finds_resources_by_import(tmp_path):
    """A wheel-like tree (explorer/ and explorer/_resources/ side by side, no top-level resources/) still finds them."""
    import shutil

    site = tmp_path / "site"
    shutil.copytree(ROOT / "explorer", site / "explorer", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "resources" / "icons", site / "explorer" / "_resources" / "icons")
    (site / "explorer" / "_resources" / "__init__.py").write_text("")
    out = subprocess.run([sys.executable, "-S", "-c", "from explorer import resources; print(resources.icon_path())"],
                         cwd=site, capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    assert out == str(site / "explorer" / "_resources" / "icons" / "signature-explorer.svg")


def test_nothing_reads_a_path_outside_the_repo():
    pattern = re.compile(r"\.\./shared|parent\s*/\s*[\"']shared[\"']|parents\[\d\]\.parent")
    files = subprocess.run(["git", "ls-files", "tests", "explorer", "bench", "docs", "README.md", "Makefile", ".ci",
                            "CONTRIBUTING.md", "packaging"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    offenders = [name for name in files if name.endswith((".py", ".md", ".spec", "Makefile", "run"))
                 and name != "tests/packaging/test_layout.py"
                 and pattern.search((ROOT / name).read_text(errors="replace"))]
    assert offenders == []
