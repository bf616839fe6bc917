"""Every string shown to users has its Chinese in the zh_CN catalogue."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {
    "_": None,
    "_l": None,
    "gettext": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
}


def catalogues():
    yield "core", ROOT / "core", ROOT / "core" / "translations"
    for folder in sorted((ROOT / "modules").iterdir()):
        if (folder / "__init__.py").exists():
            yield folder.name, folder, folder / "translations"


def msgids(source: Path) -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(source), METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize(
    "name, source, translations",
    list(catalogues()),
    ids=lambda v: str(v).split("/")[-1],
)
def test_zh_cn_catalogue_is_complete(name, source, translations):
    po = translations / "zh_CN" / "LC_MESSAGES" / "messages.po"
    assert po.exists(), f"{name} has no zh_CN catalogue"
    with po.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalogue
        if m.id and m.string and not m.fuzzy
    }

    missing = sorted(msgids(source) - translated)

    assert missing == [], f"{name}: {len(missing)} strings lack Chinese: {missing[:10]}"
