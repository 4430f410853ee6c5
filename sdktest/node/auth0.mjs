// Drives Auth0's own Node SDK (`auth0`, ManagementClient) against a running Switchboard:
// SWITCHBOARD_URL (e.g. http://127.0.0.1:8080) and SWITCHBOARD_TOKEN (a Switchboard API key: the
// owner key printed by the first `switchboard serve`). See run.sh.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ManagementClient, ManagementError } from "auth0";

const base = process.env.SWITCHBOARD_URL;
const token = process.env.SWITCHBOARD_TOKEN;
if (!base || !token) throw new Error("SWITCHBOARD_URL and SWITCHBOARD_TOKEN must be set");
const target = new URL(base);

// ManagementClient always builds `https://<domain>/api/v2` (it has no baseUrl option). Give it
// Switchboard's host:port as the domain and, through the client's `fetch` option (Fern's "custom
// fetch implementation", passed through by the wrapper), swap the scheme when Switchboard is
// served over plain HTTP on loopback. Nothing else of the request is touched.
const sdkBase = `https://${target.host}/api/v2`;
function fetchToSwitchboard(url, init) {
  const s = String(url);
  assert.ok(s.startsWith(sdkBase), `request outside the Management API: ${s}`);
  return fetch(`${target.origin}/api/v2${s.slice(sdkBase.length)}`, init);
}
const client = new ManagementClient({ domain: target.host, token, fetch: fetchToSwitchboard, maxRetries: 0 });

const run = `${process.pid}-${Date.now().toString(36)}`;

// Connections are Switchboard's own objects: create them with the native API, as a user would.
async function nativeConnection(name) {
  const res = await fetch(`${target.origin}/v1/workspaces/default/connections`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      connector_id: "http-bearer",
      connection_name: name,
      config: { base_url: "https://idp.example.com", token: "sb-node-idp-token" },
    }),
  });
  const body = await res.json();
  assert.equal(res.status, 201, `native create: ${JSON.stringify(body)}`);
  assert.match(body.id, /^conn_/);
  return body;
}

async function nativeDelete(id) {
  const res = await fetch(`${target.origin}/v1/workspaces/default/connections/${id}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${token}` },
  });
  await res.arrayBuffer();
  return res.status;
}

// Collects every item of an SDK Page: the SDK asks for page 0, 1, … until an empty (or short) page.
async function all(page) {
  const items = [];
  for await (const item of page) items.push(item);
  return items;
}

