// Drives Unified.to's own TypeScript SDK (@unified-api/typescript-sdk) against a running
// Switchboard: SWITCHBOARD_URL (e.g. http://127.0.0.1:8080) and SWITCHBOARD_TOKEN (an API key of
// the workspace, or the owner key printed by the first `switchboard serve`). See run.sh.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UnifiedTo } from "@unified-api/typescript-sdk";
import { UnifiedToError } from "@unified-api/typescript-sdk/sdk/models/errors";

const base = process.env.SWITCHBOARD_URL;
const token = process.env.SWITCHBOARD_TOKEN;
if (!base || !token) throw new Error("SWITCHBOARD_URL and SWITCHBOARD_TOKEN must be set");

// The SDK sends the key as `authorization: <key>` (no "bearer"), as sdk-wire.md records.
const sdk = new UnifiedTo({ serverURL: base, security: { jwt: token } });

const providerToken = "sb-node-provider-token-0123456789";
const xref = `sb-node-${process.pid}-${Date.now()}`;

// Dates come back as `YYYY-MM-DDTHH:MM:SSZ`; the SDK turns them into Date objects.
function assertDate(d, name) {
  assert.ok(d instanceof Date, `${name} is a Date (got ${typeof d})`);
  assert.ok(!Number.isNaN(d.getTime()), `${name} is a valid date`);
  assert.ok(Math.abs(Date.now() - d.getTime()) < 10 * 60 * 1000, `${name} is recent: ${d.toISOString()}`);
}

// The provider token must never come back in clear, anywhere in a decoded object.
function assertNoSecret(obj, where) {
  assert.ok(!JSON.stringify(obj).includes(providerToken), `${where}: the auth token came back in clear`);
}

