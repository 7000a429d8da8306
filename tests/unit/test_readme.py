"""Each addon's README.rst is generated from its readme/ fragments (scripts/gen_readme.py):
never edited by hand, valid reStructuredText, and built from complete fragments."""

import importlib.util
import io
from pathlib import Path

import docutils.core
import docutils.utils
import pytest

ROOT = Path(__file__).resolve().parents[2]

_spec = importlib.util.spec_from_file_location("gen_readme", ROOT / "scripts" / "gen_readme.py")
gen_readme = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_readme)

ADDONS = gen_readme.addons()
REQUIRED_FRAGMENTS = ("DESCRIPTION.md", "CONFIGURE.md", "USAGE.md", "ROADMAP.md",
                      "CONTRIBUTORS.md")


def rst_problems(text):
    """What docutils reports about ``text`` at warning level or above ('' when nothing)."""
    stream = io.StringIO()
    try:
        docutils.core.publish_doctree(text, settings_overrides={
            "report_level": docutils.utils.Reporter.WARNING_LEVEL,
            "halt_level": docutils.utils.Reporter.WARNING_LEVEL,
            "warning_stream": stream,
            "syntax_highlight": "none",  # code blocks need no Pygments
        })
    except docutils.utils.SystemMessage as error:
        return f"{stream.getvalue()}{error}"
    return stream.getvalue()


def test_every_addon_has_fragments():
    assert [addon.name for addon in ADDONS] == [
        "clinic_portal", "clinic_pricelist_portal", "crm_isc_sync", "payment_easycard"]


@pytest.mark.parametrize("addon", ADDONS, ids=lambda addon: addon.name)
def test_readme_rst_is_what_the_fragments_give(addon):
    """A hand edit of README.rst fails: edit readme/ and run make readme instead."""
    assert (addon / "README.rst").read_text(encoding="utf-8") == gen_readme.generate(addon), (
        f"{addon.name}/README.rst differs from its readme/ fragments: run make readme")


@pytest.mark.parametrize("addon", ADDONS, ids=lambda addon: addon.name)
def test_generated_readme_is_valid_rst(addon):
    assert rst_problems(gen_readme.generate(addon)) == ""


@pytest.mark.parametrize("addon", ADDONS, ids=lambda addon: addon.name)
@pytest.mark.parametrize("fragment", REQUIRED_FRAGMENTS)
def test_each_required_fragment_exists_and_says_something(addon, fragment):
    path = addon / "readme" / fragment
    assert path.is_file(), f"{addon.name}/readme/{fragment} is missing"
    assert path.read_text(encoding="utf-8").strip(), f"{addon.name}/readme/{fragment} is empty"


@pytest.mark.parametrize("addon", ADDONS, ids=lambda addon: addon.name)
def test_the_changelog_has_newsfragments_under_the_manifest_version(addon):
    fragments = gen_readme.newsfragments(addon)
    assert fragments, f"{addon.name}/readme/newsfragments/ has no <n>.<type>.md"
    assert all(text for _, _, text in fragments)
    version = gen_readme.read_manifest(addon)["version"]
    assert f"Changelog\n=========\n\n{version}\n{'-' * len(version)}\n" in gen_readme.generate(
        addon)


def test_check_names_the_addon_whose_readme_was_edited(tmp_path, monkeypatch, capsys):
    """--check exits 1 and names the addon; without it, the README is written again."""
    for addon in ADDONS:
        copy = tmp_path / addon.name
        (copy / "readme").mkdir(parents=True)
        for path in addon.glob("readme/**/*.md"):
            target = copy / path.relative_to(addon)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
        for name in ("__manifest__.py", "README.rst"):
            (copy / name).write_bytes((addon / name).read_bytes())
    edited = tmp_path / "crm_isc_sync" / "README.rst"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nEdited by hand.\n",
                      encoding="utf-8")
    monkeypatch.setattr(gen_readme, "ADDONS_DIR", tmp_path)

    assert gen_readme.main(["--check"]) == 1
    assert "crm_isc_sync" in capsys.readouterr().err
    assert gen_readme.main([]) == 0
    assert gen_readme.main(["--check"]) == 0


def test_markdown_constructs_become_their_rst_counterparts():
    """The converter's subset: headings, nested lists, tables, code, inline markup, links."""
    markdown = "\n".join([
        "# Title", "", "A `code`s, **bold**, *italic* and [a link](https://example.org).", "",
        "1. one", "   - nested", "2. two", "", "| a | b |", "|---|---|", "| `x` | y |", "",
        "```python", "x = 1", "```",
    ])
    rst = "\n".join(gen_readme.md_to_rst(markdown))
    assert rst == "\n".join([
        "Title", "-----", "",
        "A ``code``\\ s, **bold**, *italic* and `a link <https://example.org>`__.", "",
        "1. one", "", "   - nested", "2. two", "",
        ".. list-table::", "   :header-rows: 1", "", "   * - a", "     - b", "   * - ``x``",
        "     - y", "",
        ".. code-block:: python", "", "   x = 1",
    ])
    assert rst_problems("Top\n===\n\n" + rst) == ""
