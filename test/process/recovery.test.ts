/**
 * A krake-api restart always recovers: over a store full of objects just under
 * max_object_bytes, each created and then updated, a restarted process loads
 * the store again and serves what it holds. Loading means replaying their
 * history (a watch response far over gRPC's default 4 MiB message) or, once
 * the history is compacted, listing them (pages far over 4 MiB).
 */
import { expect } from "chai";
import { Application } from "../../gen/krake/kubernetes/v1/application.js";
import { defaultConfig } from "../../src/apiserver/config.js";
import { krakeClients } from "../../src/client/clients.js";
import type { KrakeClients } from "../../src/client/clients.js";
import { fromServiceError } from "../../src/client/errors.js";
import { Status } from "../../src/errors/api-error.js";
import { EtcdStore } from "../../src/store/etcd-store.js";
import { objectKey } from "../../src/store/keys.js";
import { expectCode, uniquePrefix } from "../fixtures/api.js";
import { startApiProcess, synced } from "../fixtures/api-process.js";
import type { ApiProcess, LogLine } from "../fixtures/api-process.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { app } from "./support/applications.js";

const LIMIT = defaultConfig.maxObjectBytes;
/** Objects end this many bytes under the limit. */
const HEADROOM = 64;
/** 8 objects of ~1 MiB, created and updated: 8 MiB in a list, ~24 MiB of history with previous values. */
const COUNT = 8;
/** gRPC's default receive limit, which the etcd client used to keep. */
const GRPC_DEFAULT_MAX_MESSAGE = 4 * 1024 * 1024;
const NS = "recovery";

/** An Application whose manifest carries a ConfigMap of `padding` bytes of data. */
function padded(name: string, padding: number, revision: string): Application {
  const a = app(NS, name, { revision });
  a.spec!.manifest.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "blob" }, data: { blob: "x".repeat(padding) } });
  return a;
}

/** What a restarted process reports first: synced, or a warning about the store. */
const syncedOrStoreTrouble = (l: LogLine): boolean =>
  synced(l) || ((l.level ?? 0) >= 40 && (l.msg === "store not reachable; retrying" || String(l.msg).startsWith("watch cache:")));

describe("krake-api restarted over a store of maximum-size objects", function () {
  this.timeout(180_000);
  const prefix = uniquePrefix();
  let etcd: EtcdProcess;
  let store: EtcdStore;
  let api: ApiProcess | undefined;
  /** A client that takes List answers of several MiB (grpc-js stops at 4 MiB by default). */
  let reader: KrakeClients | undefined;
  const names = Array.from({ length: COUNT }, (_, i) => `big-${i}`);
  /** Name → resource_version of its last update. */
  const written = new Map<string, string>();
  let padding = 0;

  const keyOf = (name: string) => objectKey(prefix, "kubernetes", "applications", NS, name);

  before(async () => {
    etcd = await startEtcd();
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
    api = await startApiProcess({ etcd, prefix });
    const apps = api.clients.applications;

    // How many bytes an object takes besides its padding: measured on a small one.
    const probe = await apps.createApplication({ namespace: NS, application: padded("probe", 1_000, "1"), blocking: "" });
    const overhead = (await store.get(keyOf("probe")))!.value.length - 1_000;
    await apps.deleteApplication({ namespace: NS, name: "probe", propagationPolicy: "", blocking: "", resourceVersion: "", force: true });
    expect(probe.metadata!.name).to.equal("probe");
    padding = LIMIT - HEADROOM - overhead;

    for (const name of names) {
      await apps.createApplication({ namespace: NS, application: padded(name, padding, "1"), blocking: "" });
      const updated = await apps.updateApplication({ namespace: NS, name, application: padded(name, padding, "2") });
      written.set(name, updated.metadata!.resourceVersion);
    }
    let total = 0;
    for (const name of names) {
      const size = (await store.get(keyOf(name)))!.value.length;
      expect(size, `${name}'s stored size`).to.be.within(LIMIT - 4 * HEADROOM, LIMIT);
      total += size;
    }
    expect(total).to.be.above(GRPC_DEFAULT_MAX_MESSAGE);
  });
  afterEach(function () {
    if (this.currentTest?.state !== "failed" || !api) return;
    for (const line of api.logs.filter((l) => (l.level ?? 0) >= 40).slice(-5)) console.log(`      ${JSON.stringify(line).slice(0, 2_000)}`);
  });
  after(async () => {
    reader?.close();
    await api?.stop();
    await store?.close();
    await etcd?.remove();
  });

  async function restart(): Promise<void> {
    reader?.close();
    reader = undefined;
    await api!.stop();
    api = await startApiProcess({ etcd, prefix, waitReady: false });
    const first = await api.waitForLog(syncedOrStoreTrouble, 60_000);
    expect(first.msg, JSON.stringify(first).slice(0, 1_000)).to.equal("watch cache synced with the store");
    reader = krakeClients(api.address, undefined, { "grpc.max_receive_message_length": 64 * 1024 * 1024 });
  }

  async function expectServed(): Promise<void> {
    const apps = reader!.applications;
    for (const name of names) {
      const got = await apps.getApplication({ namespace: NS, name });
      expect(got.metadata!.resourceVersion, name).to.equal(written.get(name));
      expect(got.metadata!.labels).to.deep.equal({ revision: "2" });
      expect((got.spec!.manifest[2].data as { blob: string }).blob).to.have.length(padding);
    }
    const all = await apps.listApplications({ namespace: NS, labelSelector: "", limit: 0, continue: "" });
    expect(all.items.map((a) => a.metadata!.name)).to.deep.equal(names);
    // paginated: read from etcd page by page at one revision
    const paged: string[] = [];
    let token = "";
    do {
      const page = await apps.listApplications({ namespace: NS, labelSelector: "", limit: 3, continue: token });
      paged.push(...page.items.map((a) => a.metadata!.name));
      token = page.metadata!.continue;
    } while (token);
    expect(paged).to.deep.equal(names);
  }

  it("refuses an object over the default max_object_bytes, saying its size and the limit", async () => {
    const err = await expectCode(
      api!.clients.applications.createApplication({ namespace: NS, application: padded("too-big", LIMIT, "1"), blocking: "" }),
      Status.RESOURCE_EXHAUSTED,
    );
    expect(fromServiceError(err).reason).to.equal("TooLarge");
    expect(err.details).to.match(/^Application "too-big" is \d+ bytes encoded; the limit is 1048576 \(max_object_bytes\)$/);
    expect(await store.get(keyOf("too-big"))).to.equal(undefined);
  });

  it("syncs after a restart that replays their history from etcd's watch, and serves them", async () => {
    await restart();
    await expectServed();
  });

  it("syncs after a restart that lists them from etcd once their history is compacted, and serves them", async () => {
    await store.compact(await store.currentRevision());
    await restart();
    await expectServed();
  });
});
