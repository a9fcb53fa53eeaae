/**
 * The gateway's JSON codec against @bufbuild/protobuf's reference proto3 JSON
 * implementation (same descriptors): output equals protobuf-es' `toJson` with
 * proto names and implicit fields emitted, plus `null` for every unset field
 * with presence; input yields exactly the message protobuf-es reads.
 */
import { expect } from "chai";
import { fromBinary, fromJson, getOption, hasOption, toBinary, toJson } from "@bufbuild/protobuf";
import type { DescField, DescMessage, JsonValue } from "@bufbuild/protobuf";
import { EmptyJson } from "../../gen/krake/core/v1/json.js";
import type { FieldError } from "../../src/errors/api-error.js";
import { Descriptors } from "../../src/kinds/descriptors.js";
import { JsonDecoder, queryBoolean } from "../../src/apiserver/gateway/json/decode.js";
import { JsonEncoder } from "../../src/apiserver/gateway/json/encode.js";
import { Application, ApplicationStatus_State } from "../../gen/krake/kubernetes/v1/application.js";
import { Cluster } from "../../gen/krake/kubernetes/v1/cluster.js";
import { GlobalMetricsProvider } from "../../gen/krake/core/v1/metrics_provider.js";
import { Reason_Code } from "../../gen/krake/core/v1/types.js";
import { fixture } from "./helpers.js";
import type { Json } from "./helpers.js";
import { timestampFromDate } from "../../src/kinds/timestamp.js";

const descriptors = new Descriptors();
const reg = descriptors.registry;
const desc = (name: string): DescMessage => reg.getMessage(name)!;
const encoder = new JsonEncoder(descriptors.registry);
const decoder = new JsonDecoder();

/** protobuf-es' JSON of the same bytes. */
function reference(d: DescMessage, bytes: Uint8Array): JsonValue {
  return toJson(d, fromBinary(d, bytes), { useProtoFieldName: true, alwaysEmitImplicit: true, registry: reg });
}

const emptyJsonOption = reg.getExtension("krake.core.v1.empty_json")!;
const emptyJson = (f: DescField): EmptyJson => (hasOption(f, emptyJsonOption) ? (getOption(f, emptyJsonOption) as EmptyJson) : EmptyJson.EMPTY_JSON_UNSPECIFIED);

/**
 * Our output must be the reference plus nulls: every key the reference has
 * with the same value, every other field present as null, nothing else;
 * except that an unset oneof member is left out, and a field's empty_json
 * option turns its zero value into null (EMPTY_JSON_NULL) or its unset
 * message into its default (EMPTY_JSON_DEFAULT).
 */
function expectReferencePlusNulls(d: DescMessage, ours: JsonValue, ref: JsonValue, path = ""): void {
  if (ref === null || typeof ref !== "object" || Array.isArray(ref) || d.typeName.startsWith("google.protobuf.")) {
    expect(ours, path).to.deep.equal(ref);
    return;
  }
  const o = ours as Record<string, JsonValue>;
  const r = ref as Record<string, JsonValue>;
  expect(Object.keys(o), path).to.deep.equal(d.fields.filter((f) => !f.oneof || f.name in r).map((f) => f.name));
  for (const f of d.fields) {
    const p = `${path}.${f.name}`;
    const rule = emptyJson(f);
    if (!(f.name in r) && f.oneof) {
      continue;
    } else if (!(f.name in r) && rule === EmptyJson.EMPTY_JSON_DEFAULT && f.fieldKind === "message") {
      const expected = f.message.typeName.startsWith("google.protobuf.") ? {} : reference(f.message, new Uint8Array());
      expectReferencePlusNulls(f.message, o[f.name], expected, p);
    } else if (rule === EmptyJson.EMPTY_JSON_NULL && (!(f.name in r) || r[f.name] === "")) {
      expect(o[f.name], `${p} is empty: null`).to.equal(null);
    } else if (!(f.name in r)) {
      expect(o[f.name], `${p} is unset: null`).to.equal(null);
    } else if (f.fieldKind === "message") {
      expectReferencePlusNulls(f.message, o[f.name], r[f.name], p);
    } else if (f.fieldKind === "list" && f.listKind === "message") {
      const items = r[f.name] as JsonValue[];
      expect((o[f.name] as JsonValue[]).length, p).to.equal(items.length);
      items.forEach((x, i) => expectReferencePlusNulls(f.message, (o[f.name] as JsonValue[])[i], x, `${p}[${i}]`));
    } else if (f.fieldKind === "map" && f.mapKind === "message") {
      for (const [k, v] of Object.entries(r[f.name] as Record<string, JsonValue>)) {
        expectReferencePlusNulls(f.message, (o[f.name] as Record<string, JsonValue>)[k], v, `${p}.${k}`);
      }
    } else {
      expect(o[f.name], p).to.deep.equal(r[f.name]);
    }
  }
}

