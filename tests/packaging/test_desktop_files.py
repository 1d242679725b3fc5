"""The Linux desktop entry and AppStream metainfo: valid per the freedesktop validators (when installed), and
consistent with the app (icon file, version, binary name)."""
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from configparser import ConfigParser
from pathlib import Path

import pytest

import explorer

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
DESKTOP = PACKAGING / "signature-explorer.desktop"
METAINFO = PACKAGING / "org.signatureexplorer.SignatureExplorer.metainfo.xml"
ICON = ROOT / "resources" / "icons" / "signature-explorer.svg"


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-validate not installed")
def test_desktop_entry_passes_desktop_file_validate():
    out = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "error" not in out.stdout.lower()


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli not installed")
def test_metainfo_passes_appstreamcli_validate():
    out = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_desktop_entry_names_the_binary_and_icon_the_bundle_ships():
    entry = ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(DESKTOP)
    group = entry["Desktop Entry"]
    assert group["Exec"].split()[0] == "signature-explorer"  # the bundle's executable (spec: name=)
    assert group["Icon"] == ICON.stem and ICON.is_file()
    assert group["StartupWMClass"] == "signature-explorer"  # QGuiApplication.setDesktopFileName in app.py
    spec = (PACKAGING / "signature-explorer.spec").read_text()
    assert 'name="signature-explorer"' in spec


def test_metainfo_release_is_the_package_version_and_launches_the_desktop_entry():
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("launchable") == DESKTOP.name
    versions = [r.get("version") for r in root.iter("release")]
    assert versions and versions[0] == explorer.__version__
    assert root.find("provides/binary").text == "signature-explorer"


def test_icon_is_an_svg_with_a_square_view_box():
    root = ET.parse(ICON).getroot()
    assert root.tag.endswith("svg")
    x, y, w, h = (float(v) for v in re.split(r"[ ,]+", root.get("viewBox").strip()))
    assert w == h > 0
