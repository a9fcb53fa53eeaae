/**
 * krake-api processes while their etcd goes away: a graceful restart, a
 * SIGKILL and restart, and a hung etcd (SIGSTOP). Watches on the API must go
 * on with no gap and no duplicate (checked against etcd's own history),
 * requests during the outage must fail with UNAVAILABLE within the store's
 * call deadline, and the processes must recover without a restart.
 */
import { expect } from "chai";
import type { ServiceError } from "@grpc/grpc-js";
import { Status } from "../../src/errors/api-error.js";
import { Application } from "../../gen/krake/kubernetes/v1/application.js";
import type { KrakeClients } from "../../src/client/clients.js";
import { uniquePrefix } from "../fixtures/api.js";
import { startApiProcess } from "../fixtures/api-process.js";
import type { ApiProcess } from "../fixtures/api-process.js";
import { HealthProbe } from "../fixtures/health-probe.js";
import { storeHistory } from "../fixtures/store-history.js";
import { StreamRecorder, untilRevision } from "../fixtures/stream-recorder.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { app, described, describedHistory } from "./support/applications.js";

/** The store's per-call deadline (DEFAULT_ETCD_STORE_OPTIONS.callTimeoutMs), plus room for a loaded machine. */
const CALL_DEADLINE_MS = 5_000;
const SLACK_MS = 3_000;

/** Creates `count` objects and updates each once; returns the last revision. */
async function writes(c: KrakeClients, namespace: string, tag: string, count: number): Promise<number> {
  let last = 0;
  for (let i = 0; i < count; i++) {
    const created = await c.applications.createApplication({ namespace, application: app(namespace, `${tag}-${i}`), blocking: "" });
    created.metadata!.labels = { touched: "yes" };
    const updated = await c.applications.updateApplication({ namespace, name: `${tag}-${i}`, application: created });
    last = Number(updated.metadata!.resourceVersion);
  }
  return last;
}

interface Failure {
  code: number | undefined;
  ms: number;
  details: string;
}

/** How long a call takes to fail, and with which code. */
async function failure(call: () => Promise<unknown>): Promise<Failure> {
  const started = Date.now();
  try {
    await call();
  } catch (err) {
    const e = err as ServiceError;
    return { code: e.code, ms: Date.now() - started, details: e.details };
  }
  throw new Error("the call succeeded while etcd was unreachable");
}

/** Retries `call` every 100 ms until it succeeds; returns how long that took. */
async function recovery(call: () => Promise<unknown>, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await call();
      return Date.now() - started;
    } catch (err) {
      if ((err as ServiceError).code !== Status.UNAVAILABLE) throw err;
      if (Date.now() - started > timeoutMs) throw new Error(`not recovered within ${timeoutMs} ms: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Resolves once etcd no longer answers its health endpoint (the SIGSTOP has taken hold). */
async function hung(etcd: EtcdProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(`${etcd.endpoint}/health`, { signal: AbortSignal.timeout(500) });
    } catch {
      return;
    }
  }
  throw new Error(`etcd still answers ${timeoutMs} ms after SIGSTOP`);
}

/** etcd's count of Watch streams it has accepted (its Prometheus endpoint). */
async function etcdWatchStreamsStarted(etcd: EtcdProcess): Promise<number> {
  const text = await (await fetch(`${etcd.endpoint}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("grpc_server_started_total") && l.includes('grpc_method="Watch"'));
  return Number(line?.split(" ").pop() ?? 0);
}

