"""Schemathesis hooks for scripts/contract_fuzz.sh.

The admin run would otherwise reset its own password or deactivate itself early (both revoke
its token at once, as they should), leaving every later case at 401. Commands aimed at the
signed-in account (MARDOM_FUZZ_SELF_ID) are sent to a decoy account (MARDOM_FUZZ_DECOY_ID)
instead; everything else goes out as generated.
"""

import os

import schemathesis

SELF_ID = os.environ.get("MARDOM_FUZZ_SELF_ID", "")
DECOY_ID = os.environ.get("MARDOM_FUZZ_DECOY_ID", "")


@schemathesis.hook
def before_call(context, case, kwargs):
    if not SELF_ID or not DECOY_ID or case.method.upper() == "GET":
        return
    if "/users/{id}" not in case.operation.path:
        return
    params = case.path_parameters or {}
    if params.get("id") == SELF_ID:
        params["id"] = DECOY_ID