function decode(typeName: string, json: unknown, opts = {}): { value: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const value = decoder.decoder(desc(typeName))(json, errors, opts);
  return { value, errors };
}

/** A fully populated Application: timestamps with and without milliseconds, int64, enums, maps, optionals set. */
function richApplication(): Application {
  const app = Application.fromJSON(fixture("application.json"));
  app.metadata!.created = timestampFromDate(new Date("2024-03-01T10:00:00.000Z"));
  app.metadata!.modified = timestampFromDate(new Date("2024-03-01T10:00:01.250Z"));
  app.metadata!.generation = 7;
  app.metadata!.resourceVersion = "42";
  app.metadata!.owners = [{ api: "kubernetes", namespace: "team-a", kind: "Cluster", name: "edge-1" }];
  app.spec!.csar = "https://example.test/app.csar";
  app.spec!.tosca = "https://example.test/app.yaml";
  app.status = {
    ...Application.fromPartial({ status: {} }).status!,
    state: ApplicationStatus_State.RUNNING,
    reason: { code: Reason_Code.NO_SUITABLE_RESOURCE, message: "none" },
    services: { echo: "10.0.0.1:30000" },
    migrationTimeout: Number.POSITIVE_INFINITY,
    observedGeneration: 6,
    containerHealth: { desiredPods: 2, runningPods: 1, completedPods: 0, failedPods: 1 },
  };
  return app;
}

