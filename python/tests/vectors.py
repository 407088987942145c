"""The plain-text vector files of tests/vectors/, shared by the Rust, C and Python suites."""

from pathlib import Path

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"


def load(name):
    """Sections of `name = HEX` lines: {section: {field: bytes}}."""
    sections, cur = {}, None
    for line in (VECTORS / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            cur = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        cur[key.strip()] = bytes.fromhex(value.strip())
    return sections
