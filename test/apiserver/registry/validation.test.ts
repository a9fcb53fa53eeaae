import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { GlobalMetric, Metric } from "../../../gen/krake/core/v1/metric.js";
import { GlobalMetricsProvider, MetricsProvider } from "../../../gen/krake/core/v1/metrics_provider.js";
import { Role } from "../../../gen/krake/core/v1/role.js";
import { RoleBinding } from "../../../gen/krake/core/v1/role_binding.js";
import { Metadata } from "../../../gen/krake/core/v1/types.js";
import type { FieldError } from "../../../src/errors/api-error.js";
import { validateApplication } from "../../../src/apiserver/kinds/application.js";
import { validateCluster } from "../../../src/apiserver/kinds/cluster.js";
import { validateMetric } from "../../../src/apiserver/kinds/metric.js";
import { validateMetricsProvider } from "../../../src/apiserver/kinds/metrics-provider.js";
import { validateRole, validateRoleBinding } from "../../../src/apiserver/kinds/role.js";
import {
  isValidLabelKey,
  isValidLabelValue,
  validateGenerateName,
  validateLabels,
  validateMetadata,
  validateName,
  validateNamespace,
} from "../../../src/apiserver/registry/validation/index.js";

type Json = Record<string, unknown>;

const FIXTURES = path.resolve(process.cwd(), "test/fixtures/krake");
const SHARED_FIXTURES = path.resolve(process.cwd(), "../shared/fixtures/krake");
const FIXTURE_FILES = [
  "application.json",
  "cluster.json",
  "globalmetric.json",
  "globalmetricsprovider-static.json",
  "globalmetricsprovider.json",
  "role.yaml",
  "rolebinding.yaml",
];

function fixture(name: string): Json {
  const text = readFileSync(path.join(FIXTURES, name), "utf8");
  return (name.endsWith(".json") ? JSON.parse(text) : parseYaml(text)) as Json;
}

/** A deep copy of `base` changed by `mutate` (which works on the snake_case JSON). */
function variant(base: Json, mutate: (json: Json) => void): Json {
  const copy = structuredClone(base);
  mutate(copy);
  return copy;
}

/** `json.a.b.c`, typed loosely for mutations in tests. */
function at(json: Json, ...keys: string[]): Json {
  let node: unknown = json;
  for (const key of keys) node = (node as Json)[key];
  return node as Json;
}

