"""Drives BuiltOn's published Python SDK (PyPI builton-sdk, pinned in .ci/run) against a userbase server.

Run by crates/userbase/tests/api/builton_sdk.rs, which passes the endpoint and credentials in the
environment and asserts on the JSON document this script prints: what the SDK returned for each call.
An exception raised by the SDK (which it does for any status but 200) fails the script.
"""

import json
import os

from builton_sdk import Builton

endpoint = os.environ["BUILTON_ENDPOINT"]
api_key = os.environ["BUILTON_API_KEY"]
new_user = Builton(api_key=api_key, bearer_token=os.environ["BUILTON_NEW_USER_JWT"], endpoint=endpoint)
returning = Builton(api_key=api_key, bearer_token=os.environ["BUILTON_RETURNING_USER_JWT"], endpoint=endpoint)
admin = Builton(api_key=api_key, bearer_token=os.environ["BUILTON_SECRET_KEY"], endpoint=endpoint)

out = {}

created = new_user.user().create(first_name="Py", last_name="Thon", email="py@example.com")
out["created"] = {"id": created.id, "first_name": created.first_name, "auth_id": created.auth_id}
again = new_user.user().authenticate()
out["authenticated_again"] = again.id
me = new_user.user().get("me")
out["me"] = {"id": me.id, "email": me.email}
by_id = new_user.user().get(created.id)
out["by_id"] = by_id.id
updated = created.update(last_name="Updated", tags=["sdk"])
out["updated"] = {"id": updated.id, "first_name": updated.first_name, "last_name": updated.last_name}
addresses = created.update_addresses(
    {"addresses": [{"street_name": "Hausmanns gate 29", "zip_code": "0182", "city": "Oslo", "country": "Norway"}]}
)
out["addresses"] = addresses["addresses"]

login = returning.user().authenticate(first_name="ignored on login")
out["login"] = {"id": login.id, "first_name": login.first_name}
orders = login.get_orders()
out["orders"] = [{"id": o.id, "order_status": o.order_status} for o in orders]
subscriptions = login.get_subscriptions()
out["subscriptions"] = [{"id": s.id, "status": s.status} for s in subscriptions]

made = admin.user().create(first_name="Admin", last_name="Made", email="admin-made@example.com")
out["admin_created"] = {"id": made.id, "auth_id": made.auth_id}
out["admin_get"] = admin.user().get(made.id).first_name
out["admin_list"] = [u.id for u in admin.user().get_all(size=100, page=0, sort="created")]
out["admin_search"] = [u.id for u in admin.user().search(query="py@example")]
deleted = made.delete()
out["deleted"] = {"id": deleted.id, "deleted": deleted.deleted}

print(json.dumps(out))
