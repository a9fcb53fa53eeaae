/**
 * Controller runtime throughput: reconciles per second of a no-op reconciler
 * over 10,000 Applications (krake-api as a child process, real etcd; the
 * controller runs in this process, so its CPU is this process').
 *
 * - controller.noop.initial-sync: from the manager's start until every object
 *   was reconciled once (one List, 10,000 adds, 10,000 reconciles);
 * - controller.noop.requeue-all: every key enqueued again, until each was
 *   reconciled, 10 rounds (the queue, the workers and the result switch alone).
 */
import { applicationKind } from "../src/apiserver/kinds/index.js";
import { Controller } from "../src/controller/controller.js";
import { ApiConnection } from "../src/client/kind-client.js";
import { objectKey } from "../src/controller/keys.js";
import { Manager } from "../src/controller/manager.js";
import { startEtcd } from "../test/fixtures/etcd.js";
import { application } from "../test/controller/support/objects.js";
import { eachLimited } from "../test/controller/support/observe.js";
import { CpuMeter } from "./lib/cpu.js";
import { emit, figure } from "./lib/figures.js";
import { startKrakeApi } from "./lib/krake-api-process.js";

const OBJECTS = 10_000;
const WORKERS = 5;
const ROUNDS = 10;
const TARGET_PER_S = 5_000;

const log = (msg: string) => process.stderr.write(`controller-throughput: ${msg}\n`);

const etcd = await startEtcd();
const api = await startKrakeApi({ etcdEndpoint: etcd.endpoint, http: true });
const conn = new ApiConnection(api.address);
try {
  const apps = conn.client(applicationKind);
  log(`creating ${OBJECTS} Applications`);
  const names = Array.from({ length: OBJECTS }, (_, i) => `app-${i}`);
  await eachLimited(names, 64, (name) => apps.create("bench", application("bench", name)));

  const reconciled = new Set<string>();
  let count = 0;
  let target = OBJECTS;
  let done: () => void = () => {};
  const manager = new Manager({ api: new ApiConnection(api.address) });
  const controller = new Controller({
    name: "noop",
    workers: WORKERS,
    ...manager.controllerDefaults(),
    reconciler: {
      reconcile: async (_ctx, key) => {
        reconciled.add(key);
        if (++count >= target) done();
        return {};
      },
    },
  });
  controller.watch(manager.informer(applicationKind), (change) => [objectKey(change.obj)]);
  manager.add(controller);

  const meter = new CpuMeter([
    { name: "controller(node)", pids: [process.pid] },
    { name: "krake-api", pids: [api.pid] },
    { name: "etcd", pids: etcd.pid ? [etcd.pid] : [] },
  ]);
  let finished = new Promise<void>((r) => (done = r));
  meter.start();
  let start = performance.now();
  manager.start();
  await finished;
  let seconds = (performance.now() - start) / 1000;
  const initialCpu = meter.stop();
  if (reconciled.size !== OBJECTS) throw new Error(`reconciled ${reconciled.size} distinct keys, expected ${OBJECTS}`);
  emit(figure("controller.noop.initial-sync", Math.round(OBJECTS / seconds), "reconciles/s", {
    target: { atLeast: TARGET_PER_S },
    cpu: initialCpu,
    note: `${OBJECTS} Applications listed and reconciled once in ${seconds.toFixed(2)} s, ${WORKERS} workers`,
  }));

  const meter2 = new CpuMeter([{ name: "controller(node)", pids: [process.pid] }]).start();
  start = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    count = 0;
    target = OBJECTS;
    finished = new Promise<void>((r) => (done = r));
    for (const key of reconciled) controller.enqueue(key);
    await finished;
  }
  seconds = (performance.now() - start) / 1000;
  emit(figure("controller.noop.requeue-all", Math.round((ROUNDS * OBJECTS) / seconds), "reconciles/s", {
    target: { atLeast: TARGET_PER_S },
    cpu: meter2.stop(),
    note: `${ROUNDS} rounds of all ${OBJECTS} keys enqueued again and reconciled in ${seconds.toFixed(2)} s, ${WORKERS} workers`,
  }));
  await manager.stop(1_000);
} finally {
  conn.close();
  await api.stop();
  await etcd.remove();
}
