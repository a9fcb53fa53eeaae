/**
 * The kind table (gen/kinds.ts) that protoc-gen-krake-kinds derives from the
 * services and their google.api.http rules: the entries of Application and
 * RoleBinding, one entry for every service with Create<K>/Get<K> (found here
 * from gen/krake.binpb directly), names that are ts-proto's real exports and
 * properties, and the errors for a service that looks like a kind but whose
 * rules say too little.
 */
import { readFileSync } from "node:fs";
import { clearExtension, clone, create, fromBinary, setExtension } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type { CodeGeneratorRequest, MethodDescriptorProto, MethodOptions } from "@bufbuild/protobuf/wkt";
import { expect } from "chai";
import { applicationKind, generatedKinds, roleBindingKind } from "../../gen/kinds.js";
import type { GeneratedKind } from "../../gen/kinds.js";
import { ApplicationStatus_State } from "../../gen/krake/kubernetes/v1/application.js";
import { kindsPlugin } from "../../tools/protoc-gen-krake-kinds/src/plugin.js";
import { httpExtension, loadRegistry, root, servicesOf } from "./descriptors.js";

const registry = loadRegistry();
const ext = httpExtension(registry);
const httpRule = registry.getMessage("google.api.HttpRule") as DescMessage;
const set = fromBinary(FileDescriptorSetSchema, readFileSync(new URL("gen/krake.binpb", root)));

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

/** The request and response codecs of a method of ts-proto's generic service definition. */
function definitionMethod(kind: GeneratedKind, rpc: string): { requestType: { fromPartial(o: unknown): object } } {
  const method = kind.definition.methods[lowerFirst(rpc)] as { requestType: { fromPartial(o: unknown): object } } | undefined;
  if (!method) throw new Error(`${kind.definition.fullName} has no ${rpc} in its generic definition`);
  return method;
}

/** The request buf sends the plugin: every Krake proto to generate, with gen/krake.binpb's files. */
function pluginRequest(edit?: (methods: MethodDescriptorProto[]) => void): CodeGeneratorRequest {
  const files = set.file.map((f) => clone(FileDescriptorProtoSchema, f));
  if (edit) {
    const service = files.find((f) => f.name === "krake/kubernetes/v1/application.proto")?.service.find((s) => s.name === "ApplicationService");
    if (!service) throw new Error("gen/krake.binpb has no krake.kubernetes.v1.ApplicationService");
    edit(service.method);
  }
  return create(CodeGeneratorRequestSchema, {
    fileToGenerate: files.map((f) => f.name).filter((n) => n.startsWith("krake/")),
    parameter: "target=ts,import_suffix=.js",
    protoFile: files,
  });
}

function optionsOf(methods: MethodDescriptorProto[], name: string): MethodOptions {
  const options = methods.find((m) => m.name === name)?.options;
  if (!options) throw new Error(`ApplicationService has no ${name} with options`);
  return options;
}

function setRule(methods: MethodDescriptorProto[], name: string, rule: Record<string, unknown>): void {
  setExtension(optionsOf(methods, name), ext, create(httpRule, rule as never));
}

