"""list_contacts: its EXAMPLE's full text on the pinned sandbox (see snapshot.py)."""

from hyperrep_mcp.render.views import ContactView, OrgRef
from hyperrep_mcp.server.tools import list_contacts
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(list_contacts)


def found(n: int, **kw) -> list_contacts.ContactsFound:
    views = [
        ContactView(
            contact_id=f"HR_id_p{i}", name=f"Diana {i}", email=f"d{i}@example.com", company_name="Acme"
        )
        for i in range(n)
    ]
    values = {
        "organization": OrgRef(organization_id="HR_id_org", name="Summit"),
        "views": views,
        "query": None,
        "company_id": None,
        "where": "",
        "detailed": False,
        "scanned": n,
        "scan_complete": True,
        "next_cursor": lambda shown: f"c{shown}" if shown < n else None,
        "available": list,
    }
    return list_contacts.ContactsFound(**{**values, **kw})


def test_the_whole_result_is_a_pure_function_of_what_was_found():
    """No sandbox: browsing shows directory rows, a search its matches in full with how far it
    scanned, and only a single match suggests get_contact."""
    browse = list_contacts.shown(found(3), budget=24000).content[0].text
    assert browse.splitlines()[0] == (
        "Contacts in Summit — 3 shown (name, company; query or get_contact for email and phone)"
    )
    assert "d0@example.com" not in browse and "contact_id=HR_id_p0" in browse

    search = found(1, query="diana", scanned=1000, scan_complete=False, next_cursor=lambda shown: "c9")
    text = list_contacts.shown(search, budget=24000).content[0].text
    assert text.splitlines()[0] == "Contacts in Summit — 1 match (1000 scanned, more remain)"
    assert "d0@example.com" in text
    assert 'continue the scan: list_contacts(query="diana", cursor="c9")' in text
    assert text.endswith('Next: get_contact(contact_id="HR_id_p0")')

    none = list_contacts.shown(found(0, query="zed", next_cursor=lambda shown: None), budget=24000)
    assert "No contact matched." in none.content[0].text