function fields(errors: FieldError[]): string[] {
  return errors.map((e) => e.field);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

interface Case {
  name: string;
  mutate: (json: Json) => void;
  /** Expected error fields, in order; [] for valid. */
  fields: string[];
  /** Optional pattern the first error's message must match. */
  message?: RegExp;
}

/** Runs each case against a fixture, converting with the kind's generated fromJSON. */
function runCases<T>(base: () => Json, fromJSON: (json: unknown) => T, validate: (obj: T) => FieldError[], cases: Case[]) {
  for (const c of cases) {
    it(`${c.fields.length === 0 ? "accepts" : "rejects"} ${c.name}`, () => {
      const obj = deepFreeze(fromJSON(variant(base(), c.mutate)));
      const errors = validate(obj);
      expect(fields(errors), JSON.stringify(errors)).to.deep.equal(c.fields);
      if (c.message) expect(errors[0]?.message).to.match(c.message);
    });
  }
}

describe("validation: fixtures", () => {
  it("copies of the shared fixtures are byte-identical", function () {
    if (!existsSync(SHARED_FIXTURES)) this.skip();
    for (const name of FIXTURE_FILES) {
      expect(readFileSync(path.join(FIXTURES, name)).equals(readFileSync(path.join(SHARED_FIXTURES, name))), name).to.equal(
        true,
      );
    }
  });

  const valid: [string, () => FieldError[]][] = [
    ["application.json", () => validateApplication(Application.fromJSON(fixture("application.json")))],
    ["cluster.json", () => validateCluster(Cluster.fromJSON(fixture("cluster.json")))],
    ["globalmetric.json", () => validateMetric(GlobalMetric.fromJSON(fixture("globalmetric.json")))],
    ["globalmetric.json as Metric", () => validateMetric(Metric.fromJSON(fixture("globalmetric.json")))],
    ["globalmetricsprovider.json", () => validateMetricsProvider(GlobalMetricsProvider.fromJSON(fixture("globalmetricsprovider.json")))],
    [
      "globalmetricsprovider-static.json",
      () => validateMetricsProvider(GlobalMetricsProvider.fromJSON(fixture("globalmetricsprovider-static.json"))),
    ],
    ["globalmetricsprovider.json as MetricsProvider", () => validateMetricsProvider(MetricsProvider.fromJSON(fixture("globalmetricsprovider.json")))],
    ["role.yaml", () => validateRole(Role.fromJSON(fixture("role.yaml")))],
    ["rolebinding.yaml", () => validateRoleBinding(RoleBinding.fromJSON(fixture("rolebinding.yaml")))],
  ];
  for (const [name, run] of valid) {
    it(`accepts ${name}`, () => expect(run()).to.deep.equal([]));
  }

  const metadata: [string, boolean][] = [
    ["application.json", true],
    ["cluster.json", true],
    ["globalmetric.json", false],
    ["globalmetricsprovider.json", false],
    ["globalmetricsprovider-static.json", false],
    ["role.yaml", false],
    ["rolebinding.yaml", false],
  ];
  for (const [name, namespaced] of metadata) {
    it(`accepts the metadata of ${name}`, () => {
      const meta = Metadata.fromJSON(fixture(name)["metadata"]);
      expect(validateMetadata(meta, { namespaced })).to.deep.equal([]);
    });
  }
});

describe("validation: names", () => {
  const validNames = ["a", "_", "9", "echo", "my-app.v1:2", "A_b", "a:b", "a".repeat(255), "a" + "-".repeat(253) + "b"];
  const invalidNames = ["-a", "a-", ".a", "a.", ":a", "a:", "a b", "ä", "a/b", "a".repeat(256), "a\n", " a", "a@b"];
  for (const name of validNames) {
    it(`accepts name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 10)}…(${name.length})` : name)}`, () => {
      expect(validateName(name)).to.deep.equal([]);
      expect(validateNamespace(name)).to.deep.equal([]);
    });
  }
  for (const name of invalidNames) {
    it(`rejects name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 10)}…(${name.length})` : name)}`, () => {
      const errors = validateName(name);
      expect(fields(errors)).to.deep.equal(["metadata.name"]);
      expect(errors[0]?.message).to.match(/letters, digits and "-_.:".*at most 255 characters/);
      expect(fields(validateNamespace(name))).to.deep.equal(["metadata.namespace"]);
    });
  }
  it("rejects the empty name and uses the given field", () => {
    expect(validateName("", "spec.provider.name")).to.deep.equal([{ field: "spec.provider.name", message: "must not be empty" }]);
  });

  const generateNames: [string, boolean][] = [
    ["", true],
    ["app-", true],
    ["a", true],
    ["app:", true],
    ["app.", true],
    ["a".repeat(250), true],
    ["a".repeat(251), false],
    ["-app", false],
    [".app", false],
    ["a b", false],
    ["app/", false],
  ];
  for (const [prefix, ok] of generateNames) {
    it(`${ok ? "accepts" : "rejects"} generate_name ${JSON.stringify(prefix.length > 20 ? `…(${prefix.length})` : prefix)}`, () => {
      expect(fields(validateGenerateName(prefix))).to.deep.equal(ok ? [] : ["metadata.generate_name"]);
    });
  }
  it("generate_name prefixes give valid names with a 5-character suffix", () => {
    for (const [prefix, ok] of generateNames) if (ok) expect(validateName(`${prefix}x9z0q`)).to.deep.equal([]);
  });

  const labelKeys: [string, boolean][] = [
    ["app", true],
    ["a", true],
    ["_", true],
    ["app.kubernetes.io/name", true],
    ["example.com/a_b", true],
    ["a/b", true],
    ["x".repeat(63), true],
    [`${"p".repeat(253)}/n`, true],
    ["", false],
    ["/a", false],
    ["a/", false],
    ["a/b/c", false],
    ["-a", false],
    ["a-", false],
    ["x".repeat(64), false],
    [`${"p".repeat(254)}/n`, false],
    ["bad key", false],
    ["a:b", false],
    ["ä", false],
  ];
  for (const [key, ok] of labelKeys) {
    it(`${ok ? "accepts" : "rejects"} label key ${JSON.stringify(key.length > 30 ? `…(${key.length})` : key)}`, () => {
      expect(isValidLabelKey(key)).to.equal(ok);
      expect(fields(validateLabels({ [key]: "v" }))).to.deep.equal(ok ? [] : [`metadata.labels[${JSON.stringify(key)}]`]);
    });
  }

  const labelValues: [string, boolean][] = [
    ["DE", true],
    ["v1.2", true],
    ["a_b-c", true],
    ["x".repeat(63), true],
    ["", false],
    ["x".repeat(64), false],
    ["-a", false],
    ["a.", false],
    ["a b", false],
    ["a/b", false],
    ["a:b", false],
  ];
  for (const [value, ok] of labelValues) {
    it(`${ok ? "accepts" : "rejects"} label value ${JSON.stringify(value.length > 30 ? `…(${value.length})` : value)}`, () => {
      expect(isValidLabelValue(value)).to.equal(ok);
      expect(fields(validateLabels({ k: value }))).to.deep.equal(ok ? [] : ['metadata.labels["k"]']);
    });
  }

  it("reports key and value errors of one entry separately, under the given field", () => {
    const errors = validateLabels({ "bad key": "bad value", ok: "fine" }, "spec.labels");
    expect(fields(errors)).to.deep.equal(['spec.labels["bad key"]', 'spec.labels["bad key"]']);
    expect(errors[0]?.message).to.match(/^key must be a name of at most 63 characters/);
    expect(errors[1]?.message).to.match(/^value "bad value" must consist of letters, digits and "-_."/);
  });
});