describe("codegen: the kind table (protoc-gen-krake-kinds)", () => {
  it("derives Application from its service and http rules", () => {
    expect(applicationKind).to.include({
      api: "kubernetes",
      kind: "Application",
      plural: "applications",
      clientKey: "applications",
      namespaced: true,
      typeName: "krake.kubernetes.v1.Application",
      bodyField: "application",
      status: true,
    });
    expect(applicationKind.definition.fullName).to.equal("krake.kubernetes.v1.ApplicationService");
    expect(Object.keys(applicationKind.service)).to.include("createApplication");
    expect(applicationKind.subresources).to.deep.equal([
      { name: "binding", rpc: "BindApplication", verb: "Bind", bodyField: "binding" },
      { name: "complete", rpc: "CompleteApplication", verb: "Complete", bodyField: "complete" },
      { name: "shutdown", rpc: "ShutdownApplication", verb: "Shutdown", bodyField: "shutdown" },
      { name: "retry", rpc: "RetryApplication", verb: "Retry", bodyField: undefined },
    ]);
    // ScheduleApplication answers with a SchedulingDecision, not an Application: an action, not a subresource.
    expect(applicationKind.actions).to.deep.equal([
      {
        name: "schedule", rpc: "ScheduleApplication", verb: "Schedule", bodyField: "application", takesObject: true,
        responseType: "krake.kubernetes.v1.SchedulingDecision",
      },
    ]);
    const { state } = applicationKind;
    expect(state.names).to.include("RUNNING");
    expect(state.names[0]).to.equal("PENDING");
    expect(state.fromName("RUNNING")).to.equal(ApplicationStatus_State.RUNNING);
    expect(state.toName(ApplicationStatus_State.RUNNING)).to.equal("RUNNING");
    const decoded = applicationKind.codec.fromJSON({ api: "kubernetes", kind: "Application", status: { state: "RUNNING" } });
    expect(decoded.status?.state).to.equal(ApplicationStatus_State.RUNNING);
  });

  it("derives RoleBinding as a global kind", () => {
    expect(roleBindingKind).to.include({
      api: "core",
      kind: "RoleBinding",
      plural: "rolebindings",
      clientKey: "roleBindings",
      namespaced: false,
      typeName: "krake.core.v1.RoleBinding",
      bodyField: "roleBinding",
      status: false,
      state: undefined,
    });
    expect(roleBindingKind.subresources).to.deep.equal([]);
    expect(roleBindingKind.actions).to.deep.equal([]);
  });

  it("has one entry per service with Create<K> and Get<K>, with ts-proto's names", () => {
    const expected = servicesOf(registry).flatMap((service) =>
      service.methods
        .filter((m) => m.name.startsWith("Create") && service.methods.some((g) => g.name === `Get${m.name.slice("Create".length)}`))
        .map((m) => ({ kind: m.name.slice("Create".length), service: service.typeName, typeName: m.output.typeName })),
    );
    expect(expected.map((e) => e.kind)).to.have.members([
      "Role",
      "RoleBinding",
      "Metric",
      "GlobalMetric",
      "MetricsProvider",
      "GlobalMetricsProvider",
      "Lease",
      "Application",
      "Cluster",
      "GlobalInfrastructureProvider",
      "InfrastructureProvider",
      "GlobalCloud",
      "Cloud",
      "Project",
      "MagnumCluster",
    ]);
    const table: readonly GeneratedKind[] = generatedKinds;
    expect(table.map((k) => ({ kind: k.kind, service: k.definition.fullName, typeName: k.typeName }))).to.have.deep.members(expected);
    for (const kind of table) {
      // bodyField is a property of ts-proto's Create request, and every subresource is a method of the service.
      expect(definitionMethod(kind, `Create${kind.kind}`).requestType.fromPartial({}), kind.kind).to.have.property(kind.bodyField);
      for (const sub of [...kind.subresources, ...kind.actions]) {
        const request = definitionMethod(kind, sub.rpc).requestType.fromPartial({});
        if (sub.bodyField !== undefined) expect(request, sub.rpc).to.have.property(sub.bodyField);
      }
      expect(kind.codec.toJSON(kind.codec.fromPartial({})), kind.kind).to.be.an("object");
      expect(kind.clientKey).to.equal(`${lowerFirst(kind.kind)}s`);
    }
  });

  it("writes gen/kinds.ts exactly as run in-process on gen/krake.binpb", () => {
    const [file, ...more] = kindsPlugin.run(pluginRequest()).file;
    expect(more).to.deep.equal([]);
    expect(file?.name).to.equal("kinds.ts");
    expect(file?.content).to.equal(readFileSync(new URL("gen/kinds.ts", root), "utf8"));
  });

  const failures: { what: string; edit: (methods: MethodDescriptorProto[]) => void; error: RegExp }[] = [
    {
      what: "Create<K> has no http rule",
      edit: (methods) => clearExtension(optionsOf(methods, "CreateApplication"), ext),
      error: /CreateApplication has no google\.api\.http rule/,
    },
    {
      what: "the Create body is the whole request",
      edit: (methods) => setRule(methods, "CreateApplication", { pattern: { case: "post", value: "/kubernetes/namespaces/{namespace}/applications" }, body: "*" }),
      error: /CreateApplication: the rule's body must name the request field that carries the Application, not "\*"/,
    },
    {
      what: "the Create path does not start with the API group",
      edit: (methods) => setRule(methods, "CreateApplication", { pattern: { case: "post", value: "/{namespace}/applications" }, body: "application" }),
      error: /does not start with a literal segment/,
    },
    {
      what: "a subresource has no http rule",
      edit: (methods) => clearExtension(optionsOf(methods, "RetryApplication"), ext),
      error: /RetryApplication has no google\.api\.http rule/,
    },
    {
      what: "a subresource path ends with a variable",
      edit: (methods) => setRule(methods, "RetryApplication", { pattern: { case: "put", value: "/kubernetes/namespaces/{namespace}/applications/{name}" }, body: "*" }),
      error: /RetryApplication: the rule path ".*" does not end with a literal segment/,
    },
    {
      what: "an action path ends with a variable",
      edit: (methods) => setRule(methods, "ScheduleApplication", { pattern: { case: "post", value: "/kubernetes/namespaces/{namespace}/applications/{name}" }, body: "application" }),
      error: /ScheduleApplication: the rule path ".*" does not end with a literal segment/,
    },
    {
      what: "an action and a subresource end their rules with the same segment",
      edit: (methods) => setRule(methods, "ScheduleApplication", { pattern: { case: "post", value: "/kubernetes/namespaces/{namespace}/applications/-/retry" }, body: "application" }),
      error: /RetryApplication and ScheduleApplication both end their rules with "retry"/,
    },
  ];
  for (const { what, edit, error } of failures) {
    it(`fails generation when ${what}`, () => {
      const run = (): unknown => kindsPlugin.run(pluginRequest(edit));
      expect(run).to.throw(/krake\.kubernetes\.v1\.ApplicationService looks like a kind \(it has CreateApplication and GetApplication\)/);
      expect(run).to.throw(error);
    });
  }
});
