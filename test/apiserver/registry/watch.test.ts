/**
 * Watch behaviour that depends on the server's watch settings: periodic
 * bookmarks, the bounded event window, slow watchers and future versions. One
 * ApiServer with small settings; each test uses its own kind or namespace.
 */
import { expect } from "chai";
import { status as Status } from "@grpc/grpc-js";
import { EventType } from "../../../gen/krake/core/v1/watch.js";
import { GlobalMetric } from "../../../gen/krake/core/v1/metric.js";
import type { WatchGlobalMetricsResponse } from "../../../gen/krake/core/v1/metric.js";
import { Role } from "../../../gen/krake/core/v1/role.js";
import { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import type { WatchApplicationsResponse } from "../../../gen/krake/kubernetes/v1/application.js";
import { krakeClients } from "../../../src/client/clients.js";
import { startEtcd } from "../../fixtures/etcd.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { startApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import { EventReader, eventually, krakeDocument, meta, requests, rv, uniqueId } from "./conformance/index.js";

const WINDOW_SIZE = 5;
const BOOKMARK_INTERVAL_MS = 100;
const MAX_PENDING_EVENTS = 4;
const FRESHNESS_TIMEOUT_MS = 1_000;

describe("watch settings over gRPC", () => {
  let etcd: EtcdProcess;
  let api: ApiHarness;
  const readers: EventReader<unknown>[] = [];
  const open = <E>(reader: EventReader<E>) => {
    readers.push(reader as EventReader<unknown>);
    return reader;
  };
  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd, {
      watch: {
        windowSize: WINDOW_SIZE,
        bookmarkIntervalMs: BOOKMARK_INTERVAL_MS,
        maxPendingEvents: MAX_PENDING_EVENTS,
        freshnessTimeoutMs: FRESHNESS_TIMEOUT_MS,
      },
    });
  });
  after(async () => {
    await api?.stop();
    await etcd?.remove();
  });
  afterEach(() => {
    for (const r of readers.splice(0)) r.cancel();
  });

  const watchers = (api_: string, plural: string) => api.server.cache.kindCache(api_, plural).watchers;

  describe("bookmarks", () => {
    const metrics = () => api.clients.globalMetrics;
    const createMetric = (label: string) => {
      const metric = GlobalMetric.fromJSON(krakeDocument("globalmetric.json"));
      meta(metric).name = `m-${uniqueId()}`;
      meta(metric).labels = { batch: label };
      return metrics().createGlobalMetric({ globalMetric: metric });
    };

    it("with allow_bookmarks sends a BOOKMARK periodically; without it, none", async () => {
      const batch = uniqueId();
      const selector = `batch=${batch}`;
      const before = watchers("core", "globalmetrics");
      const marked = open(new EventReader<WatchGlobalMetricsResponse>(metrics().watchGlobalMetrics(requests.watch("", { labelSelector: selector, allowBookmarks: true }))));
      const plain = open(new EventReader<WatchGlobalMetricsResponse>(metrics().watchGlobalMetrics(requests.watch("", { labelSelector: selector }))));
      await eventually(() => watchers("core", "globalmetrics") === before + 2, "both watches are registered");

      const [first, second] = await marked.next(2, 20 * BOOKMARK_INTERVAL_MS);
      for (const b of [first!, second!]) {
        expect(b.type).to.equal(EventType.BOOKMARK);
        expect(b.object!.kind).to.equal("GlobalMetric");
        expect(rv(b.object)).to.be.greaterThan(0);
      }
      expect(rv(second!.object)).to.be.at.least(rv(first!.object));

      const created = await createMetric(batch);
      const event = await plain.one();
      expect([event.type, meta(event.object).name]).to.deep.equal([EventType.ADDED, meta(created).name]);
      // The bookmarking watch gets the same event between bookmarks, and later bookmarks carry its version.
      let seenAdded = false;
      for (;;) {
        const e = await marked.one(20 * BOOKMARK_INTERVAL_MS);
        if (e.type === EventType.ADDED) {
          expect(meta(e.object).name).to.equal(meta(created).name);
          seenAdded = true;
        } else {
          expect(e.type).to.equal(EventType.BOOKMARK);
          if (seenAdded && rv(e.object) >= rv(created)) break;
        }
      }
    });

    it("with send_initial_events and allow_bookmarks sends the initial objects, the end BOOKMARK, then periodic ones", async () => {
      const batch = uniqueId();
      const created = await createMetric(batch);
      const w = open(
        new EventReader<WatchGlobalMetricsResponse>(
          metrics().watchGlobalMetrics(requests.watch("", { labelSelector: `batch=${batch}`, allowBookmarks: true, sendInitialEvents: true })),
        ),
      );
      const [added, end, periodic] = await w.next(3, 20 * BOOKMARK_INTERVAL_MS);
      expect([added!.type, meta(added!.object).name]).to.deep.equal([EventType.ADDED, meta(created).name]);
      expect(end!.type).to.equal(EventType.BOOKMARK);
      expect(rv(end!.object)).to.be.at.least(rv(created));
      expect(periodic!.type).to.equal(EventType.BOOKMARK);
    });
  });

  describe("event window", () => {
    it(`answers OUT_OF_RANGE for a version older than the last ${WINDOW_SIZE} events; newer versions replay`, async () => {
      const role = Role.fromJSON(krakeDocument("role.yaml"));
      meta(role).name = `r-${uniqueId()}`;
      let current = await api.clients.roles.createRole({ role });
      const start = meta(current).resourceVersion;
      const versions: string[] = [];
      for (let i = 0; i < 2 * WINDOW_SIZE; i++) {
        const body = Role.fromPartial(current);
        meta(body).labels = { step: String(i) };
        current = await api.clients.roles.updateRole({ name: meta(role).name, role: body });
        versions.push(meta(current).resourceVersion);
      }
      const expired = await new EventReader(api.clients.roles.watchRoles(requests.watch("", { resourceVersion: start }))).error();
      expect(expired.error.code).to.equal(Status.OUT_OF_RANGE);
      expect(expired.error.details).to.contain("too old");
      expect(expired.events).to.deep.equal([]);

      const recent = versions[versions.length - 3]!;
      const replay = open(new EventReader(api.clients.roles.watchRoles(requests.watch("", { resourceVersion: recent }))));
      const events = await replay.next(2);
      expect(events.map((e) => meta(e.object).resourceVersion)).to.deep.equal(versions.slice(-2));
    });
  });

  describe("slow watchers", () => {
    it("closes a watcher that does not read with RESOURCE_EXHAUSTED while another keeps receiving", async () => {
      const ns = `slow-${uniqueId()}`;
      const app = Application.fromJSON(krakeDocument("application.json"));
      meta(app).name = "big";
      // ~16 KiB per event, so that flow control stops the paused stream after a few.
      app.spec!.manifest.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "blob" }, data: { blob: "x".repeat(16_384) } });
      let current = await api.clients.applications.createApplication({ namespace: ns, application: app, blocking: "" });

      const slowClients = krakeClients(api.address, undefined, { "grpc.use_local_subchannel_pool": 1 });
      try {
        const request = requests.watch(ns, { resourceVersion: meta(current).resourceVersion });
        const before = watchers("kubernetes", "applications");
        const slow = open(new EventReader<WatchApplicationsResponse>(slowClients.applications.watchApplications(request)));
        const fast = open(new EventReader<WatchApplicationsResponse>(api.clients.applications.watchApplications(request)));
        await eventually(() => watchers("kubernetes", "applications") === before + 2, "both watches are registered");
        slow.watch.stream.pause();

        const written: string[] = [];
        const write = async () => {
          const body = Application.fromPartial(current);
          meta(body).labels = { n: String(written.length) };
          current = await api.clients.applications.updateApplication({ namespace: ns, name: "big", application: body });
          written.push(meta(current).resourceVersion);
        };
        while (watchers("kubernetes", "applications") > before + 1) {
          if (written.length >= 400) throw new Error("the paused watcher was never closed");
          await write();
        }
        // The fast watcher saw everything so far, and goes on receiving.
        await write();
        const received = await fast.next(written.length);
        expect(received.map((e) => meta(e.object).resourceVersion)).to.deep.equal(written);

        slow.watch.stream.resume();
        const { error, events } = await slow.error();
        expect(error.code).to.equal(Status.RESOURCE_EXHAUSTED);
        expect(error.details).to.contain("too slow");
        expect(events.length).to.be.lessThan(written.length);
        expect(events.map((e) => meta(e.object).resourceVersion)).to.deep.equal(written.slice(0, events.length));
      } finally {
        slowClients.close();
      }
    });
  });

  describe("resource versions", () => {
    it("answers UNAVAILABLE for a version the store has not reached", async () => {
      const revision = await api.store.currentRevision();
      const started = Date.now();
      const { error } = await new EventReader(
        api.clients.roles.watchRoles(requests.watch("", { resourceVersion: String(revision + 1_000_000) })),
      ).error(FRESHNESS_TIMEOUT_MS + 5_000);
      expect(error.code).to.equal(Status.UNAVAILABLE);
      expect(Date.now() - started).to.be.at.least(FRESHNESS_TIMEOUT_MS - 50);
    });
  });
});