describe("validation: metadata", () => {
  const base = (): Json => ({
    name: "echo",
    namespace: "team-a",
    labels: { app: "echo" },
    finalizers: ["cascade_deletion", "example.com/cleanup"],
    owners: [{ api: "kubernetes", kind: "Cluster", name: "edge-1", namespace: "team-a" }],
  });
  const namespaced = (meta: Metadata) => validateMetadata(meta, { namespaced: true });
  const global = (meta: Metadata) => validateMetadata(meta, { namespaced: false });

  it("requires metadata", () => {
    expect(validateMetadata(undefined, { namespaced: true })).to.deep.equal([{ field: "metadata", message: "is required" }]);
  });

  runCases(base, Metadata.fromJSON, namespaced, [
    { name: "valid metadata", mutate: () => {}, fields: [] },
    { name: "a missing name", mutate: (j) => delete j["name"], fields: ["metadata.name"], message: /is required/ },
    {
      name: "an empty name with generate_name",
      mutate: (j) => {
        j["name"] = "";
        j["generate_name"] = "echo-";
      },
      fields: [],
    },
    {
      name: "an invalid generate_name",
      mutate: (j) => {
        j["name"] = "";
        j["generate_name"] = "-echo";
      },
      fields: ["metadata.generate_name"],
    },
    { name: "an invalid name", mutate: (j) => (j["name"] = "bad name"), fields: ["metadata.name"] },
    { name: "a missing namespace", mutate: (j) => delete j["namespace"], fields: ["metadata.namespace"] },
    { name: "an invalid namespace", mutate: (j) => (j["namespace"] = "team a"), fields: ["metadata.namespace"] },
    {
      name: "invalid labels",
      mutate: (j) => (j["labels"] = { "a/b/c": "x", ok: "-bad" }),
      fields: ['metadata.labels["a/b/c"]', 'metadata.labels["ok"]'],
    },
    {
      name: "invalid finalizers",
      mutate: (j) => (j["finalizers"] = ["ok", "", "bad name", "a/b/c", "kubernetes_resources_deletion"]),
      fields: ["metadata.finalizers[1]", "metadata.finalizers[2]", "metadata.finalizers[3]"],
    },
    {
      name: "owners without api, kind and name",
      mutate: (j) => (j["owners"] = [{ namespace: "team-a" }]),
      fields: ["metadata.owners[0].api", "metadata.owners[0].kind", "metadata.owners[0].name"],
    },
    {
      name: "owners with invalid fields",
      mutate: (j) =>
        (j["owners"] = [
          { api: "core", kind: "GlobalMetric", name: "m" },
          { api: "bad api", kind: "not-a-kind", name: "-x", namespace: "bad ns" },
        ]),
      fields: ["metadata.owners[1].api", "metadata.owners[1].kind", "metadata.owners[1].name", "metadata.owners[1].namespace"],
    },
  ]);

  runCases(base, Metadata.fromJSON, global, [
    { name: "a global object without namespace", mutate: (j) => delete j["namespace"], fields: [] },
    { name: "a global object's namespace (not checked)", mutate: (j) => (j["namespace"] = "bad ns"), fields: [] },
  ]);
});

