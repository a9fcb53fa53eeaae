/**
 * `make demo`: two local member clusters, as the tests run them (etcd,
 * kube-apiserver, kube-controller-manager, kube-scheduler and KWOK nodes on
 * loopback), registered with the Krake that `make run` started, and one example
 * application placed on the one labelled location=DE. It then waits: try the
 * commands it prints (move the app by relabelling, watch it), and Ctrl-C
 * removes the app, the clusters and the member clusters again.
 */
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { promisify } from "node:util";
import { CoreV1Api } from "@kubernetes/client-node";
import { startKubeCluster } from "../test/fixtures/kube-cluster.js";
import type { KubeCluster } from "../test/fixtures/kube-cluster.js";

const run = promisify(execFile);
const api = process.env.KRAKECTL_API_URL ?? "127.0.0.1:9090";
const namespace = "demo";

function reachable(address: string): Promise<boolean> {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  return new Promise((resolve) => {
    const socket = connect({ host, port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

async function krakectl(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ["bin/krakectl.js", ...args, "-n", namespace], {
    env: { ...process.env, KRAKECTL_API_URL: api },
    timeout: 180_000,
  });
  return stdout;
}

async function showPods(cluster: KubeCluster): Promise<void> {
  const pods = await cluster.kubeConfig().makeApiClient(CoreV1Api).listNamespacedPod({ namespace: "default", labelSelector: "app=hello" });
  for (const pod of pods.items) console.log(`  ${cluster.name}: pod ${pod.metadata?.name} ${pod.status?.phase} on ${pod.spec?.nodeName}`);
}

if (!(await reachable(api))) {
  console.error(`make demo: no Krake API at ${api}; start it first with \`make run\` (in another terminal)`);
  process.exit(1);
}
console.log("starting two member clusters (the first time builds Kubernetes from Go modules: several minutes)…");
const [de, fr] = await Promise.all([startKubeCluster({ name: "demo-de", workloads: true }), startKubeCluster({ name: "demo-fr", workloads: true })]);
let stopping = false;
const stop = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  console.log("\ncleaning up: the app, the clusters, the member clusters…");
  await krakectl("kube", "app", "delete", "hello", "--wait").catch((err: Error) => console.error(err.message));
  for (const name of ["demo-de", "demo-fr"]) await krakectl("kube", "cluster", "delete", name).catch((err: Error) => console.error(err.message));
  await Promise.all([de.remove(), fr.remove()]);
  process.exit(code);
};
// The fixtures kill their processes on a signal; here the member clusters must outlive Ctrl-C until the app
// is gone from them (they are still killed at exit).
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => void stop());
}

try {
  // what an interrupted earlier demo may have left behind
  await krakectl("kube", "app", "delete", "hello", "--force").catch(() => undefined);
  for (const name of ["demo-de", "demo-fr"]) await krakectl("kube", "cluster", "delete", name).catch(() => undefined);
  console.log(`member clusters: demo-de ${de.server}, demo-fr ${fr.server}`);
  await krakectl("kube", "cluster", "register", "-k", de.kubeconfigPath, "--name", "demo-de", "-l", "location=DE");
  await krakectl("kube", "cluster", "register", "-k", fr.kubeconfigPath, "--name", "demo-fr", "-l", "location=FR");
  console.log(await krakectl("kube", "cluster", "list"));
  console.log('creating the application "hello" (examples/hello.yaml) with the constraint "location is DE"…');
  await krakectl("kube", "app", "create", "hello", "-f", "examples/hello.yaml", "-L", "location is DE", "--wait", "running", "--timeout", "120");
  console.log(await krakectl("kube", "app", "list"));
  await showPods(de);
  console.log(`
Krake deployed it. Try, in another terminal:
  npx krakectl kube app explain hello -n ${namespace}        # why demo-de
  npx krakectl kube app list --watch -n ${namespace}         # then, in a third one, move it:
  npx krakectl kube cluster update demo-fr -l location=DE --remove-existing-labels -n ${namespace}
  npx krakectl kube cluster update demo-de -l location=FR --remove-existing-labels -n ${namespace}
The member clusters' kubeconfigs: ${de.kubeconfigPath} ${fr.kubeconfigPath}
Ctrl-C removes everything again.`);
} catch (err) {
  console.error(`make demo: ${(err as Error & { stderr?: string }).stderr ?? (err as Error).message}`);
  await stop(1);
}
