/** Applications for the process tests, and the one form in which watch events and etcd's history are compared. */
import { readFileSync } from "node:fs";
import { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import type { WatchApplicationsResponse } from "../../../gen/krake/kubernetes/v1/application.js";
import { EventType } from "../../../gen/krake/core/v1/watch.js";

const template = Application.fromJSON(JSON.parse(readFileSync("test/fixtures/krake/application.json", "utf8")));

/** Krake's example Application (test/fixtures/krake/application.json) under another name. */
export function app(namespace: string, name: string, labels: Record<string, string> = {}): Application {
  return Application.fromPartial({ ...template, metadata: { name, namespace, labels } });
}

/** `TYPE name @resource_version` of watch events, the form compared with etcd's history. */
export function described(events: WatchApplicationsResponse[]): string[] {
  return events.map((e) => `${EventType[e.type]} ${e.object!.metadata!.name} @${e.object!.metadata!.resourceVersion}`);
}

/** The same form for etcd's history (keys end with the object's name). */
export function describedHistory(history: { type: string; key: string; revision: number }[]): string[] {
  return history.map((h) => `${h.type} ${h.key.slice(h.key.lastIndexOf("/") + 1)} @${h.revision}`);
}
