// A smaller scenario with the official JS SDK (@azure/digital-twins-core) against a real
// ferrotwin over HTTPS: models add/get/list, twins create/get/patch with ETags,
// relationships create/list/incoming, telemetry, event routes, deletes, and 403/401.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import https from "node:https";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";

import { startServer, missingPrerequisite } from "./server.mjs";

const require = createRequire(import.meta.url);
const { DigitalTwinsClient } = require("@azure/digital-twins-core");
const { DefaultHttpClient } = require("@azure/core-http");

/** The SDK's own node-fetch client, with an agent that accepts the self-signed cert
 * of this one test server; nothing else in the process is affected. */
class SelfSignedHttpClient extends DefaultHttpClient {
  constructor() {
    super();
    this.insecureAgent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
  }
  getOrCreateAgent(request) {
    return request.url.startsWith("https:") ? this.insecureAgent : super.getOrCreateAgent(request);
  }
}

function credential(token) {
  return {
    async getToken() {
      return { token, expiresOnTimestamp: Date.now() + 3600_000 * 24 * 365 };
    },
  };
}

function clientFor(srv, token) {
  return new DigitalTwinsClient(srv.httpsUrl, credential(token), { httpClient: new SelfSignedHttpClient() });
}

async function rejectsWith(promise, status, code) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.statusCode, status, `expected HTTP ${status}, got ${err.statusCode}: ${err.message}`);
    if (code) assert.equal(err.code, code, `expected error code ${code}, got ${err.code}: ${err.message}`);
    return true;
  });
}