describe("validation: Application", () => {
  const base = () => fixture("application.json");
  const spec = (j: Json) => at(j, "spec");
  const manifest = (j: Json) => spec(j)["manifest"] as Json[];
  const tosca = {
    tosca_definitions_version: "tosca_simple_yaml_1_0",
    topology_template: { node_templates: {} },
  };
  const observed = (extra: Json = {}): Json => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "echo" },
    ...extra,
  });

  it("requires spec", () => {
    const app = Application.fromJSON(variant(base(), (j) => delete j["spec"]));
    expect(validateApplication(app)).to.deep.equal([{ field: "spec", message: "is required" }]);
  });

  describe("sources", () => {
    runCases(base, Application.fromJSON, validateApplication, [
      {
        name: "no manifest, tosca or csar",
        mutate: (j) => (spec(j)["manifest"] = []),
        fields: ["spec"],
        message: /one of "manifest", "tosca" or "csar"/,
      },
      {
        name: "a TOSCA template object only",
        mutate: (j) => Object.assign(spec(j), { manifest: [], tosca }),
        fields: [],
      },
      {
        name: "a TOSCA template without tosca_definitions_version",
        mutate: (j) => Object.assign(spec(j), { manifest: [], tosca: { topology_template: {} } }),
        fields: ["spec.tosca.tosca_definitions_version"],
      },
      {
        name: "a TOSCA URL (.yaml)",
        mutate: (j) => Object.assign(spec(j), { manifest: [], tosca: "https://example.com/app.yaml" }),
        fields: [],
      },
      {
        name: "a TOSCA URL (.yml with query)",
        mutate: (j) => Object.assign(spec(j), { manifest: [], tosca: "http://example.com/t/app.YML?rev=2" }),
        fields: [],
      },
      {
        name: "a TOSCA URL with another scheme",
        mutate: (j) => Object.assign(spec(j), { manifest: [], tosca: "ftp://example.com/app.yaml" }),
        fields: ["spec.tosca"],
        message: /http or https URL ending in .yaml or .yml/,
      },
      {
        name: "a TOSCA URL with another suffix",
        mutate: (j) => Object.assign(spec(j), { manifest: [], tosca: "https://example.com/app.json" }),
        fields: ["spec.tosca"],
      },
      {
        name: "a TOSCA string that is not a URL",
        mutate: (j) => Object.assign(spec(j), { manifest: [], tosca: "app.yaml" }),
        fields: ["spec.tosca"],
      },
      { name: "a TOSCA number", mutate: (j) => (spec(j)["tosca"] = 5), fields: ["spec.tosca"] },
      { name: "a TOSCA list", mutate: (j) => (spec(j)["tosca"] = ["x"]), fields: ["spec.tosca"] },
      { name: "an empty TOSCA string", mutate: (j) => (spec(j)["tosca"] = ""), fields: [] },
      {
        name: "a CSAR URL (.csar)",
        mutate: (j) => Object.assign(spec(j), { manifest: [], csar: "https://example.com/app.csar" }),
        fields: [],
      },
      {
        name: "a CSAR URL (.zip)",
        mutate: (j) => Object.assign(spec(j), { manifest: [], csar: "http://example.com/app.zip" }),
        fields: [],
      },
      {
        name: "a CSAR URL with another suffix",
        mutate: (j) => Object.assign(spec(j), { manifest: [], csar: "https://example.com/app.tar" }),
        fields: ["spec.csar"],
        message: /ending in .csar or .zip/,
      },
      { name: "an empty CSAR", mutate: (j) => (spec(j)["csar"] = ""), fields: ["spec.csar"] },
      {
        name: "manifest, tosca and csar together",
        mutate: (j) => Object.assign(spec(j), { tosca, csar: "https://example.com/app.csar" }),
        fields: [],
      },
    ]);
  });

  describe("manifest", () => {
    runCases(base, Application.fromJSON, validateApplication, [
      { name: "a resource without apiVersion", mutate: (j) => delete manifest(j)[0]?.["apiVersion"], fields: ["spec.manifest[0].apiVersion"] },
      { name: "a resource without kind", mutate: (j) => delete manifest(j)[1]?.["kind"], fields: ["spec.manifest[1].kind"] },
      { name: "a resource without metadata", mutate: (j) => delete manifest(j)[0]?.["metadata"], fields: ["spec.manifest[0].metadata"] },
      {
        name: "a resource without metadata.name",
        mutate: (j) => (manifest(j)[1]!["metadata"] = { namespace: "x" }),
        fields: ["spec.manifest[1].metadata.name"],
      },
      {
        name: "a resource with a non-string apiVersion and kind",
        mutate: (j) => Object.assign(manifest(j)[0]!, { apiVersion: 1, kind: null }),
        fields: ["spec.manifest[0].apiVersion", "spec.manifest[0].kind"],
      },
      { name: "a resource that is not an object", mutate: (j) => manifest(j).push("x" as unknown as Json), fields: ["spec.manifest[2]"] },
      {
        name: "a duplicate resource",
        mutate: (j) => manifest(j).push(structuredClone(manifest(j)[0]!)),
        fields: ["spec.manifest[2]"],
        message: /duplicates spec.manifest\[0\]/,
      },
      {
        name: "same name in another namespace",
        mutate: (j) => manifest(j).push({ ...structuredClone(manifest(j)[0]!), metadata: { name: "echo", namespace: "other" } }),
        fields: [],
      },
    ]);
  });

  describe("observer_schema", () => {
    const setSchema = (schema: unknown[]) => (j: Json) => (spec(j)["observer_schema"] = schema);
    runCases(base, Application.fromJSON, validateApplication, [
      {
        name: "an entry matching a manifest resource",
        mutate: setSchema([observed({ spec: { replicas: null, template: { spec: { containers: [{ image: null }, { observer_schema_list_min_length: 1, observer_schema_list_max_length: 2 }] } } } })]),
        fields: [],
      },
      {
        name: "an entry with a matching namespace and observed metadata fields",
        mutate: (j) => {
          manifest(j)[1]!["metadata"] = { name: "echo", namespace: "web" };
          spec(j)["observer_schema"] = [
            { apiVersion: "v1", kind: "Service", metadata: { name: "echo", namespace: "web", labels: null } },
          ];
        },
        fields: [],
      },
      {
        name: "an entry with another namespace",
        mutate: setSchema([observed({ metadata: { name: "echo", namespace: "other" } })]),
        fields: ["spec.observer_schema[0]"],
        message: /must refer to a resource of spec.manifest/,
      },
      {
        name: "an entry for an unknown resource",
        mutate: setSchema([observed({ kind: "StatefulSet" })]),
        fields: ["spec.observer_schema[0]"],
      },
      {
        name: "an entry without kind and metadata.name",
        mutate: setSchema([{ apiVersion: "apps/v1", metadata: {} }]),
        fields: ["spec.observer_schema[0].kind", "spec.observer_schema[0].metadata.name"],
      },
      {
        name: "an entry that is not an object",
        mutate: setSchema([observed(), null]),
        fields: ["spec.observer_schema[1]"],
      },
      {
        name: "an observed field with a value",
        mutate: setSchema([observed({ spec: { replicas: 2 } })]),
        fields: ["spec.observer_schema[0].spec.replicas"],
        message: /must be null/,
      },
      {
        name: "a metadata field with a value",
        mutate: setSchema([observed({ metadata: { name: "echo", labels: "x" } })]),
        fields: ["spec.observer_schema[0].metadata.labels"],
      },
      {
        name: "a list without the control object",
        mutate: setSchema([observed({ spec: { ports: [null] } })]),
        fields: ["spec.observer_schema[0].spec.ports"],
        message: /list control object/,
      },
      {
        name: "an empty list",
        mutate: setSchema([observed({ spec: { ports: [] } })]),
        fields: ["spec.observer_schema[0].spec.ports"],
      },
      {
        name: "a control object without lengths",
        mutate: setSchema([observed({ spec: { ports: [null, {}] } })]),
        fields: [
          "spec.observer_schema[0].spec.ports[1].observer_schema_list_min_length",
          "spec.observer_schema[0].spec.ports[1].observer_schema_list_max_length",
        ],
      },
      {
        name: "negative and fractional lengths",
        mutate: setSchema([observed({ spec: { ports: [{ observer_schema_list_min_length: -1, observer_schema_list_max_length: 1.5 }] } })]),
        fields: [
          "spec.observer_schema[0].spec.ports[0].observer_schema_list_min_length",
          "spec.observer_schema[0].spec.ports[0].observer_schema_list_max_length",
        ],
      },
      {
        name: "max length below min length",
        mutate: setSchema([observed({ spec: { ports: [{ observer_schema_list_min_length: 3, observer_schema_list_max_length: 2 }] } })]),
        fields: ["spec.observer_schema[0].spec.ports[0].observer_schema_list_max_length"],
      },
      {
        name: "max length below the number of observed elements",
        mutate: setSchema([observed({ spec: { ports: [null, null, { observer_schema_list_min_length: 0, observer_schema_list_max_length: 1 }] } })]),
        fields: ["spec.observer_schema[0].spec.ports[2].observer_schema_list_max_length"],
        message: /number of observed elements \(2\)/,
      },
      {
        name: "max length 0 (unbounded)",
        mutate: setSchema([observed({ spec: { ports: [null, null, { observer_schema_list_min_length: 1, observer_schema_list_max_length: 0 }] } })]),
        fields: [],
      },
      {
        name: "a bad element inside a list",
        mutate: setSchema([observed({ spec: { ports: [{ port: 80 }, { observer_schema_list_min_length: 0, observer_schema_list_max_length: 0 }] } })]),
        fields: ["spec.observer_schema[0].spec.ports[0].port"],
      },
      {
        name: "an entry when the manifest is empty (TOSCA; not matched)",
        mutate: (j) => Object.assign(spec(j), { manifest: [], tosca, observer_schema: [observed({ kind: "Job" })] }),
        fields: [],
      },
    ]);
  });

  describe("constraints", () => {
    const cluster = (j: Json) => at(j, "spec", "constraints", "cluster");
    runCases(base, Application.fromJSON, validateApplication, [
      { name: "missing constraints (treated as empty)", mutate: (j) => delete spec(j)["constraints"], fields: [] },
      { name: "constraints without cluster", mutate: (j) => (spec(j)["constraints"] = { migration: false }), fields: [] },
      {
        name: "label constraints in every form",
        mutate: (j) => (cluster(j)["labels"] = ["a = b", "a == b", "a is b", "a != b", "a is not b", "a in (b, c)", "a not in (b)"]),
        fields: [],
      },
      {
        name: "invalid label constraints",
        mutate: (j) => (cluster(j)["labels"] = ["location in (DE)", "location > 5", "location"]),
        fields: ["spec.constraints.cluster.labels[1]", "spec.constraints.cluster.labels[2]"],
        message: /expected an operator .* at position 9, found ">"/,
      },
      {
        name: "metric constraints in every form",
        mutate: (j) => (cluster(j)["metrics"] = ["m = 1", "m != 1", "m > 1", "m gt 1", "m greater than 1", "m >= 1", "m => 1", "m gte 1", "m greater than or equal 1", "m < 1", "m lt 1", "m lesser than 1", "m <= 1", "m =< 1", "m lte 1", "m lesser than or equal 1"]),
        fields: [],
      },
      {
        name: "invalid metric constraints",
        mutate: (j) => (cluster(j)["metrics"] = ["load < high", "load in (1)"]),
        fields: ["spec.constraints.cluster.metrics[0]", "spec.constraints.cluster.metrics[1]"],
        message: /expected a number at position 7, found "high"/,
      },
      {
        name: "valid custom resources",
        mutate: (j) => (cluster(j)["custom_resources"] = ["crontabs.stable.example.com", "foos.example"]),
        fields: [],
      },
      {
        name: "invalid custom resources",
        mutate: (j) => (cluster(j)["custom_resources"] = ["crontabs", "CronTabs.example.com", ".example.com", "crontabs.", "a b.example.com"]),
        fields: [0, 1, 2, 3, 4].map((i) => `spec.constraints.cluster.custom_resources[${i}]`),
        message: /"<plural>.<group>"/,
      },
    ]);
  });

  describe("hooks, shutdown and backoff", () => {
    runCases(base, Application.fromJSON, validateApplication, [
      { name: "both hooks", mutate: (j) => (spec(j)["hooks"] = ["complete", "shutdown"]), fields: [] },
      { name: "no hooks", mutate: (j) => (spec(j)["hooks"] = []), fields: [] },
      { name: "an unknown hook", mutate: (j) => (spec(j)["hooks"] = ["shutdown", "restart"]), fields: ["spec.hooks[1]"] },
      {
        name: "a duplicate hook",
        mutate: (j) => (spec(j)["hooks"] = ["complete", "complete"]),
        fields: ["spec.hooks[1]"],
        message: /duplicate/,
      },
      { name: 'shutdown_failure_strategy "give_up"', mutate: (j) => (spec(j)["shutdown_failure_strategy"] = "give_up"), fields: [] },
      { name: 'shutdown_failure_strategy "delete"', mutate: (j) => (spec(j)["shutdown_failure_strategy"] = "delete"), fields: [] },
      {
        name: "an unknown shutdown_failure_strategy",
        mutate: (j) => (spec(j)["shutdown_failure_strategy"] = "retry"),
        fields: ["spec.shutdown_failure_strategy"],
      },
      { name: "shutdown_grace_time 0", mutate: (j) => (spec(j)["shutdown_grace_time"] = 0), fields: [] },
      { name: "a negative shutdown_grace_time", mutate: (j) => (spec(j)["shutdown_grace_time"] = -1), fields: ["spec.shutdown_grace_time"] },
      { name: "backoff 0 and backoff_limit 5", mutate: (j) => Object.assign(spec(j), { backoff: 0, backoff_delay: 0, backoff_limit: 5 }), fields: [] },
      { name: "a negative backoff", mutate: (j) => (spec(j)["backoff"] = -1), fields: ["spec.backoff"] },
      { name: "a fractional backoff", mutate: (j) => (spec(j)["backoff"] = 1.5), fields: ["spec.backoff"] },
      { name: "a negative backoff_delay", mutate: (j) => (spec(j)["backoff_delay"] = -1), fields: ["spec.backoff_delay"] },
      {
        name: "backoff_limit below -1",
        mutate: (j) => (spec(j)["backoff_limit"] = -2),
        fields: ["spec.backoff_limit"],
        message: /at least -1/,
      },
      { name: "unset backoff fields", mutate: (j) => ["backoff", "backoff_delay", "backoff_limit"].forEach((k) => delete spec(j)[k]), fields: [] },
    ]);
  });

  it("reports every error at once, in field order", () => {
    const app = Application.fromJSON(
      variant(base(), (j) => {
        Object.assign(spec(j), { csar: "ftp://x/a.csar", hooks: ["x"], backoff: -1, observer_schema: [observed({ kind: "Job" })] });
        delete manifest(j)[1]?.["kind"];
        at(j, "spec", "constraints", "cluster")["labels"] = ["bad"];
      }),
    );
    expect(fields(validateApplication(app))).to.deep.equal([
      "spec.csar",
      "spec.manifest[1].kind",
      "spec.observer_schema[0]",
      "spec.constraints.cluster.labels[0]",
      "spec.hooks[0]",
      "spec.backoff",
    ]);
  });
});

