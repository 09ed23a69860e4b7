"""Read Avito's consent page the way a browser does: the form, its fields and its accounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class ConsentForm:
    action: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    accounts: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)

    def submission(self, decision: str, account_id: str | None = None) -> dict[str, str]:
        """What the browser posts when the user clicks Allow/Deny (first account by default)."""
        if decision not in self.decisions:
            raise ValueError(f"the consent page offers no {decision!r} button")
        chosen = account_id or (self.accounts[0] if self.accounts else None)
        body = dict(self.fields)
        if chosen is not None:
            body["account_id"] = chosen
        body["decision"] = decision
        return body


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form = ConsentForm()
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.form.action:
            self._in_form = True
            self.form.action = attr.get("action", "")
        elif not self._in_form:
            return
        elif tag == "input" and attr.get("type") == "hidden" and attr.get("name"):
            self.form.fields[attr["name"]] = attr.get("value", "")
        elif tag == "input" and attr.get("type") == "radio" and attr.get("name") == "account_id":
            self.form.accounts.append(attr.get("value", ""))
        elif tag == "button" and attr.get("name") == "decision":
            self.form.decisions.append(attr.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False


def parse_consent(page: str) -> ConsentForm:
    """The first form of the page; raises ValueError when there is none (an error page)."""
    parser = _Parser()
    parser.feed(page)
    if not parser.form.action:
        raise ValueError("the consent page has no form (an error page?)")
    return parser.form
