"""list_sales: its EXAMPLE's full text on the pinned sandbox (see snapshot.py), and the whole result of
an undocumented listing rendered from a hand-built record."""

from hyperrep_mcp.render.views import OrgRef
from hyperrep_mcp.server.tools import list_sales
from hyperrep_mcp.server.tools.common import RecordsFound, records_shown
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(list_sales)


def test_the_whole_result_is_a_pure_function_of_what_was_found():
    """No sandbox: a sale's own ID stays out of the text when no tool takes it (the structured output
    keeps it), the contact's name leads and its ID trails, and the cursor's call repeats the filter."""
    items = [
        {
            "contact_name": f"Customer {i}",
            "sale_id": f"HR_id_s{i}",
            "amount": 1200 + i,
            "contact_id": f"HR_id_c{i}",
        }
        for i in range(40)
    ]
    found = RecordsFound(
        organization=OrgRef(organization_id="HR_id_org", name="Summit"),
        kind="sales",
        tool_name="list_sales_by_contact",
        id_key="sale_id",
        show_id=False,
        items=items,
        next_cursor=lambda kept: f"cur{kept}",
        scope=" (2026-11-01 → now)",
        same_args={"contact_id": "HR_id_c0"},
    )
    result = records_shown(found, budget=1500)
    text, listed = result.content[0].text, result.structured_content["items"]
    assert len(text) <= 1500 and 0 < len(listed) < 40
    lines = text.splitlines()
    assert lines[0] == f"Sales in Summit — {len(listed)} shown (2026-11-01 → now)"
    assert lines[1] == "- Customer 0 · amount: 1200 · contact_id=HR_id_c0"
    assert "sale_id" not in text and listed[0]["sale_id"] == "HR_id_s0"
    assert text.endswith(
        f'next cursor: cur{len(listed)} (more: list_sales_by_contact(contact_id="HR_id_c0", cursor="cur{len(listed)}"))'
    )
    empty = records_shown(
        RecordsFound(**{**vars(found), "items": [], "next_cursor": lambda _k: None}), budget=1500
    )
    assert empty.content[0].text.splitlines() == [
        "Sales in Summit — 0 shown (2026-11-01 → now)",
        "No sales found.",
    ]