test("Unified.to SDK: create, list, get, patch, delete a connection", async (t) => {
  let created;
  await t.test("create (the sdk-wire.md example)", async () => {
    created = await sdk.unified.createUnifiedConnection({
      integrationType: "hubspot",
      permissions: ["crm_contact_read", "crm_contact_write"],
      categories: ["crm"],
      auth: { token: providerToken },
      environment: "Production",
      externalXref: xref,
    });
    assert.equal(typeof created.id, "string");
    assert.ok(created.id.length > 0, "id is set");
    assert.equal(created.integrationType, "hubspot");
    assert.equal(typeof created.integrationName, "string");
    assert.deepEqual(created.categories, ["crm"]);
    assert.deepEqual([...created.permissions].sort(), ["crm_contact_read", "crm_contact_write"]);
    assert.equal(created.environment, "Production");
    assert.equal(created.externalXref, xref);
    assert.equal(created.isPaused, false);
    assert.equal(typeof created.workspaceId, "string");
    assert.ok(created.workspaceId.length > 0, "workspace_id is set");
    assertDate(created.createdAt, "created_at");
    assertDate(created.updatedAt, "updated_at");
    assertNoSecret(created, "create");
    assert.ok(created.auth, "auth is echoed (masked)");
    assert.equal(typeof created.auth.token, "string");
    assert.notEqual(created.auth.token, providerToken);
    assert.ok(created.auth.token.endsWith(providerToken.slice(-4)), `masked as ****+last 4: ${created.auth.token}`);
  });

  await t.test("list: a bare array, filtered by external_xref, paged", async () => {
    const list = await sdk.unified.listUnifiedConnections({ externalXref: xref, limit: 10, offset: 0 });
    assert.ok(Array.isArray(list), "list is an array");
    assert.equal(list.length, 1);
    assert.equal(list[0].id, created.id);
    assert.equal(list[0].isPaused, false);
    assertDate(list[0].createdAt, "list created_at");
    assertNoSecret(list, "list");

    const byCategory = await sdk.unified.listUnifiedConnections({ categories: ["crm"], env: "Production", limit: 100 });
    assert.ok(byCategory.some((c) => c.id === created.id), "category/env filter finds it");

    const past = await sdk.unified.listUnifiedConnections({ externalXref: xref, offset: 1 });
    assert.deepEqual(past, [], "offset past the end is an empty array");
  });

  await t.test("list: sort, order, updated_gte (a JavaScript toISOString)", async () => {
    const since = new Date(created.updatedAt.getTime() - 1000).toISOString(); // with milliseconds
    const recent = await sdk.unified.listUnifiedConnections({ updatedGte: since, sort: "updated_at", order: "desc", limit: 1000 });
    assert.ok(recent.some((c) => c.id === created.id), "updated_gte includes it");
    for (let i = 1; i < recent.length; i++) {
      assert.ok(recent[i - 1].updatedAt.getTime() >= recent[i].updatedAt.getTime(), "sorted by updated_at desc");
    }
    const future = await sdk.unified.listUnifiedConnections({ updatedGte: "2999-01-01T00:00:00Z", externalXref: xref });
    assert.deepEqual(future, []);
  });

  await t.test("get", async () => {
    const got = await sdk.unified.getUnifiedConnection({ id: created.id });
    assert.equal(got.id, created.id);
    assert.equal(got.workspaceId, created.workspaceId);
    assert.equal(got.integrationType, "hubspot");
    assert.equal(got.environment, "Production");
    assert.equal(got.isPaused, false);
    assert.equal(got.createdAt.getTime(), created.createdAt.getTime());
    assertNoSecret(got, "get");
  });

  await t.test("patch (without auth: the stored secret stays)", async () => {
    const patched = await sdk.unified.patchUnifiedConnection({
      id: created.id,
      connection: {
        integrationType: "hubspot",
        permissions: ["crm_contact_read", "crm_contact_write"],
        categories: ["crm"],
        environment: "Production",
        externalXref: `${xref}-patched`,
      },
    });
    assert.equal(patched.id, created.id);
    assert.equal(patched.externalXref, `${xref}-patched`);
    assertDate(patched.updatedAt, "patched updated_at");
    assert.ok(patched.updatedAt.getTime() >= created.updatedAt.getTime(), "updated_at does not go back");
    assertNoSecret(patched, "patch");
    assert.ok(patched.auth?.token?.endsWith(providerToken.slice(-4)), "the auth token is kept (masked)");

    const got = await sdk.unified.getUnifiedConnection({ id: created.id });
    assert.equal(got.externalXref, `${xref}-patched`);
  });

  await t.test("patch sending the masked value back keeps the secret", async () => {
    const got = await sdk.unified.getUnifiedConnection({ id: created.id });
    const patched = await sdk.unified.patchUnifiedConnection({ id: created.id, connection: got });
    assert.equal(patched.auth?.token, got.auth?.token);
    assertNoSecret(patched, "patch with masked auth");
  });

  await t.test("update (PUT) without auth leaves auth alone", async () => {
    const put = await sdk.unified.updateUnifiedConnection({
      id: created.id,
      connection: {
        integrationType: "hubspot",
        permissions: ["crm_contact_read"],
        categories: ["crm"],
        externalXref: `${xref}-patched`,
      },
    });
    assert.equal(put.id, created.id);
    assert.deepEqual(put.permissions, ["crm_contact_read"]);
    assert.equal(put.environment, "Production", "environment defaults to Production");
    assert.ok(put.auth?.token?.endsWith(providerToken.slice(-4)), "the auth token is kept (masked)");
    assertNoSecret(put, "put");
  });

  await t.test("errors are UnifiedToError with the HTTP status", async () => {
    await assert.rejects(
      sdk.unified.createUnifiedConnection({ integrationType: "", permissions: [], categories: [] }),
      (err) => err instanceof UnifiedToError && err.statusCode === 400 && /integration_type/.test(err.body),
    );
    const badKey = new UnifiedTo({ serverURL: base, security: { jwt: "sbk_not_a_key" } });
    await assert.rejects(badKey.unified.getUnifiedConnection({ id: created.id }),
      (err) => err instanceof UnifiedToError && err.statusCode === 401);
  });

  await t.test("delete, then get is 404", async () => {
    await sdk.unified.removeUnifiedConnection({ id: created.id });
    await assert.rejects(
      sdk.unified.getUnifiedConnection({ id: created.id }),
      (err) => err instanceof UnifiedToError && err.statusCode === 404,
    );
    const list = await sdk.unified.listUnifiedConnections({ externalXref: `${xref}-patched` });
    assert.deepEqual(list, []);
  });
});