describe("validation: Cluster", () => {
  const base = () => fixture("cluster.json");
  const spec = (j: Json) => at(j, "spec");
  const kubeconfig = (j: Json) => at(j, "spec", "kubeconfig");
  const entry = (j: Json, list: string) => (kubeconfig(j)[list] as Json[])[0]!;
  const tosca = {
    tosca_definitions_version: "tosca_simple_yaml_1_2",
    topology_template: { outputs: { kubeconfig: { value: { get_attribute: ["front", "kubeconfig"] } } } },
  };

  it("requires spec", () => {
    const cluster = Cluster.fromJSON(variant(base(), (j) => delete j["spec"]));
    expect(validateCluster(cluster)).to.deep.equal([{ field: "spec", message: "is required" }]);
  });

  runCases(base, Cluster.fromJSON, validateCluster, [
    {
      name: "neither kubeconfig nor tosca",
      mutate: (j) => delete spec(j)["kubeconfig"],
      fields: ["spec"],
      message: /one of "kubeconfig" or "tosca"/,
    },
    { name: "empty kubeconfig and tosca", mutate: (j) => Object.assign(spec(j), { kubeconfig: {}, tosca: {} }), fields: ["spec"] },
    { name: "a TOSCA template only", mutate: (j) => Object.assign(spec(j), { kubeconfig: {}, tosca }), fields: [] },
    {
      name: "a TOSCA template without the kubeconfig output",
      mutate: (j) => Object.assign(spec(j), { kubeconfig: {}, tosca: { tosca_definitions_version: "v", topology_template: { outputs: {} } } }),
      fields: ["spec.tosca.topology_template.outputs.kubeconfig"],
    },
    {
      name: "a TOSCA template without version and outputs",
      mutate: (j) => (spec(j)["tosca"] = { topology_template: {} }),
      fields: ["spec.tosca.tosca_definitions_version", "spec.tosca.topology_template.outputs.kubeconfig"],
    },
    { name: "kubeconfig and TOSCA together", mutate: (j) => (spec(j)["tosca"] = tosca), fields: [] },
    {
      name: "two contexts",
      mutate: (j) => (kubeconfig(j)["contexts"] as Json[]).push({ name: "b", context: { cluster: "edge-1" } }),
      fields: ["spec.kubeconfig.contexts"],
      message: /exactly one context/,
    },
    { name: "no users", mutate: (j) => (kubeconfig(j)["users"] = []), fields: ["spec.kubeconfig.users"] },
    { name: "clusters that are not a list", mutate: (j) => (kubeconfig(j)["clusters"] = { name: "x" }), fields: ["spec.kubeconfig.clusters"] },
    { name: "a context without name", mutate: (j) => delete entry(j, "contexts")["name"], fields: ["spec.kubeconfig.contexts[0].name"] },
    { name: "a user that is not an object", mutate: (j) => (kubeconfig(j)["users"] = ["admin"]), fields: ["spec.kubeconfig.users[0]"] },
    {
      name: "a current-context naming another context",
      mutate: (j) => (kubeconfig(j)["current-context"] = "other"),
      fields: ['spec.kubeconfig["current-context"]'],
      message: /"edge-1"/,
    },
    { name: "no current-context", mutate: (j) => delete kubeconfig(j)["current-context"], fields: [] },
    {
      name: "a context naming another cluster",
      mutate: (j) => (entry(j, "contexts")["context"] = { cluster: "other", user: "admin" }),
      fields: ["spec.kubeconfig.contexts[0].context.cluster"],
    },
    {
      name: "a context naming another user",
      mutate: (j) => (entry(j, "contexts")["context"] = { cluster: "edge-1", user: "root" }),
      fields: ["spec.kubeconfig.contexts[0].context.user"],
    },
    {
      name: "a context without user",
      mutate: (j) => (entry(j, "contexts")["context"] = { cluster: "edge-1" }),
      fields: [],
    },
    { name: "a context without body", mutate: (j) => delete entry(j, "contexts")["context"], fields: ["spec.kubeconfig.contexts[0].context"] },
    {
      name: "a cluster without server",
      mutate: (j) => delete at(entry(j, "clusters"), "cluster")["server"],
      fields: ["spec.kubeconfig.clusters[0].cluster.server"],
    },
    {
      name: "invalid custom resources",
      mutate: (j) => (spec(j)["custom_resources"] = ["crontabs.stable.example.com", "crontabs"]),
      fields: ["spec.custom_resources[1]"],
    },
    {
      name: "metrics without name or weight",
      mutate: (j) => (spec(j)["metrics"] = [{ name: "heat-demand", weight: 1 }, { weight: 1 }, { name: "load" }, { name: "-x", weight: -2 }]),
      fields: ["spec.metrics[1].name", "spec.metrics[2].weight", "spec.metrics[3].name", "spec.metrics[3].weight"],
    },
    { name: "missing constraints (treated as empty)", mutate: (j) => delete spec(j)["constraints"], fields: [] },
    {
      name: "valid cloud constraints",
      mutate: (j) => (spec(j)["constraints"] = { cloud: { labels: ["location is DE"], metrics: ["load lte 0.5"] } }),
      fields: [],
    },
    {
      name: "invalid cloud constraints",
      mutate: (j) => (spec(j)["constraints"] = { cloud: { labels: ["location is"], metrics: ["load is high"] } }),
      fields: ["spec.constraints.cloud.labels[0]", "spec.constraints.cloud.metrics[0]"],
    },
    {
      name: "invalid backoff fields",
      mutate: (j) => Object.assign(spec(j), { backoff: -1, backoff_delay: -5, backoff_limit: -3 }),
      fields: ["spec.backoff", "spec.backoff_delay", "spec.backoff_limit"],
    },
  ]);
});

