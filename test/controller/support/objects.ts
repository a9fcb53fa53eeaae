/** Krake objects for controller tests, from the Krake-shaped fixtures, with owners as asked. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ResourceRef } from "../../../gen/krake/core/v1/types.js";
import { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { KrakeObject } from "../../../src/apiserver/objects/kind.js";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../fixtures/krake/${name}`, import.meta.url)), "utf8"));

const appFixture = fixture("application.json");
const clusterFixture = fixture("cluster.json");

export function application(namespace: string, name: string, owners: ResourceRef[] = [], labels: Record<string, string> = {}): Application {
  const app = Application.fromJSON(appFixture);
  Object.assign(app.metadata!, { namespace, name, owners, labels: { ...app.metadata!.labels, ...labels } });
  return app;
}

export function cluster(namespace: string, name: string, owners: ResourceRef[] = []): Cluster {
  const c = Cluster.fromJSON(clusterFixture);
  Object.assign(c.metadata!, { namespace, name, owners });
  return c;
}

export function refTo(obj: KrakeObject): ResourceRef {
  return { api: obj.api, kind: obj.kind, namespace: obj.metadata?.namespace ?? "", name: obj.metadata?.name ?? "" };
}