describe("krake-api processes while etcd goes away", function () {
  this.timeout(240_000);
  const prefix = uniquePrefix();
  let etcd: EtcdProcess;
  let a: ApiProcess;
  let b: ApiProcess;

  before(async () => {
    etcd = await startEtcd();
    [a, b] = await Promise.all([startApiProcess({ etcd, prefix }), startApiProcess({ etcd, prefix })]);
  });
  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    for (const [name, p] of [["A", a], ["B", b]] as const) {
      for (const line of p.logs.filter((l) => (l.level ?? 0) >= 40)) console.log(`      ${name}: ${JSON.stringify(line).slice(0, 2_000)}`);
    }
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await etcd?.remove();
  });

  /** Every kind of request while etcd is down, through both processes. */
  async function duringOutage(ns: string, existing: Application): Promise<Record<string, Failure>> {
    const changed = { ...existing, metadata: { ...existing.metadata!, labels: { changed: "during-outage" } } };
    return {
      "Get on A": await failure(() => a.clients.applications.getApplication({ namespace: ns, name: "first" })),
      "List on A": await failure(() => a.clients.applications.listApplications({ namespace: ns, labelSelector: "", limit: 0, continue: "" })),
      "Create on B": await failure(() => b.clients.applications.createApplication({ namespace: ns, application: app(ns, "lost"), blocking: "" })),
      "Update on B": await failure(() => b.clients.applications.updateApplication({ namespace: ns, name: "first", application: changed })),
      "new Watch on A": await failure(async () => {
        const w = new StreamRecorder(a.clients.applications.watchApplications({
          namespace: ns, labelSelector: "", resourceVersion: "", allowBookmarks: false, sendInitialEvents: false,
        }));
        const status = await w.ended(CALL_DEADLINE_MS + SLACK_MS);
        throw Object.assign(new Error(status.details), { code: status.code, details: status.details });
      }),
    };
  }

  /** Writes through `c` until one fails (the outage has begun); the last may or may not have landed. */
  async function writeUntilFailure(c: KrakeClients, namespace: string, tag: string): Promise<void> {
    try {
      for (let i = 0; ; i++) await c.applications.createApplication({ namespace, application: app(namespace, `${tag}-${i}`), blocking: "" });
    } catch (err) {
      expect((err as ServiceError).code, (err as Error).message).to.equal(Status.UNAVAILABLE);
    }
  }

  const cycles = 3;
  for (const how of ["restart", "kill"] as const) {
    it(`etcd ${how === "restart" ? "stopped and restarted" : "killed (SIGKILL) and restarted"} ${cycles} times amid writes: no gap, no duplicate, UNAVAILABLE meanwhile, recovery without restart`, async () => {
      const ns = `outage-${how}`;
      const logsFrom = [a.logs.length, b.logs.length];
      const first = await b.clients.applications.createApplication({ namespace: ns, application: app(ns, "first"), blocking: "" });
      const watch = new StreamRecorder(a.clients.applications.watchApplications({
        namespace: ns, labelSelector: "", resourceVersion: first.metadata!.resourceVersion, allowBookmarks: false, sendInitialEvents: false,
      }));
      const report: string[] = [];
      let last = 0;
      for (let cycle = 0; cycle < cycles; cycle++) {
        last = await writes(b.clients, ns, `c${cycle}`, 2);
        // the outage starts while writes, and their events, are in flight
        const writer = writeUntilFailure(b.clients, ns, `inflight${cycle}`);
        await new Promise((r) => setTimeout(r, 50));
        if (how === "kill") etcd.kill();
        await etcd.stop();
        await writer;
        let failures: Record<string, Failure>;
        try {
          failures = await duringOutage(ns, first);
        } finally {
          await etcd.restart();
        }
        for (const [what, f] of Object.entries(failures)) {
          expect(f.code, `${what}: ${f.details}`).to.equal(Status.UNAVAILABLE);
          expect(f.ms, what).to.be.below(CALL_DEADLINE_MS + SLACK_MS);
        }
        expect(watch.status, "the open watch survives the outage").to.equal(undefined);
        const recoveredA = await recovery(() => a.clients.applications.getApplication({ namespace: ns, name: "first" }));
        const recoveredB = await recovery(() => b.clients.applications.listApplications({ namespace: ns, labelSelector: "", limit: 0, continue: "" }));
        report.push(
          `cycle ${cycle}: failed in ${Object.entries(failures).map(([w, f]) => `${w} ${f.ms} ms`).join(", ")}; ` +
            `first success after etcd was back: A ${recoveredA} ms, B ${recoveredB} ms`,
        );
      }
      last = await writes(b.clients, ns, "after", 2);
      const seen = await untilRevision(watch, last);
      watch.cancel();
      const history = await storeHistory(etcd.endpoint, `${prefix}/kubernetes/applications/${ns}/`, Number(first.metadata!.resourceVersion) + 1, last);
      expect(history.length).to.be.at.least(cycles * 4 + 4);
      expect(described(seen)).to.deep.equal(describedHistory(history));
      for (const line of report) console.log(`      ${line}`);
      const logs = [a, b].map((p, i) => p.logs.slice(logsFrom[i]));
      const resumed = logs.map((l) => l.filter((line) => line.action === "resume").length);
      console.log(`      store watches that failed for good and were resumed from the cache's revision: A ${resumed[0]}, B ${resumed[1]}`);
      expect(logs.flat().filter((l) => l.action === "relist"), "no relist (it would end the API's watches)").to.deep.equal([]);
    });
  }

  it("a hung etcd (SIGSTOP past the keepalive): UNAVAILABLE within the deadline, then the watch resumes with no gap", async () => {
    const ns = "paused";
    const health = new HealthProbe(a.address);
    const first = await b.clients.applications.createApplication({ namespace: ns, application: app(ns, "first"), blocking: "" });
    const watch = new StreamRecorder(a.clients.applications.watchApplications({
      namespace: ns, labelSelector: "", resourceVersion: first.metadata!.resourceVersion, allowBookmarks: false, sendInitialEvents: false,
    }));
    const before = await writes(b.clients, ns, "before", 3);
    await untilRevision(watch, before);
    const streamsBefore = await etcdWatchStreamsStarted(etcd);
    await etcd.pause();
    try {
      await hung(etcd);
      const get = await failure(() => a.clients.applications.getApplication({ namespace: ns, name: "first" }));
      expect(get.code, get.details).to.equal(Status.UNAVAILABLE);
      expect(get.ms).to.be.below(CALL_DEADLINE_MS + SLACK_MS);
      const create = await failure(() => b.clients.applications.createApplication({ namespace: ns, application: app(ns, "lost"), blocking: "" }));
      expect(create.code, create.details).to.equal(Status.UNAVAILABLE);
      expect(create.ms).to.be.below(CALL_DEADLINE_MS + SLACK_MS);
      console.log(`      while hung: Get failed in ${get.ms} ms, Create in ${create.ms} ms; health says ${await health.check()}`);
      // past the etcd client's keepalive (10 s ping + 5 s timeout)
      await new Promise((r) => setTimeout(r, 18_000));
    } finally {
      etcd.resume();
    }
    const recovered = await recovery(() => a.clients.applications.getApplication({ namespace: ns, name: "first" }));
    const last = await writes(b.clients, ns, "after", 3);
    const seen = await untilRevision(watch, last);
    watch.cancel();
    health.close();
    const streamsAfter = await etcdWatchStreamsStarted(etcd);
    const history = await storeHistory(etcd.endpoint, `${prefix}/kubernetes/applications/${ns}/`, Number(first.metadata!.resourceVersion) + 1, last);
    expect(described(seen)).to.deep.equal(describedHistory(history));
    // the hang was detected (keepalive) and the store watches were opened again
    expect(streamsAfter - streamsBefore).to.be.at.least(2);
    console.log(`      first success ${recovered} ms after resume; etcd accepted ${streamsAfter - streamsBefore} new watch streams`);
  });
});