describe("validation: Metric and GlobalMetric", () => {
  const base = () => fixture("globalmetric.json");
  const spec = (j: Json) => at(j, "spec");
  const cases: Case[] = [
    { name: "allowed values", mutate: (j) => (spec(j)["allowed_values"] = [0, 0.5, 1]), fields: [] },
    { name: "a negative range", mutate: (j) => Object.assign(spec(j), { min: -10, max: -1 }), fields: [] },
    { name: "a missing provider", mutate: (j) => delete spec(j)["provider"], fields: ["spec.provider"] },
    {
      name: "a provider without name and metric",
      mutate: (j) => (spec(j)["provider"] = {}),
      fields: ["spec.provider.name", "spec.provider.metric"],
      message: /is required/,
    },
    {
      name: "invalid provider names",
      mutate: (j) => (spec(j)["provider"] = { name: "bad name", metric: "-m" }),
      fields: ["spec.provider.name", "spec.provider.metric"],
    },
    { name: "a Prometheus-style metric name", mutate: (j) => (at(j, "spec", "provider")["metric"] = "node:cpu_seconds_total"), fields: [] },
    {
      name: "min equal to max",
      mutate: (j) => Object.assign(spec(j), { min: 1, max: 1 }),
      fields: ["spec.max"],
      message: /^min must be less than max$/,
    },
    { name: "min above max", mutate: (j) => Object.assign(spec(j), { min: 2, max: 1 }), fields: ["spec.max"] },
    { name: "a non-numeric min", mutate: (j) => (spec(j)["min"] = "low"), fields: ["spec.min"] },
    { name: "a non-numeric max", mutate: (j) => (spec(j)["max"] = "high"), fields: ["spec.max"] },
    {
      name: "non-numeric allowed values",
      mutate: (j) => (spec(j)["allowed_values"] = [1, "x"]),
      fields: ["spec.allowed_values[1]"],
    },
  ];
  it("requires spec", () => {
    const metric = GlobalMetric.fromJSON(variant(base(), (j) => delete j["spec"]));
    expect(validateMetric(metric)).to.deep.equal([{ field: "spec", message: "is required" }]);
  });
  describe("GlobalMetric", () => runCases(base, GlobalMetric.fromJSON, validateMetric, cases));
  describe("Metric", () => runCases(base, Metric.fromJSON, validateMetric, cases));
});

