"""list_organizations: its EXAMPLE's full text on the pinned sandbox (see snapshot.py)."""

from hyperrep_mcp.render.views import OrgRef
from hyperrep_mcp.server.tools import list_organizations
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(list_organizations)


def test_the_whole_result_is_a_pure_function_of_the_organizations():
    refs = [OrgRef(organization_id=f"HR_id_o{i}", name=f"Org {i}") for i in range(3)]
    found = list_organizations.Organizations(
        organizations=refs, pinned="HR_id_o1", suggestions=["inbox_overview()"]
    )
    assert list_organizations.shown(found, budget=10_000).content[0].text.splitlines() == [
        "Organizations this key can access — 3",
        "- Org 0 · organization_id=HR_id_o0",
        "- Org 1 · organization_id=HR_id_o1 (pinned by configuration)",
        "- Org 2 · organization_id=HR_id_o2",
        "Next: inbox_overview()",
    ]
    none = list_organizations.Organizations(organizations=[], pinned=None, suggestions=[])
    assert (
        list_organizations.shown(none, budget=10_000)
        .content[0]
        .text.endswith("None: the key works but sees no organization. Check the key's account in HyperRep.")
    )