async function collect(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const ns = `js${randomUUID().replace(/-/g, "").slice(0, 10)}`;
const ROOM = `dtmi:com:ferrotwin:jstest:${ns}:Room;1`;
const SENSOR = `dtmi:com:ferrotwin:jstest:${ns}:Sensor;1`;
const MODELS = [
  {
    "@id": SENSOR,
    "@type": "Interface",
    "@context": "dtmi:dtdl:context;3",
    displayName: "Sensor",
    contents: [
      { "@type": "Property", name: "reading", schema: "double", writable: true },
      { "@type": "Telemetry", name: "temp", schema: "double" },
    ],
  },
  {
    "@id": ROOM,
    "@type": "Interface",
    "@context": "dtmi:dtdl:context;3",
    displayName: "Room",
    contents: [
      { "@type": "Property", name: "name", schema: "string", writable: true },
      { "@type": "Property", name: "capacity", schema: "integer", writable: true },
      { "@type": "Component", name: "climate", schema: SENSOR },
      {
        "@type": "Relationship",
        name: "adjacentTo",
        target: ROOM,
        properties: [{ "@type": "Property", name: "doorCount", schema: "integer" }],
      },
    ],
  },
];

const skip = missingPrerequisite();
if (skip && process.env.CI === "true") {
  throw new Error(`${skip} (CI=true: prerequisites must be present)`);
}

describe("@azure/digital-twins-core against ferrotwin", { skip: skip ?? false }, () => {
  let srv;
  let client;

  before(async () => {
    srv = await startServer();
    client = clientFor(srv, srv.adminToken);
  });

  after(async () => {
    if (!srv) return;
    const { code, signal } = await srv.stop();
    assert.equal(signal, null, `ferrotwin was killed by ${signal}`);
    assert.equal(code, 0, `ferrotwin exited ${code} after SIGTERM`);
  });

  it("adds, gets and lists models", async () => {
    const created = await client.createModels(MODELS);
    assert.equal(created._response.status, 201);
    assert.deepEqual(new Set(created.map((m) => m.id)), new Set([ROOM, SENSOR]));
    for (const m of created) {
      assert.equal(m.decommissioned, false);
      assert.ok(m.uploadTime instanceof Date, `uploadTime ${m.uploadTime}`);
    }

    const plain = await client.getModel(ROOM);
    assert.equal(plain.id, ROOM);
    assert.deepEqual(plain.displayName, { en: "Room" });
    assert.equal(plain.model, undefined);
    const full = await client.getModel(ROOM, true);
    assert.deepEqual(full.model, MODELS[1]);

    const listed = await collect(client.listModels([ROOM], true));
    assert.deepEqual(new Set(listed.map((m) => m.id)), new Set([ROOM, SENSOR]));

    // SDK 1.1.0 takes the page size from byPage({ maxPageSize }), not from resultsPerPage
    const pages = await collect(client.listModels().byPage({ maxPageSize: 1 }));
    assert.ok(pages.length >= 2, `max-items-per-page 1 should give 2+ pages, got ${pages.length}`);
    for (const p of pages) assert.ok(p.value.length <= 1, `page of ${p.value.length}`);

    await rejectsWith(client.createModels([MODELS[0]]), 409, "ModelAlreadyExists");
    await rejectsWith(client.getModel(`dtmi:com:ferrotwin:jstest:${ns}:Nope;1`), 404, "ModelNotFound");
  });

  it("creates, gets and patches twins with ETags", async () => {
    const body = { $metadata: { $model: ROOM }, name: "Lab", capacity: 4, climate: { $metadata: {} } };
    const created = await client.upsertDigitalTwin(`${ns}-lab`, JSON.stringify(body), { ifNoneMatch: "*" });
    assert.equal(created._response.status, 200);
    assert.equal(created.body.$dtId, `${ns}-lab`);
    assert.equal(created.body.name, "Lab");
    assert.equal(created.body.capacity, 4);
    assert.equal(created.body.$metadata.$model, ROOM);
    assert.ok(created.body.$etag, "twin body has $etag");
    assert.equal(created.etag, created.body.$etag, "ETag header equals $etag");

    await rejectsWith(
      client.upsertDigitalTwin(`${ns}-lab`, JSON.stringify(body), { ifNoneMatch: "*" }),
      412,
      "PreconditionFailed",
    );

    const got = await client.getDigitalTwin(`${ns}-lab`);
    assert.deepEqual(got.body, created.body);
    assert.equal(got.etag, created.body.$etag);

    const patched = await client.updateDigitalTwin(
      `${ns}-lab`,
      [{ op: "replace", path: "/capacity", value: 6 }],
      { ifMatch: created.body.$etag },
    );
    assert.equal(patched._response.status, 204);
    assert.ok(patched.etag && patched.etag !== created.body.$etag, "PATCH returns the new ETag");

    await rejectsWith(
      client.updateDigitalTwin(`${ns}-lab`, [{ op: "replace", path: "/capacity", value: 7 }], {
        ifMatch: created.body.$etag,
      }),
      412,
      "PreconditionFailed",
    );
    await rejectsWith(
      client.updateDigitalTwin(`${ns}-lab`, [{ op: "replace", path: "/capacity", value: "lots" }]),
      400,
      "ValidationFailed",
    );
    const after = await client.getDigitalTwin(`${ns}-lab`);
    assert.equal(after.body.capacity, 6);
    assert.equal(after.body.$etag, patched.etag);

    await client.updateComponent(`${ns}-lab`, "climate", [{ op: "add", path: "/reading", value: 19.5 }]);
    const comp = await client.getComponent(`${ns}-lab`, "climate");
    assert.equal(comp.body.reading, 19.5);

    const sent = await client.publishTelemetry(`${ns}-lab`, { temp: 20.1 }, randomUUID());
    assert.equal(sent._response.status, 204);
    const sentC = await client.publishComponentTelemetry(`${ns}-lab`, "climate", JSON.stringify({ temp: 20.2 }), randomUUID());
    assert.equal(sentC._response.status, 204);
  });

  it("creates and lists relationships", async () => {
    for (const id of [`${ns}-hall`, `${ns}-office`]) {
      const twin = { $metadata: { $model: ROOM }, name: id, climate: { $metadata: {} } };
      await client.upsertDigitalTwin(id, JSON.stringify(twin));
    }
    const rel = await client.upsertRelationship(`${ns}-lab`, "lab-hall", {
      $targetId: `${ns}-hall`,
      $relationshipName: "adjacentTo",
      doorCount: 2,
    });
    assert.equal(rel._response.status, 200);
    assert.equal(rel.body.$relationshipId, "lab-hall");
    assert.equal(rel.body.$sourceId, `${ns}-lab`);
    assert.equal(rel.body.$targetId, `${ns}-hall`);
    assert.equal(rel.body.doorCount, 2);
    assert.ok(rel.body.$etag);
    await client.upsertRelationship(`${ns}-office`, "office-hall", {
      $targetId: `${ns}-hall`,
      $relationshipName: "adjacentTo",
    });

    const got = await client.getRelationship(`${ns}-lab`, "lab-hall");
    assert.deepEqual(got.body, rel.body);

    await client.updateRelationship(`${ns}-lab`, "lab-hall", [{ op: "replace", path: "/doorCount", value: 3 }]);
    assert.equal((await client.getRelationship(`${ns}-lab`, "lab-hall")).body.doorCount, 3);

    const out = await collect(client.listRelationships(`${ns}-lab`));
    assert.deepEqual(out.map((r) => r.$relationshipId), ["lab-hall"]);
    const incoming = await collect(client.listIncomingRelationships(`${ns}-hall`));
    assert.deepEqual(
      incoming.map((r) => [r.sourceId, r.relationshipId, r.relationshipName]).sort(),
      [
        [`${ns}-lab`, "lab-hall", "adjacentTo"],
        [`${ns}-office`, "office-hall", "adjacentTo"],
      ],
    );
    for (const r of incoming) {
      assert.equal(r.relationshipLink, `/digitaltwins/${r.sourceId}/relationships/${r.relationshipId}`);
    }
  });

  it("manages event routes", async () => {
    const id = `${ns}-route`;
    const put = await client.upsertEventRoute(id, "js-endpoint", "type = 'Microsoft.DigitalTwins.Twin.Create'");
    assert.equal(put._response.status, 204);
    const got = await client.getEventRoute(id);
    assert.equal(got.id, id);
    assert.equal(got.endpointName, "js-endpoint");
    assert.equal(got.filter, "type = 'Microsoft.DigitalTwins.Twin.Create'");
    const all = await collect(client.listEventRoutes());
    assert.ok(all.some((r) => r.id === id));
    await client.deleteEventRoute(id);
    await rejectsWith(client.getEventRoute(id), 404, "EventRouteNotFound");
  });

  it("enforces roles", async () => {
    const reader = clientFor(srv, srv.createToken("reader"));
    assert.equal((await reader.getDigitalTwin(`${ns}-lab`)).body.$dtId, `${ns}-lab`);
    await rejectsWith(
      reader.updateDigitalTwin(`${ns}-lab`, [{ op: "replace", path: "/name", value: "x" }]),
      403,
    );
    await rejectsWith(reader.deleteDigitalTwin(`${ns}-hall`), 403);
    const stranger = clientFor(srv, "not-a-ferrotwin-token");
    await rejectsWith(stranger.getDigitalTwin(`${ns}-lab`), 401);
  });

  it("deletes relationships, twins and models", async () => {
    await rejectsWith(client.deleteDigitalTwin(`${ns}-hall`), 400, "RelationshipsNotDeleted");
    const del = await client.deleteRelationship(`${ns}-lab`, "lab-hall");
    assert.equal(del._response.status, 204);
    await client.deleteRelationship(`${ns}-office`, "office-hall");
    await rejectsWith(client.getRelationship(`${ns}-lab`, "lab-hall"), 404, "RelationshipNotFound");
    for (const id of [`${ns}-lab`, `${ns}-hall`, `${ns}-office`]) {
      const d = await client.deleteDigitalTwin(id);
      assert.equal(d._response.status, 204);
      await rejectsWith(client.getDigitalTwin(id), 404, "DigitalTwinNotFound");
    }
    await client.decomissionModel(ROOM);
    assert.equal((await client.getModel(ROOM)).decommissioned, true);
    await client.deleteModel(ROOM);
    await client.deleteModel(SENSOR);
    await rejectsWith(client.getModel(ROOM), 404, "ModelNotFound");
  });
});