describe("validation: MetricsProvider and GlobalMetricsProvider", () => {
  const prometheus = () => fixture("globalmetricsprovider.json");
  const staticProvider = () => fixture("globalmetricsprovider-static.json");
  const withSpec = (value: Json) => (j: Json) => (j["spec"] = value);
  const influx = { url: "https://influx.example:8086", token: "t", org: "o", bucket: "b" };
  const kafka = { url: "http://ksql.example:8088", comparison_column: "name", value_column: "value", table: "metrics" };

  it("requires spec", () => {
    const provider = GlobalMetricsProvider.fromJSON(variant(prometheus(), (j) => delete j["spec"]));
    expect(validateMetricsProvider(provider)).to.deep.equal([{ field: "spec", message: "is required" }]);
  });

  const cases: Case[] = [
    { name: "an unknown type", mutate: withSpec({ type: "graphite" }), fields: ["spec.type"], message: /"prometheus", "influx", "kafka", "static"/ },
    { name: "a missing type", mutate: withSpec({ prometheus: { url: "http://p:9090" } }), fields: ["spec.type"] },
    { name: "a type without its variant", mutate: withSpec({ type: "prometheus" }), fields: ["spec.prometheus"], message: /is required when type is "prometheus"/ },
    {
      name: "another variant set too",
      mutate: withSpec({ type: "prometheus", prometheus: { url: "http://p:9090" }, static: { metrics: {} } }),
      fields: ["spec.static"],
      message: /must not be set when type is "prometheus"/,
    },
    {
      name: "only another variant",
      mutate: withSpec({ type: "kafka", influx }),
      fields: ["spec.influx", "spec.kafka"],
    },
    { name: "a Prometheus without url", mutate: withSpec({ type: "prometheus", prometheus: {} }), fields: ["spec.prometheus.url"] },
    {
      name: "a Prometheus URL with another scheme",
      mutate: withSpec({ type: "prometheus", prometheus: { url: "ftp://p:9090" } }),
      fields: ["spec.prometheus.url"],
      message: /http or https URL/,
    },
    { name: "a Prometheus URL that is not a URL", mutate: withSpec({ type: "prometheus", prometheus: { url: "prometheus:9090/x" } }), fields: ["spec.prometheus.url"] },
    { name: "an InfluxDB provider", mutate: withSpec({ type: "influx", influx }), fields: [] },
    {
      name: "an InfluxDB provider without token, org and bucket",
      mutate: withSpec({ type: "influx", influx: { url: "https://influx.example" } }),
      fields: ["spec.influx.token", "spec.influx.org", "spec.influx.bucket"],
    },
    { name: "an InfluxDB provider with a bad URL", mutate: withSpec({ type: "influx", influx: { ...influx, url: "influx" } }), fields: ["spec.influx.url"] },
    { name: "a Kafka provider", mutate: withSpec({ type: "kafka", kafka }), fields: [] },
    {
      name: "a Kafka provider without url and columns",
      mutate: withSpec({ type: "kafka", kafka: { table: "t" } }),
      fields: ["spec.kafka.url", "spec.kafka.comparison_column", "spec.kafka.value_column"],
    },
    { name: "a Kafka provider without table", mutate: withSpec({ type: "kafka", kafka: { ...kafka, table: "" } }), fields: ["spec.kafka.table"] },
    { name: "a static provider without metrics", mutate: withSpec({ type: "static", static: {} }), fields: [] },
    {
      name: "a static provider with a non-numeric value",
      mutate: withSpec({ type: "static", static: { metrics: { load: 0.5, cost: "high" } } }),
      fields: ['spec.static.metrics["cost"]'],
      message: /finite number/,
    },
    {
      name: "a static provider with an empty metric name",
      mutate: withSpec({ type: "static", static: { metrics: { "": 1 } } }),
      fields: ['spec.static.metrics[""]'],
    },
  ];
  describe("GlobalMetricsProvider", () => runCases(prometheus, GlobalMetricsProvider.fromJSON, validateMetricsProvider, cases));
  describe("MetricsProvider", () => runCases(staticProvider, MetricsProvider.fromJSON, validateMetricsProvider, cases));
});

