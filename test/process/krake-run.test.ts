/**
 * `make run`'s supervisor as a real process tree: krake-run on a fresh
 * embedded store starts the base roles, krake-api, the garbage collector, the
 * scheduler and both Kubernetes controllers, the system works end to end (a
 * cascade delete needs the GC; a Cluster whose kubeconfig is refused is made
 * OFFLINE by the cluster controller), and one SIGINT stops every process.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { status as Status } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import { expect } from "chai";
import { EventType } from "../../gen/krake/core/v1/watch.js";
import { Application } from "../../gen/krake/kubernetes/v1/application.js";
import { Cluster, ClusterStatus_State } from "../../gen/krake/kubernetes/v1/cluster.js";
import { krakeClients } from "../../src/client/clients.js";
import { freePort } from "../fixtures/etcd.js";

/** The supervisor, its output kept line by line, with a wait for the first line that matches. */
function startRun(args: string[]) {
  // its own process group, as a shell gives a foreground job: a terminal's Ctrl-C is SIGINT to the group
  const child: ChildProcess = spawn(process.execPath, ["bin/krake-run.js", ...args], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  const lines: string[] = [];
  const waiters: { match: RegExp; resolve: (line: string) => void }[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => {
      lines.push(line);
      for (const w of waiters.filter((w) => w.match.test(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const waitFor = (match: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find((l) => match.test(l));
      if (seen) return resolve(seen);
      waiters.push({ match, resolve });
      void exited.then((code) => reject(new Error(`krake-run exited (${code}) before ${match}:\n${lines.join("\n")}`)));
    });
  return { child, lines, exited, waitFor };
}

const fixtureCluster = Cluster.fromJSON(JSON.parse(readFileSync("test/fixtures/krake/cluster.json", "utf8")));

describe("krake-run: the whole system from one command (real processes)", function () {
  this.timeout(180_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "krake-run-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("starts the API and every controller on the embedded store, and one SIGINT stops everything", async () => {
    const [grpcPort, httpPort, gcPort, schedulerPort, kubeClusterPort, kubeAppPort] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
    const run = startRun([
      "--store", `sqlite://${join(dir, "krake.db")}`, "--grpc-port", String(grpcPort), "--http-port", String(httpPort),
      "--gc-http-port", String(gcPort), "--scheduler-http-port", String(schedulerPort),
      "--kube-cluster-http-port", String(kubeClusterPort), "--kube-app-http-port", String(kubeAppPort),
    ]);
    try {
      await run.waitFor(/Krake is running/);
      expect(run.lines.join("\n")).to.include(`gRPC 127.0.0.1:${grpcPort}`).and.include("krake-controller-gc").and.include("krake-scheduler").and.include("store sqlite://")
        .and.include(`krake-controller-kubernetes-cluster`).and.include(`http://127.0.0.1:${kubeClusterPort}`)
        .and.include(`krake-controller-kubernetes-application`).and.include(`http://127.0.0.1:${kubeAppPort}`);
      for (const name of ["gc", "scheduler", "kube-cluster", "kube-app"]) await run.waitFor(new RegExp(`^${name}\\s+\\|.*"msg":"started"`));
      // each controller serves its probes on the port it was given
      for (const port of [kubeClusterPort, kubeAppPort]) expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);

      const clients = krakeClients(`127.0.0.1:${grpcPort}`);
      try {
        const cluster = await clients.clusters.createCluster({
          namespace: "team-a",
          cluster: { ...fixtureCluster, metadata: { ...fixtureCluster.metadata!, name: "c1", namespace: "team-a" } },
          blocking: "",
        });
        const app = await clients.applications.createApplication({
          namespace: "team-a",
          application: Application.fromPartial({
            api: "kubernetes",
            kind: "Application",
            metadata: { name: "a1", owners: [{ api: "kubernetes", kind: "Cluster", namespace: "team-a", name: "c1" }] },
            spec: { manifest: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }] },
          }),
          blocking: "",
        });
        // Deleting the owner cascades only if the garbage collector runs: wait for the dependent's DELETED event.
        const watch = clients.applications.watchApplications({
          namespace: "team-a", labelSelector: "", resourceVersion: app.metadata!.resourceVersion, allowBookmarks: false, sendInitialEvents: false,
        });
        const gone = new Promise<void>((resolve, reject) => {
          watch.stream.on("data", (ev: { type: EventType; object?: Application }) => {
            if (ev.type === EventType.DELETED && ev.object?.metadata?.name === "a1") resolve();
          });
          watch.stream.on("error", (err: ServiceError) => err.code !== Status.CANCELLED && reject(err));
        });
        await clients.clusters.deleteCluster({ namespace: "team-a", name: cluster.metadata!.name, resourceVersion: "", force: false, propagationPolicy: "", blocking: "" });
        await gone;
        watch.cancel();

        // The cluster controller runs: a kubeconfig that runs a program is refused, and the Cluster says so.
        const refused = Cluster.fromJSON(Cluster.toJSON(fixtureCluster));
        refused.metadata = { ...refused.metadata!, name: "exec", namespace: "team-a" };
        (refused.spec!.kubeconfig!.users as Array<{ user: Record<string, unknown> }>)[0]!.user = { exec: { command: "/bin/true" } };
        await clients.clusters.createCluster({ namespace: "team-a", cluster: refused, blocking: "" });
        for (let i = 0; ; i++) {
          const c = await clients.clusters.getCluster({ namespace: "team-a", name: "exec" });
          if (c.status?.state === ClusterStatus_State.OFFLINE) {
            expect(c.status.reason?.message).to.include("uses 'exec'");
            break;
          }
          if (i > 200) throw new Error(`the cluster controller did not report the refused kubeconfig: ${JSON.stringify(c.status)}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        clients.close();
      }

      process.kill(-run.child.pid!, "SIGINT"); // Ctrl-C in the terminal
      expect(await run.exited).to.equal(0);
      expect(run.lines.join("\n")).to.include("krake-run: stopping");
      // controllers stop first, while the API still answers: the GC hands its lease back
      expect(run.lines.join("\n")).to.not.include("could not release the lease");
      // every child logged its own clean stop
      expect(run.lines.filter((l) => /^(api|gc|scheduler|kube-cluster|kube-app)\s+\|.*"msg":"stopped"/.test(l)).length, run.lines.filter((l) => /stop|exit/.test(l)).join("\n")).to.equal(5);
    } finally {
      // SIGTERM: the supervisor stops what it started (SIGKILL would leave its children running)
      if (run.child.exitCode === null) {
        run.child.kill("SIGTERM");
        await run.exited;
      }
    }
  });

  it("stops the API and fails when a controller cannot start", async () => {
    const [grpcPort, httpPort, schedulerPort, kubeClusterPort, kubeAppPort] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    // the GC's probe port is the API's REST port: the GC cannot listen and exits
    const run = startRun([
      "--store", `sqlite://${join(dir, "clash.db")}`, "--grpc-port", String(grpcPort), "--http-port", String(httpPort),
      "--gc-http-port", String(httpPort), "--scheduler-http-port", String(schedulerPort),
      "--kube-cluster-http-port", String(kubeClusterPort), "--kube-app-http-port", String(kubeAppPort),
    ]);
    expect(await run.exited).to.equal(1);
    expect(run.lines.join("\n")).to.match(/krake-run: gc exited \(\d+\); stopping the others/);
    expect(run.lines.some((l) => /^api\s+\|.*"msg":"stopped"/.test(l)), "the API stopped cleanly").to.equal(true);
  });

  it("refuses a bad store URL with exit code 2 before starting anything", async () => {
    const run = startRun(["--store", "redis://x"]);
    expect(await run.exited).to.equal(2);
    expect(run.lines.join("\n")).to.include("expected sqlite://PATH or etcd://host:port");
  });

  it("refuses a port that is not one with exit code 2", async () => {
    const run = startRun(["--grpc-port", "70000"]);
    expect(await run.exited).to.equal(2);
    expect(run.lines.join("\n")).to.include('--grpc-port must be a port number, not "70000"');
  });

  it("refuses a controller's port that is not one with exit code 2, naming the flag", async () => {
    const run = startRun(["--kube-cluster-http-port", "x"]);
    expect(await run.exited).to.equal(2);
    expect(run.lines.join("\n")).to.include('--kube-cluster-http-port must be a port number, not "x"');
  });
});
