"""The project's own catalogue of the clinical rules it encodes: ``docs/rules.md``.

It is generated, not written: the rule texts and sources come from the project's copy of the
clinical reference (``docs/clinical-reference.md``, §11-§14 and the December 2026 update), and
"encoded in" / "tested in" come from where the code and the tests cite each rule id. Run
``make rules`` after citing a rule in new code; ``test_rules_catalogue.py`` fails when the file
is stale, when code cites a rule id the reference does not define, or when a rule that the code
encodes is cited by no test.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
REFERENCE: Final = ROOT / "docs" / "clinical-reference.md"
CATALOGUE: Final = ROOT / "docs" / "rules.md"
RULE_ID: Final = re.compile(r"\bR-[A-Z]+-\d+\b")
_DEFINITION: Final = re.compile(r"^- \*\*(R-[A-Z]+-\d+)\b([^*]*)\*\*\s*(.*)$")
_UPDATE_HEADING: Final = "## Update of December 2026"
_SOURCE_SPLIT: Final = " — "


@dataclass(frozen=True)
class Rule:
    rule_id: str
    qualifier: str  # "hard", "configurable", ... as the reference puts it in brackets
    text: str
    source: str
    section: str  # the reference's heading the rule sits under


def _family_key(rule_id: str) -> tuple[str, int]:
    family, number = rule_id.rsplit("-", 1)
    return family, int(number)


def parse_reference(text: str) -> tuple[dict[str, Rule], dict[str, list[str]]]:
    """The rules the reference defines, and for each rule id the update sections that mention
    it (the December 2026 update corrects earlier rules)."""
    rules: dict[str, Rule] = {}
    corrections: dict[str, list[str]] = defaultdict(list)
    section = ""
    in_update = False
    current: list[str] | None = None
    current_head: tuple[str, str, str] | None = None

    def close() -> None:
        nonlocal current, current_head
        if current is None or current_head is None:
            return
        rule_id, qualifier, heading = current_head
        body = " ".join(part.strip() for part in current).strip()
        text_part, _, source = body.rpartition(_SOURCE_SPLIT)
        if not text_part:
            text_part, source = body, ""
        rules.setdefault(
            rule_id,
            Rule(
                rule_id=rule_id,
                qualifier=qualifier.strip(" ()"),
                text=re.sub(r"\s+", " ", text_part).strip(),
                source=source.strip(),
                section=heading,
            ),
        )
        current, current_head = None, None

    for line in text.splitlines():
        if line.startswith("#"):
            close()
            section = line.lstrip("#").strip()
            if line.startswith(_UPDATE_HEADING):
                in_update = True
            elif line.startswith("## ") and re.match(r"## (1[2-9]|[2-9]\d)\.", line):
                in_update = False  # §12-§15 follow the update heading but are new sections
            continue
        match = _DEFINITION.match(line)
        if match:
            close()
            current_head = (match.group(1), match.group(2), section)
            current = [match.group(3)]
            continue
        if current is not None:
            if line.startswith("  ") and line.strip():
                current.append(line)
                continue
            close()
        if in_update:
            for rule_id in RULE_ID.findall(line):
                if section not in corrections[rule_id]:
                    corrections[rule_id].append(section)
    close()
    return rules, dict(corrections)


def _is_test(path: Path) -> bool:
    relative = path.relative_to(ROOT)
    return relative.parts[0] == "tests" or "tests" in relative.parts or path.name == "conftest.py"


def citations() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Rule id -> modules that cite it, split into code and tests (paths relative to the root)."""
    code: dict[str, set[str]] = defaultdict(set)
    tests: dict[str, set[str]] = defaultdict(set)
    paths = [*ROOT.joinpath("kapclinic").rglob("*"), *ROOT.joinpath("tests").rglob("*.py")]
    for path in paths:
        if path.suffix not in {".py", ".html", ".json"} or "migrations" in path.parts:
            continue
        if path.name in {Path(__file__).name, "test_rules_catalogue.py"}:
            continue
        found = set(RULE_ID.findall(path.read_text(encoding="utf-8")))
        target = tests if _is_test(path) else code
        for rule_id in found:
            target[rule_id].add(path.relative_to(ROOT).as_posix())
    return dict(code), dict(tests)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _paths(paths: set[str]) -> str:
    return "<br>".join(f"`{path}`" for path in sorted(paths))


def render() -> str:
    rules, corrections = parse_reference(REFERENCE.read_text(encoding="utf-8"))
    code, tests = citations()
    encoded = sorted((rid for rid in code if rid in rules), key=_family_key)
    waiting = sorted((rid for rid in rules if rid not in code), key=_family_key)
    lines = [
        "# The clinical rules kapclinic encodes",
        "",
        "<!-- Generated by `make rules` (tests/architecture/rules_catalogue.py): do not edit. -->",
        "",
        "Each rule's words and source are those of the project's clinical reference",
        "([clinical-reference.md](clinical-reference.md), §11-§14 and its December 2026 update);",
        "*encoded in* lists the modules and templates that cite the rule id, *tested in* the tests",
        "that do. The suite fails when this file is stale, when code cites a rule id the reference",
        "does not define, or when an encoded rule is cited by no test.",
        "",
        f"{len(encoded)} rules encoded, {len(waiting)} waiting for the issues that build them.",
        "",
        "## Encoded",
        "",
    ]
    for rule_id in encoded:
        rule = rules[rule_id]
        qualifier = f" ({rule.qualifier})" if rule.qualifier else ""
        lines += [
            f"### {rule_id}{qualifier}",
            "",
            _cell(rule.text),
            "",
            f"- Source: {rule.source or 'see the reference'} ({rule.section})",
        ]
        if rule_id in corrections:
            lines.append(
                f"- Revisited by the December 2026 update: {'; '.join(corrections[rule_id])}"
            )
        lines += [
            f"- Encoded in: {_paths(code[rule_id]).replace('<br>', ', ')}",
            f"- Tested in: {_paths(tests.get(rule_id, set())).replace('<br>', ', ') or 'NONE'}",
            "",
        ]
    lines += ["## Not encoded yet", "", "| Rule | What it says |", "|---|---|"]
    for rule_id in waiting:
        rule = rules[rule_id]
        short = rule.text if len(rule.text) <= 160 else rule.text[:157].rstrip() + "..."
        lines.append(f"| {rule_id} | {_cell(short)} |")
    return "\n".join(lines) + "\n"


def problems() -> list[str]:
    """What makes the catalogue wrong: unknown rule ids in the code, encoded rules without tests."""
    rules, _ = parse_reference(REFERENCE.read_text(encoding="utf-8"))
    code, tests = citations()
    found = [
        f"{rule_id} is cited in {', '.join(sorted(paths))} but the reference defines no such rule"
        for rule_id, paths in sorted(code.items())
        if rule_id not in rules
    ]
    found += [
        f"{rule_id} is encoded in {', '.join(sorted(code[rule_id]))} but no test cites it"
        for rule_id in sorted(code, key=_family_key)
        if rule_id in rules and rule_id not in tests
    ]
    return found


if __name__ == "__main__":
    CATALOGUE.write_text(render(), encoding="utf-8")
    for problem in problems():
        print(f"warning: {problem}", file=sys.stderr)
    print(f"wrote {CATALOGUE.relative_to(ROOT)}")