describe("gateway JSON codec", () => {
  describe("output", () => {
    const cases: [string, DescMessage, () => { encode(m: never): { finish(): Uint8Array } }, () => unknown][] = [
      ["a Krake fixture Application (defaults, unset messages)", desc("krake.kubernetes.v1.Application"), () => Application as never, () => Application.fromJSON(fixture("application.json"))],
      ["a fully populated Application", desc("krake.kubernetes.v1.Application"), () => Application as never, richApplication],
      ["a Cluster (Struct kubeconfig, metric refs with doubles)", desc("krake.kubernetes.v1.Cluster"), () => Cluster as never, () => Cluster.fromJSON(fixture("cluster.json"))],
      ["a GlobalMetricsProvider (a oneof member set, map<string, double>)", desc("krake.core.v1.GlobalMetricsProvider"), () => GlobalMetricsProvider as never, () => GlobalMetricsProvider.fromJSON(fixture("globalmetricsprovider-static.json"))],
      ["an empty Application", desc("krake.kubernetes.v1.Application"), () => Application as never, () => Application.fromPartial({})],
    ];
    for (const [what, d, codec, make] of cases) {
      it(`is protobuf-es' proto3 JSON plus nulls: ${what}`, () => {
        const message = make();
        const ours = encoder.encoder(d)(message as object);
        const bytes = codec().encode(message as never).finish();
        expectReferencePlusNulls(d, ours, reference(d, bytes));
      });
    }

    it("writes Krake's shapes: every field, enum names, RFC 3339, null for unset", () => {
      const json = encoder.encoder(desc("krake.kubernetes.v1.Application"))(richApplication()) as Json;
      const meta = json.metadata as Json;
      const status = json.status as Json;
      expect(meta.created).to.equal("2024-03-01T10:00:00Z");
      expect(meta.modified).to.equal("2024-03-01T10:00:01.250Z");
      expect(meta.deleted).to.equal(null);
      expect(meta.generation).to.equal("7");
      expect(status.state).to.equal("RUNNING");
      expect((status.reason as Json).code).to.equal("NO_SUITABLE_RESOURCE");
      expect(status.migration_timeout).to.equal("Infinity");
      expect(status.scheduled_to).to.equal(null);
      expect(status.complete_token).to.equal(null);
      expect(status.last_applied_manifest).to.deep.equal([]);
      const empty = encoder.encoder(desc("krake.kubernetes.v1.Application"))(Application.fromPartial({})) as Json;
      expect(empty).to.deep.equal({ api: "", kind: "", metadata: null, spec: null, status: null });
      const globalRef = encoder.encoder(desc("krake.core.v1.ResourceRef"))({ api: "core", kind: "GlobalMetric", namespace: "", name: "m" });
      expect(globalRef).to.deep.equal({ api: "core", namespace: null, kind: "GlobalMetric", name: "m" });
      const fresh = encoder.encoder(desc("krake.kubernetes.v1.ApplicationStatus"))(Application.fromPartial({ status: {} }).status!) as Json;
      expect(fresh.container_health).to.deep.equal({ desired_pods: 0, running_pods: 0, completed_pods: 0, failed_pods: 0 });
      expect(fresh.retries).to.equal(null);
    });

    it("writes a timestamp to the nanosecond, with the fraction digits it needs (none, 3, 6 or 9)", () => {
      const seconds = 1796512575; // 2026-12-05T23:16:15Z
      for (const [nanos, text] of [
        [0, "2026-12-05T23:16:15Z"],
        [250_000_000, "2026-12-05T23:16:15.250Z"],
        [696_123_000, "2026-12-05T23:16:15.696123Z"],
        [1_000, "2026-12-05T23:16:15.000001Z"],
        [696_123_456, "2026-12-05T23:16:15.696123456Z"],
      ] as const) {
        const json = encoder.encoder(desc("krake.core.v1.Metadata"))({ created: { seconds, nanos } }) as Json;
        expect(json.created, text).to.equal(text);
        const back = decode("krake.core.v1.Metadata", { created: text });
        expect(back.value.created, text).to.deep.equal({ seconds, nanos });
      }
    });
  });

  describe("input", () => {
    it("reads a Krake document into the message protobuf-es reads", () => {
      for (const [type, name, codec] of [
        ["krake.kubernetes.v1.Application", "application.json", Application],
        ["krake.kubernetes.v1.Cluster", "cluster.json", Cluster],
        ["krake.core.v1.GlobalMetricsProvider", "globalmetricsprovider-static.json", GlobalMetricsProvider],
      ] as const) {
        const doc = fixture(name);
        const { value, errors } = decode(type, doc);
        expect(errors, name).to.deep.equal([]);
        const withoutNulls = JSON.parse(JSON.stringify(doc, (_, v: unknown) => (v === null ? undefined : v))) as JsonValue;
        const expected = codec.decode(toBinary(desc(type), fromJson(desc(type), withoutNulls, { registry: reg })));
        expect(value, name).to.deep.equal(expected);
      }
    });

    it("accepts lowerCamel names and proto names alike", () => {
      const a = decode("krake.core.v1.Metadata", { resource_version: "5", inherit_labels: true, generate_name: "x-" });
      const b = decode("krake.core.v1.Metadata", { resourceVersion: "5", inheritLabels: true, generateName: "x-" });
      expect(a.errors).to.deep.equal([]);
      expect(b.value).to.deep.equal(a.value);
      expect(a.value.resourceVersion).to.equal("5");
    });

    it("treats null as unset for every kind of field", () => {
      const { value, errors } = decode("krake.kubernetes.v1.Application", {
        metadata: { name: "a", labels: null, finalizers: null, created: null },
        spec: { csar: null, tosca: null, constraints: null, manifest: null, backoff: null },
        status: null,
      });
      expect(errors).to.deep.equal([]);
      const spec = value.spec as Record<string, unknown>;
      expect(spec.csar).to.equal(undefined);
      expect(spec.tosca).to.equal(undefined);
      expect(spec.manifest).to.deep.equal([]);
      expect((value.metadata as Record<string, unknown>).labels).to.deep.equal({});
      expect(value.status).to.equal(undefined);
      const oneof = decode("krake.core.v1.MetricsProviderSpec", { type: "static", prometheus: null, static: { metrics: { a: 1 } } });
      expect(oneof.errors).to.deep.equal([]);
    });

    it("keeps nulls and free-form keys inside Struct and Value content", () => {
      const { value, errors } = decode("krake.kubernetes.v1.ApplicationSpec", {
        manifest: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", annotations: null }, data: { some_key: "v" } }],
        tosca: { topology_template: { inputs: null } },
      });
      expect(errors).to.deep.equal([]);
      expect(value.manifest).to.deep.equal([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", annotations: null }, data: { some_key: "v" } }]);
      expect(value.tosca).to.deep.equal({ topology_template: { inputs: null } });
    });

    it("reads 64-bit integers from strings and numbers, enums from names and numbers, timestamps from RFC 3339", () => {
      const { value, errors } = decode("krake.kubernetes.v1.ApplicationStatus", {
        observed_generation: "12",
        retries: 3,
        state: "FAILED",
        reason: { code: 50 },
        scheduled: "2024-03-01T10:00:00.123456+02:00",
      });
      expect(errors).to.deep.equal([]);
      expect(value.observedGeneration).to.equal(12);
      expect(value.state).to.equal(ApplicationStatus_State.FAILED);
      expect((value.reason as Record<string, unknown>).code).to.equal(Reason_Code.NO_SUITABLE_RESOURCE);
      expect(value.scheduled).to.deep.equal({ seconds: 1709280000, nanos: 123456000 });
    });

    const bad: [string, unknown, FieldError[]][] = [
      ["an unknown nested field", { spec: { constraints: { cluster: { labelz: [] } } } }, [{ field: "spec.constraints.cluster.labelz", message: "unknown field" }]],
      ["a string for an int32", { spec: { backoff: "soon" } }, [{ field: "spec.backoff", message: "expected an integer (int32)" }]],
      ["an int32 out of range", { spec: { backoff: 2 ** 31 } }, [{ field: "spec.backoff", message: "2147483648 is out of range for an integer (int32)" }]],
      ["a fraction for an int32", { spec: { backoff: 1.5 } }, [{ field: "spec.backoff", message: "expected an integer (int32)" }]],
      ["a number for a string", { metadata: { name: 7 } }, [{ field: "metadata.name", message: "expected a string" }]],
      ["a string for a bool", { spec: { auto_cluster_create: "yes" } }, [{ field: "spec.auto_cluster_create", message: "expected true or false" }]],
      ["an unknown enum name", { status: { state: "SLEEPING" } }, [{ field: "status.state", message: /^expected one of PENDING, CREATING/ as unknown as string }]],
      ["a bad timestamp", { metadata: { created: "yesterday" } }, [{ field: "metadata.created", message: "expected an RFC 3339 timestamp" }]],
      ["a null in a list", { spec: { hooks: ["shutdown", null] } }, [{ field: "spec.hooks[1]", message: "null is not allowed in a list" }]],
      ["a non-string label value", { metadata: { labels: { "example.com/tier": 1 } } }, [{ field: 'metadata.labels["example.com/tier"]', message: "expected a string" }]],
      ["an object where a list belongs", { spec: { manifest: { kind: "Pod" } } }, [{ field: "spec.manifest", message: "expected a list" }]],
      ["a list where a message belongs", { spec: [] }, [{ field: "spec", message: "expected an object" }]],
    ];
    for (const [what, json, expected] of bad) {
      it(`reports ${what} with the field's path`, () => {
        const { errors } = decode("krake.kubernetes.v1.Application", json);
        expect(errors).to.have.length(expected.length);
        errors.forEach((e, i) => {
          expect(e.field).to.equal(expected[i].field);
          const m = expected[i].message as unknown;
          if (m instanceof RegExp) expect(e.message).to.match(m);
          else expect(e.message).to.equal(m);
        });
      });
    }

    it("reports every problem, not just the first", () => {
      const { errors } = decode("krake.kubernetes.v1.Application", { foo: 1, spec: { bar: 2, backoff: "x" } });
      expect(errors.map((e) => e.field)).to.deep.equal(["foo", "spec.bar", "spec.backoff"]);
    });

    it("refuses two members of a oneof", () => {
      const { errors } = decode("krake.core.v1.MetricsProviderSpec", { type: "x", prometheus: { url: "u" }, static: { metrics: {} } });
      expect(errors).to.have.length(1);
      expect(errors[0].field).to.equal("static");
      expect(errors[0].message).to.match(/only one of prometheus, influx, kafka, static/);
    });

    it("reads query strings: Krake's booleans, numbers and single values for lists", () => {
      for (const [text, v] of [["True", true], ["true", true], ["1", true], ["", true], ["False", false], ["false", false], ["0", false]] as const) {
        expect(queryBoolean(text), text).to.equal(v);
        const { value, errors } = decode("krake.kubernetes.v1.DeleteApplicationRequest", { force: text }, { strings: true });
        expect(errors, text).to.deep.equal([]);
        expect(value.force, text).to.equal(v);
      }
      expect(decode("krake.kubernetes.v1.DeleteApplicationRequest", { force: "maybe" }, { strings: true }).errors[0].field).to.equal("force");
      expect(decode("krake.kubernetes.v1.ListApplicationsRequest", { limit: "10" }, { strings: true }).value.limit).to.equal(10);
      expect(decode("krake.kubernetes.v1.ListApplicationsRequest", { limit: "ten" }, { strings: true }).errors[0].field).to.equal("limit");
      expect(decode("krake.kubernetes.v1.ClusterConstraints", { labels: "a=b" }, { strings: true }).value.labels).to.deep.equal(["a=b"]);
      expect(decode("krake.kubernetes.v1.ClusterConstraints", { labels: ["a=b", "c=d"] }, { strings: true }).value.labels).to.deep.equal(["a=b", "c=d"]);
      // outside the query, a JSON string is not a boolean
      expect(decode("krake.kubernetes.v1.DeleteApplicationRequest", { force: "True" }).errors).to.have.length(1);
    });
  });
});
