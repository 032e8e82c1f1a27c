// Drives BuiltOn's published JavaScript SDK (npm @builton/core-sdk, pinned in package.json) against a
// userbase server. Run by crates/userbase/tests/api/builton_sdk.rs, which passes the endpoint and
// credentials in the environment and asserts on the JSON document this script prints. Any rejected
// request fails the script.

const Builton = require('@builton/core-sdk');

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};

async function main() {
  const endpoint = env('BUILTON_ENDPOINT');
  const apiKey = env('BUILTON_API_KEY');
  const newUser = new Builton({ apiKey, bearerToken: env('BUILTON_NEW_USER_JWT'), endpoint });
  const returning = new Builton({ apiKey, bearerToken: env('BUILTON_RETURNING_USER_JWT'), endpoint });
  const admin = new Builton({ apiKey, bearerToken: env('BUILTON_SECRET_KEY'), endpoint });
  const out = {};

  const created = await newUser.users.create({ first_name: 'Js', last_name: 'Script', email: 'js@example.com' });
  out.created = { id: created.id, first_name: created.first_name, auth_id: created.auth_id };
  out.authenticated_again = (await newUser.authenticate({ body: {} })).id;
  const me = await newUser.users.get('me');
  out.me = { id: me.id, email: me.email };
  out.by_id = (await newUser.users.get(created.id)).id;
  const updated = await newUser.users.setMe().update({ last_name: 'Updated' });
  out.updated = { id: updated.id, first_name: updated.first_name, last_name: updated.last_name };
  const withAddresses = await newUser.users.updateAddresses('me', [
    { street_name: 'Hausmanns gate 29', zip_code: '0182', city: 'Oslo', country: 'Norway' },
  ]);
  out.addresses = withAddresses.addresses;

  const login = await returning.authenticate({ body: { first_name: 'ignored on login' } });
  out.login = { id: login.id, first_name: login.first_name };
  const orders = await returning.users.getOrders('me');
  out.orders = orders.current.map((o) => ({ id: o.id, order_status: o.order_status }));
  out.orders_total = Number(orders.paginationTotal);
  const subscriptions = await returning.users.getSubscriptions(login.id);
  out.subscriptions = subscriptions.current.map((s) => ({ id: s.id, status: s.status }));

  const made = await admin.users.create({ first_name: 'Admin', last_name: 'Made', email: 'admin-made@example.com' });
  out.admin_created = { id: made.id, auth_id: made.auth_id };
  out.admin_get = (await admin.users.get(made.id)).first_name;
  // users.get() without an id calls a getAll that 4.2.4's Users does not have (an SDK bug), so the list
  // goes through the paginator that getAll would have used.
  const page = await admin.users.paginate({ page: 0, size: 2, urlParams: { sort: 'created' } });
  const pages = [page.current.map((u) => u.id)];
  out.admin_list_total = Number(page.paginationTotal);
  pages.push((await page.next()).map((u) => u.id));
  out.admin_list_pages = pages;
  const deleted = await admin.users.del(made.id);
  out.deleted = { id: deleted.id, deleted: deleted.deleted };

  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err) => {
  const status = err && err.status;
  const body = err && err.response && err.response.text;
  process.stderr.write(`${err && err.stack}\nstatus: ${status}\nbody: ${body}\n`);
  process.exit(1);
});
