/**
 * The objects the benchmarks write: an Application whose spec encodes to
 * exactly 1 KiB (one ConfigMap manifest padded to size), and the requests
 * built from it.
 */
import { Application, ApplicationSpec, CreateApplicationRequest, GetApplicationRequest } from "../../gen/krake/kubernetes/v1/application.js";
import { Metadata } from "../../gen/krake/core/v1/types.js";

export const SPEC_BYTES = 1024;

/** A spec whose protobuf encoding is exactly `size` bytes. */
export function specOfSize(size = SPEC_BYTES): ApplicationSpec {
  const make = (pad: number) =>
    ApplicationSpec.fromPartial({
      manifest: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "bench" }, data: { payload: "x".repeat(pad) } }],
    });
  const base = ApplicationSpec.encode(make(0)).finish().length;
  // varint lengths grow with the padding: nudge until the size is exact
  for (let pad = size - base; pad > 0; pad--) {
    const n = ApplicationSpec.encode(make(pad)).finish().length;
    if (n === size) return make(pad);
    if (n < size) break;
  }
  throw new Error(`cannot build a spec of exactly ${size} bytes`);
}

export interface AppOptions {
  name?: string;
  generateName?: string;
  labels?: Record<string, string>;
}

export function application(namespace: string, o: AppOptions, spec = specOfSize()): Application {
  return Application.fromPartial({
    api: "kubernetes",
    kind: "Application",
    metadata: Metadata.fromPartial({ name: o.name ?? "", generateName: o.generateName ?? "", namespace, labels: o.labels ?? {} }),
    spec,
  });
}

/** The encoded CreateApplicationRequest of an object with a generated name (a fixed body creates distinct objects). */
export function createRequestBytes(namespace: string, generateName: string): Uint8Array {
  return CreateApplicationRequest.encode(
    CreateApplicationRequest.fromPartial({ namespace, application: application(namespace, { generateName }) }),
  ).finish();
}

export function getRequestBytes(namespace: string, name: string): Uint8Array {
  return GetApplicationRequest.encode(GetApplicationRequest.fromPartial({ namespace, name })).finish();
}

/** The REST body of the same object (proto JSON names, as Application.toJSON writes them). */
export function createRequestJson(namespace: string, generateName: string): string {
  return JSON.stringify(Application.toJSON(application(namespace, { generateName })));
}
