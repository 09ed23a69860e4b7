"""Walk Avito's consent page over HTTP as a browser would (test helper).

GET the authorize URL, read the consent form, submit it with Allow or Deny, and return the
query of the redirect. Nothing of the sandbox's control API is used here.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx


class _ConsentForm(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.accounts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action")
        elif tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") == "radio" and a.get("name") == "account_id":
            self.accounts.append(a["value"])


async def consent(
    authorize_url: str, *, allow: bool = True, account_id: int | None = None
) -> tuple[str, dict[str, str]]:
    """The redirect target (without query) and its query parameters."""
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as browser:
        page = await browser.get(authorize_url)
        assert page.status_code == 200, page.text
        form = _ConsentForm()
        form.feed(page.text)
        assert form.action is not None
        assert form.accounts, "the consent page offers no account"
        chosen = str(account_id) if account_id is not None else form.accounts[0]
        assert chosen in form.accounts
        data = {**form.fields, "account_id": chosen, "decision": "allow" if allow else "deny"}
        answer = await browser.post(urljoin(authorize_url, form.action), data=data)
    assert answer.status_code in (302, 303), answer.text
    location = urlsplit(answer.headers["location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    return f"{location.scheme}://{location.netloc}{location.path}", query
