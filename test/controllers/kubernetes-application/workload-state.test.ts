import { expect } from "chai";
import { ApplicationStatus_State as State } from "../../../gen/krake/kubernetes/v1/application.js";
import { summarizeWorkloads } from "../../../src/controllers/kubernetes-application/observe/workload-state.js";
import { apiHost, serviceEndpoints } from "../../../src/controllers/kubernetes-application/observe/services.js";

const deployment = (replicas: number, ready?: number) => ({ kind: "Deployment", metadata: { name: "d" }, spec: { replicas }, status: ready === undefined ? {} : { readyReplicas: ready } });
const pod = (restartPolicy: string, state: Record<string, unknown> | undefined) => ({
  kind: "Pod",
  metadata: { name: "p" },
  spec: { restartPolicy },
  status: state ? { containerStatuses: [{ name: "c", state }] } : {},
});
const job = (status: Record<string, unknown>, completions = 1) => ({ kind: "Job", metadata: { name: "j" }, spec: { completions }, status });

describe("application state from the cluster's objects", () => {
  const cases: { name: string; objects: Record<string, unknown>[]; state: State; ready: boolean; health?: number[] }[] = [
    { name: "a Deployment with every replica ready is RUNNING", objects: [deployment(2, 2)], state: State.RUNNING, ready: true, health: [2, 2, 0, 0] },
    { name: "a Deployment with fewer ready replicas than desired is DEGRADED", objects: [deployment(2, 1)], state: State.DEGRADED, ready: false, health: [2, 1, 0, 0] },
    { name: "a new Deployment (no status yet) is DEGRADED and not ready", objects: [deployment(1)], state: State.DEGRADED, ready: false },
    { name: "a StatefulSet counts as a Deployment does", objects: [{ kind: "StatefulSet", metadata: { name: "s" }, spec: { replicas: 3 }, status: { readyReplicas: 3 } }], state: State.RUNNING, ready: true },
    { name: "a DaemonSet compares ready with desired scheduled", objects: [{ kind: "DaemonSet", metadata: { name: "ds" }, status: { desiredNumberScheduled: 2, numberReady: 1 } }], state: State.DEGRADED, ready: false },
    { name: "a finished Job is COMPLETED", objects: [job({ succeeded: 1 })], state: State.COMPLETED, ready: true, health: [1, 0, 1, 0] },
    { name: "a running Job is RUNNING", objects: [job({ active: 1 })], state: State.RUNNING, ready: true, health: [1, 1, 0, 0] },
    { name: "a failed Job is DEGRADED", objects: [job({ failed: 4, conditions: [{ type: "Failed", status: "True" }] })], state: State.DEGRADED, ready: false, health: [1, 0, 0, 4] },
    { name: "a terminated Pod with restartPolicy Never is COMPLETED", objects: [pod("Never", { terminated: { exitCode: 0 } })], state: State.COMPLETED, ready: true, health: [1, 0, 1, 0] },
    { name: "a terminated Pod that restarts is RESTARTING", objects: [pod("Always", { terminated: { exitCode: 1 } })], state: State.RESTARTING, ready: false },
    { name: "a Pod in CrashLoopBackOff is DEGRADED", objects: [pod("Always", { waiting: { reason: "CrashLoopBackOff" } })], state: State.DEGRADED, ready: false },
    { name: "a running Pod is RUNNING", objects: [pod("Always", { running: {} })], state: State.RUNNING, ready: true, health: [1, 1, 0, 0] },
    { name: "only Services and ConfigMaps: RUNNING", objects: [{ kind: "Service", metadata: { name: "s" } }], state: State.RUNNING, ready: true, health: [0, 0, 0, 0] },
    { name: "a degraded workload outweighs a completed one", objects: [job({ succeeded: 1 }), deployment(1, 0)], state: State.DEGRADED, ready: false, health: [2, 0, 1, 0] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = summarizeWorkloads(c.objects);
      expect(s.state).to.equal(c.state);
      expect(s.ready).to.equal(c.ready);
      if (c.health) {
        const h = s.containerHealth;
        expect([h.desiredPods, h.runningPods, h.completedPods, h.failedPods]).to.deep.equal(c.health);
      }
    });
  }
});

describe("status.services", () => {
  it("maps a NodePort Service to the cluster API's host and its node port, a LoadBalancer to its ingress or <pending>", () => {
    const objects = [
      { kind: "Service", metadata: { name: "np" }, spec: { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] } },
      { kind: "Service", metadata: { name: "lb" }, spec: { type: "LoadBalancer", ports: [{ port: 443, nodePort: 30443 }] }, status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } } },
      { kind: "Service", metadata: { name: "lb2" }, spec: { type: "LoadBalancer", ports: [{ port: 8080 }] }, status: {} },
      { kind: "Service", metadata: { name: "internal" }, spec: { type: "ClusterIP", ports: [{ port: 80 }] } },
    ];
    expect(serviceEndpoints(objects, apiHost("https://10.1.2.3:6443"))).to.deep.equal({ np: "10.1.2.3:30080", lb: "1.2.3.4:443", lb2: "<pending>:8080" });
  });
});