test("Auth0 SDK: organization connections", async (t) => {
  const conns = [];
  for (let i = 0; i < 3; i++) conns.push(await nativeConnection(`sb-node-idp-${run}-${i}`));
  let org;

  await t.test("organizations.create", async () => {
    const { data, rawResponse } = await client.organizations
      .create({ name: `sb-node-${run}`, display_name: "Switchboard Node SDK" })
      .withRawResponse();
    assert.equal(rawResponse.status, 201);
    org = data;
    assert.match(org.id, /^org_/);
    assert.equal(org.name, `sb-node-${run}`);
    assert.equal(org.display_name, "Switchboard Node SDK");
  });

  await t.test("connections.create (201, sdk-wire.md body)", async () => {
    const { data, rawResponse } = await client.organizations.connections
      .create(org.id, { connection_id: conns[0].id, assign_membership_on_login: true, show_as_button: false, is_enabled: true })
      .withRawResponse();
    assert.equal(rawResponse.status, 201);
    assert.equal(data.connection_id, conns[0].id);
    assert.equal(data.assign_membership_on_login, true);
    assert.equal(data.show_as_button, false);
    assert.equal(data.is_enabled, true);
    assert.equal(data.is_signup_enabled, false);
    assert.equal(data.organization_access_level, "none");
    assert.deepEqual(data.connection, { name: conns[0].connection_name, strategy: "http-bearer" });

    // Defaults, and the rest of the fields.
    const second = await client.organizations.connections.create(org.id, {
      connection_id: conns[1].id, assign_membership_on_login: true, is_signup_enabled: true, organization_access_level: "full",
    });
    assert.equal(second.show_as_button, true);
    assert.equal(second.is_signup_enabled, true);
    assert.equal(second.organization_access_level, "full");
  });

  await t.test("enabledConnections.add (the legacy twin)", async () => {
    const added = await client.organizations.enabledConnections.add(org.id, { connection_id: conns[2].id });
    assert.equal(added.connection_id, conns[2].id);
    assert.equal(added.show_as_button, true);
    assert.equal(added.assign_membership_on_login, false);
    assert.equal(added.connection.strategy, "http-bearer");
  });

  await t.test("connections.list pages until an empty page", async () => {
    // The SDK's own default: page=0&per_page=50&include_totals=true, reads `.connections`.
    const page = await client.organizations.connections.list(org.id);
    assert.equal(page.response.total, 3);
    assert.equal(page.response.start, 0);
    assert.equal(page.data.length, 3);
    const items = await all(page);
    assert.deepEqual(items.map((c) => c.connection_id).sort(), conns.map((c) => c.id).sort());
    for (const c of items) assert.equal(c.connection.strategy, "http-bearer");

    // Smaller pages: 2 + 1, then the SDK stops at the short page.
    const small = await all(await client.organizations.connections.list(org.id, { per_page: 2 }));
    assert.deepEqual(small.map((c) => c.connection_id).sort(), conns.map((c) => c.id).sort());
    const p1 = await client.organizations.connections.list(org.id, { page: 1, per_page: 2 });
    assert.equal(p1.data.length, 1);
    assert.equal(p1.response.start, 2);
    assert.equal(p1.response.total, 3);

    const enabled = await all(await client.organizations.connections.list(org.id, { is_enabled: true }));
    assert.equal(enabled.length, 3);

    // The legacy list names its array enabled_connections.
    const legacy = await all(await client.organizations.enabledConnections.list(org.id));
    assert.deepEqual(legacy.map((c) => c.connection_id).sort(), conns.map((c) => c.id).sort());
  });

  await t.test("connections.get and update", async () => {
    const got = await client.organizations.connections.get(org.id, conns[0].id);
    assert.equal(got.connection_id, conns[0].id);
    assert.equal(got.assign_membership_on_login, true);
    assert.equal(got.show_as_button, false);

    const updated = await client.organizations.connections.update(org.id, conns[0].id, {
      assign_membership_on_login: false, show_as_button: true,
    });
    assert.equal(updated.connection_id, conns[0].id);
    assert.equal(updated.assign_membership_on_login, false);
    assert.equal(updated.show_as_button, true);

    const again = await client.organizations.enabledConnections.get(org.id, conns[0].id);
    assert.equal(again.assign_membership_on_login, false);
    assert.equal(again.show_as_button, true);

    const legacyUpdated = await client.organizations.enabledConnections.update(org.id, conns[2].id, { show_as_button: false });
    assert.equal(legacyUpdated.show_as_button, false);
  });

  await t.test("errors are typed with Auth0's body", async () => {
    // is_signup_enabled needs assign_membership_on_login=true.
    await assert.rejects(
      client.organizations.connections.update(org.id, conns[0].id, { is_signup_enabled: true }),
      (err) => err instanceof ManagementError && err.statusCode === 400 && err.body?.errorCode === "invalid_body",
    );
    await assert.rejects(
      client.organizations.connections.create(org.id, { connection_id: "conn_doesnotexist" }),
      (err) => err instanceof ManagementError && err.statusCode === 404 && err.body?.errorCode === "inexistent_connection",
    );
    await assert.rejects(
      client.organizations.connections.create(org.id, { connection_id: conns[0].id }),
      (err) => err instanceof ManagementError && err.statusCode === 409,
    );
    const badToken = new ManagementClient({ domain: target.host, token: "sbk_not_a_key", fetch: fetchToSwitchboard, maxRetries: 0 });
    await assert.rejects(badToken.organizations.connections.list(org.id),
      (err) => err instanceof ManagementError && err.statusCode === 401);
  });

  await t.test("a connection in use by the organization cannot be deleted natively", async () => {
    assert.equal(await nativeDelete(conns[1].id), 409);
  });

  await t.test("connections.delete (204), then get is 404", async () => {
    const { rawResponse } = await client.organizations.connections.delete(org.id, conns[0].id).withRawResponse();
    assert.equal(rawResponse.status, 204);
    await assert.rejects(
      client.organizations.connections.get(org.id, conns[0].id),
      (err) => err instanceof ManagementError && err.statusCode === 404,
    );
    await client.organizations.enabledConnections.delete(org.id, conns[1].id);
    await client.organizations.enabledConnections.delete(org.id, conns[2].id);

    const empty = await client.organizations.connections.list(org.id);
    assert.equal(empty.response.total, 0);
    assert.deepEqual(await all(empty), []);
  });

  await t.test("cleanup: the released connections delete natively", async () => {
    for (const c of conns) assert.equal(await nativeDelete(c.id), 204);
  });
});