describe("validation: Role", () => {
  const base = () => fixture("role.yaml");
  const rule = (j: Json, i = 0) => (j["rules"] as Json[])[i]!;
  runCases(base, Role.fromJSON, validateRole, [
    { name: "no rules", mutate: (j) => (j["rules"] = []), fields: [] },
    { name: "every verb", mutate: (j) => (rule(j)["verbs"] = ["create", "list", "list_all", "get", "update", "delete", "watch", "*"]), fields: [] },
    { name: "wildcard api, resources and namespaces", mutate: (j) => Object.assign(rule(j), { api: "", resources: ["", "*"], namespaces: ["", "*"] }), fields: [] },
    { name: 'api "*"', mutate: (j) => (rule(j)["api"] = "*"), fields: [] },
    { name: "no namespaces (global requests only)", mutate: (j) => (rule(j)["namespaces"] = []), fields: [] },
    { name: "no verbs", mutate: (j) => (rule(j)["verbs"] = []), fields: ["rules[0].verbs"], message: /must not be empty/ },
    {
      name: "unknown verbs",
      mutate: (j) => (rule(j, 1)["verbs"] = ["get", "patch", "LIST"]),
      fields: ["rules[1].verbs[1]", "rules[1].verbs[2]"],
      message: /"create", "list", "list_all", "get", "update", "delete", "watch", "\*"/,
    },
    { name: "no resources", mutate: (j) => (rule(j)["resources"] = []), fields: ["rules[0].resources"] },
    {
      name: "invalid resources",
      mutate: (j) => (rule(j)["resources"] = ["applications/status/x", "bad resource", "/status"]),
      fields: ["rules[0].resources[0]", "rules[0].resources[1]", "rules[0].resources[2]"],
    },
    { name: "an invalid api", mutate: (j) => (rule(j)["api"] = "bad api"), fields: ["rules[0].api"] },
    { name: "an invalid namespace", mutate: (j) => (rule(j, 1)["namespaces"] = ["team-a", "bad ns"]), fields: ["rules[1].namespaces[1]"] },
  ]);
});

describe("validation: RoleBinding", () => {
  const base = () => fixture("rolebinding.yaml");
  runCases(base, RoleBinding.fromJSON, validateRoleBinding, [
    { name: "several users and roles", mutate: (j) => Object.assign(j, { users: ["alice", "CN=bob", "carol@example.com"], roles: ["a", "b:c"] }), fields: [] },
    { name: "no users", mutate: (j) => (j["users"] = []), fields: ["users"], message: /must not be empty/ },
    { name: "an empty user", mutate: (j) => (j["users"] = ["alice", "", " "]), fields: ["users[1]", "users[2]"] },
    { name: "no roles", mutate: (j) => delete j["roles"], fields: ["roles"] },
    { name: "invalid role names", mutate: (j) => (j["roles"] = ["ok", "", "bad role"]), fields: ["roles[1]", "roles[2]"] },
  ]);
});

describe("validation: robustness", () => {
  it("never throws on malformed input", () => {
    const junk = [null, 5, "x", [], { a: undefined }];
    const app = {
      spec: {
        manifest: junk,
        observerSchema: junk,
        tosca: [],
        hooks: [],
        constraints: { cluster: { labels: [5], customResources: [null], metrics: [undefined] } },
      },
    } as unknown as Application;
    expect(() => validateApplication(app)).not.to.throw();
    const cluster = {
      spec: { kubeconfig: { contexts: [null], users: "x", clusters: [{ name: 5 }] }, tosca: { topology_template: 5 }, metrics: [] },
    } as unknown as Cluster;
    expect(() => validateCluster(cluster)).not.to.throw();
    const provider = { spec: { type: "static", static: { metrics: { a: null } } } } as unknown as MetricsProvider;
    expect(fields(validateMetricsProvider(provider))).to.deep.equal(['spec.static.metrics["a"]']);
    expect(() => validateMetadata({ name: "a", labels: { a: 5 } } as unknown as Metadata, { namespaced: false })).not.to.throw();
  });

  it("does not mutate its input (objects are frozen in every case above)", () => {
    const app = deepFreeze(Application.fromJSON(fixture("application.json")));
    const before = JSON.stringify(Application.toJSON(app));
    validateApplication(app);
    validateMetadata(app.metadata, { namespaced: true });
    expect(JSON.stringify(Application.toJSON(app))).to.equal(before);
  });
});
