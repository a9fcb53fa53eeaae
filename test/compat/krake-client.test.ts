/**
 * The contract with Krake's own clients: Krake's Python client library (krake==1.0.1, its marshmallow
 * schemas in krake.data) drives a real krake-api process as Krake's controllers do, and every response
 * must load through Krake's schemas. The driver (krake_driver.py) reports one result per check; each is
 * one test here, so a failure names the operation and the field Krake's schema refused.
 */
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApiProcess } from "../fixtures/api-process.js";
import type { ApiProcess } from "../fixtures/api-process.js";
import { krakePython, runKrakeDriver } from "./krake-python.js";
import type { DriverCheck } from "./krake-python.js";

/** Every kind of every group in Krake's client: [group/Kind, namespaced]. */
const KINDS: [string, boolean][] = [
  ["core/GlobalMetricsProvider", false],
  ["core/GlobalMetric", false],
  ["core/MetricsProvider", true],
  ["core/Metric", true],
  ["core/Role", false],
  ["core/RoleBinding", false],
  ["infrastructure/GlobalInfrastructureProvider", false],
  ["infrastructure/InfrastructureProvider", true],
  ["infrastructure/GlobalCloud", false],
  ["infrastructure/Cloud", true],
  ["openstack/Project", true],
  ["openstack/MagnumCluster", true],
  ["kubernetes/Cluster", true],
  ["kubernetes/Application", true],
];

const EXPECTED: string[] = [
  ...KINDS.flatMap(([kind, namespaced]) =>
    ["create", "read", "list", ...(namespaced ? ["list all namespaces"] : []), "update", "delete"].map((op) => `${kind} ${op}`),
  ),
  "kubernetes/Application and Cluster create (Krake's defaults)",
  "kubernetes/Application binding",
  "kubernetes/Application status (timestamps to the microsecond)",
  "kubernetes/Application delete with a shutdown hook",
  "kubernetes/Application shutdown",
  "kubernetes/Application retry",
  "kubernetes/Application complete",
  "kubernetes/Application binding while being deleted",
  "kubernetes/Cluster status with nodes",
  "kubernetes/Cluster binding",
  "kubernetes/Application update in deletion removing a finalizer and an owner",
  "kubernetes/Application watch (ADDED, MODIFIED, DELETED)",
  "core global metrics and providers, read as the scheduler does",
  "infrastructure clouds and global clouds, listed as the scheduler does",
];

describe("compat: Krake's own Python client (krake==1.0.1) against krake-api", function () {
  this.timeout(600_000);
  let dir: string;
  let api: ApiProcess | undefined;
  let checks: DriverCheck[] = [];

  before(async function () {
    const python = await krakePython();
    dir = await mkdtemp(join(tmpdir(), "krake-compat-"));
    api = await startApiProcess({ store: `sqlite://${join(dir, "krake.db")}` });
    checks = await runKrakeDriver(python, `http://127.0.0.1:${api.httpPort}`, "system:admin");
  });

  after(async () => {
    await api?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const name of EXPECTED) {
    it(name, () => {
      const check = checks.find((c) => c.name === name);
      expect(check, `the driver did not report "${name}"`).to.not.equal(undefined);
      expect(check!.ok, check!.error).to.equal(true);
    });
  }

  it("the driver ran exactly the checks listed here", () => {
    expect(checks.map((c) => c.name)).to.have.members(EXPECTED);
  });

  it("the watch delivered Krake's parsed ADDED, MODIFIED and DELETED, in that order", () => {
    const watch = checks.find((c) => c.name === "kubernetes/Application watch (ADDED, MODIFIED, DELETED)");
    const types = watch?.detail as string[] | undefined;
    expect(types?.[0]).to.equal("ADDED");
    expect(types).to.include("MODIFIED");
    expect(types?.at(-1)).to.equal("DELETED");
  });
});
