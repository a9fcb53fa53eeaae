/**
 * Finds the kinds among the services and derives each one's table entry from
 * the descriptors alone.
 *
 * A kind is a service `<K>Service` with the methods `Create<K>` and `Get<K>`,
 * K being the name of Get's output message. The google.api.http rule of
 * Create<K> gives the API group (first path segment), the plural (last path
 * segment), whether the kind is namespaced (a `{namespace}` variable) and the
 * request field that carries the object (the rule's body). Every other unary
 * method (besides Create, Get, List, Update, Delete, Watch and Update<K>Status)
 * is named by the last segment of its rule and is
 * - a subresource when it answers with the kind's message: a write to one
 *   object through the server's rule for it (BindApplication);
 * - an action when it answers with any other message: a call that computes an
 *   answer and writes nothing (ScheduleApplication, the scheduler's dry run).
 *
 * A service that looks like a kind but whose rules do not say these things is
 * an error, so that a new proto is either in the table or fails `make gen`.
 */
import type { DescEnum, DescExtension, DescField, DescMessage, DescMethod, DescService } from "@bufbuild/protobuf";
import { resolveFieldPath } from "../../protoc-gen-krake-openapi/src/shared/descriptors.js";
import { httpBindings, httpRuleExtension } from "../../protoc-gen-krake-openapi/src/shared/http-rules.js";
import type { HttpBinding } from "../../protoc-gen-krake-openapi/src/shared/http-rules.js";
import type { PathSegment } from "../../protoc-gen-krake-openapi/src/shared/path-template.js";

export interface Subresource {
  /** Last path segment of the method's rule: "binding". */
  readonly name: string;
  /** The method: BindApplication. */
  readonly method: DescMethod;
  /** The method's name without the trailing kind name: "Bind". */
  readonly verb: string;
  /** The request field the rule's body names; undefined for no body ("") or the whole request ("*"). */
  readonly bodyField: DescField | undefined;
}

/**
 * A unary method that answers with another message than the kind's: it
 * computes an answer from the server's state and writes nothing.
 */
export interface Action {
  /** Last path segment of the method's rule: "schedule". */
  readonly name: string;
  readonly method: DescMethod;
  /** The method's name without the trailing kind name: "Schedule". */
  readonly verb: string;
  /** The request field the rule's body names; undefined for no body ("") or the whole request ("*"). */
  readonly bodyField: DescField | undefined;
  /** The body field carries the kind's message (the server prepares and validates it as Create does). */
  readonly takesObject: boolean;
}

export interface Kind {
  /** K: "Application". */
  readonly name: string;
  readonly message: DescMessage;
  readonly service: DescService;
  /** First path segment of the Create rule: "kubernetes". */
  readonly api: string;
  /** Last path segment of the Create rule: "applications". */
  readonly plural: string;
  /** The Create rule's path has a `{namespace}` variable. */
  readonly namespaced: boolean;
  /** The field of the Create request that the rule's body names. */
  readonly bodyField: DescField;
  /** The service has Update<K>Status. */
  readonly status: boolean;
  /** In declaration order. */
  readonly subresources: readonly Subresource[];
  /** In declaration order. */
  readonly actions: readonly Action[];
  /** The enum of the message's `status.state`, if it has one. */
  readonly state: DescEnum | undefined;
}

interface Candidate {
  readonly name: string;
  readonly service: DescService;
  readonly create: DescMethod;
  readonly get: DescMethod;
}

const serviceSuffix = "Service";

function methodNamed(service: DescService, name: string): DescMethod | undefined {
  return service.methods.find((m) => m.name === name);
}

/** `<K>Service` with `Create<K>` and `Get<K>`; undefined for every other service. */
function candidateOf(service: DescService): Candidate | undefined {
  if (!service.name.endsWith(serviceSuffix)) return undefined;
  const name = service.name.slice(0, -serviceSuffix.length);
  if (name === "") return undefined;
  const create = methodNamed(service, `Create${name}`);
  const get = methodNamed(service, `Get${name}`);
  return create && get ? { name, service, create, get } : undefined;
}

/** Create, Get, Update, Delete, Update<K>Status, and List/Watch of the plural. */
function isStandardMethod(method: DescMethod, name: string): boolean {
  const singular = [`Create${name}`, `Get${name}`, `Update${name}`, `Delete${name}`, `Update${name}Status`];
  if (singular.includes(method.name)) return true;
  const plurals = [name, `${name}s`, `${name}es`];
  if (name.endsWith("y")) plurals.push(`${name.slice(0, -1)}ies`);
  return plurals.some((p) => method.name === `List${p}` || method.name === `Watch${p}`);
}

/** The method's own rule (not its additional bindings). */
function ruleOf(method: DescMethod, extension: DescExtension | undefined): HttpBinding {
  if (!extension) throw new Error(`the request has no ${httpRuleExtension} extension (google/api/annotations.proto is not imported)`);
  const [rule] = httpBindings(method, extension);
  if (!rule) throw new Error(`${method.name} has no ${httpRuleExtension} rule`);
  return rule;
}

function literal(segment: PathSegment | undefined): string | undefined {
  return segment?.kind === "literal" ? segment.value : undefined;
}

/** The last path segment, which must be a literal. */
function lastLiteral(method: DescMethod, rule: HttpBinding): string {
  const { template } = rule;
  if (template.verb !== "") throw new Error(`${method.name}: the rule path "${template.raw}" has a custom verb; the name must be its last path segment`);
  const last = literal(template.segments[template.segments.length - 1]);
  if (last === undefined) throw new Error(`${method.name}: the rule path "${template.raw}" does not end with a literal segment`);
  return last;
}

/** The top-level request field that a body names. */
function bodyFieldOf(method: DescMethod, rule: HttpBinding): DescField {
  if (rule.body.includes(".")) throw new Error(`${method.name}: the rule's body "${rule.body}" is not a top-level field`);
  const [field] = resolveFieldPath(method.input, rule.body);
  if (!field) throw new Error(`${method.name}: the rule's body names no field`);
  return field;
}

function stateEnumOf(message: DescMessage): DescEnum | undefined {
  const status = message.fields.find((f) => f.name === "status");
  if (status?.fieldKind !== "message") return undefined;
  const state = status.message.fields.find((f) => f.name === "state");
  return state?.fieldKind === "enum" ? state.enum : undefined;
}

/** A method the kind's message answers: a subresource. */
function answersWithKind(method: DescMethod, message: DescMessage): boolean {
  return method.output === message;
}

function subresourceOf(method: DescMethod, name: string, extension: DescExtension | undefined): Subresource {
  if (!method.name.endsWith(name) || method.name === name) {
    throw new Error(`${method.name}: a subresource method must be named <Verb>${name}`);
  }
  const rule = ruleOf(method, extension);
  return {
    name: lastLiteral(method, rule),
    method,
    verb: method.name.slice(0, -name.length),
    bodyField: rule.body === "" || rule.body === "*" ? undefined : bodyFieldOf(method, rule),
  };
}

function actionOf(method: DescMethod, kind: DescMessage, extension: DescExtension | undefined): Action {
  if (!method.name.endsWith(kind.name) || method.name === kind.name) {
    throw new Error(`${method.name}: an action method must be named <Verb>${kind.name}`);
  }
  const { name, verb, bodyField } = subresourceOf(method, kind.name, extension);
  return { name, method, verb, bodyField, takesObject: bodyField?.fieldKind === "message" && bodyField.message === kind };
}

function deriveKind({ name, service, create, get }: Candidate, extension: DescExtension | undefined): Kind {
  const message = get.output;
  if (message.name !== name) throw new Error(`Get${name} returns ${message.typeName}, not a message named ${name}`);
  if (create.output !== message) throw new Error(`Create${name} returns ${create.output.typeName}, not ${message.typeName}`);
  if (create.methodKind !== "unary" || get.methodKind !== "unary") throw new Error(`Create${name} and Get${name} must be unary`);

  const rule = ruleOf(create, extension);
  if (rule.method !== "POST") throw new Error(`Create${name}: the rule is ${rule.method} "${rule.template.raw}", not POST`);
  const api = literal(rule.template.segments[0]);
  if (api === undefined) throw new Error(`Create${name}: the rule path "${rule.template.raw}" does not start with a literal segment (the API group)`);
  if (rule.body === "" || rule.body === "*") throw new Error(`Create${name}: the rule's body must name the request field that carries the ${name}, not "${rule.body}"`);
  const bodyField = bodyFieldOf(create, rule);
  if (bodyField.fieldKind !== "message" || bodyField.message !== message) {
    throw new Error(`Create${name}: the rule's body "${rule.body}" is not a field of type ${message.typeName}`);
  }

  const others = service.methods.filter((m) => m.methodKind === "unary" && !isStandardMethod(m, name));
  const names = new Map<string, string>();
  for (const m of others) {
    const segment = lastLiteral(m, ruleOf(m, extension));
    const other = names.get(segment);
    if (other) throw new Error(`${other} and ${m.name} both end their rules with "${segment}"`);
    names.set(segment, m.name);
  }
  return {
    name,
    message,
    service,
    api,
    plural: lastLiteral(create, rule),
    namespaced: rule.template.segments.some((s) => s.kind === "variable" && s.field === "namespace"),
    bodyField,
    status: methodNamed(service, `Update${name}Status`) !== undefined,
    subresources: others.filter((m) => answersWithKind(m, message)).map((m) => subresourceOf(m, name, extension)),
    actions: others.filter((m) => !answersWithKind(m, message)).map((m) => actionOf(m, message, extension)),
    state: stateEnumOf(message),
  };
}

/** The kinds among `services`, in the order given. */
export function findKinds(services: readonly DescService[], extension: DescExtension | undefined): Kind[] {
  const kinds: Kind[] = [];
  for (const service of services) {
    const candidate = candidateOf(service);
    if (!candidate) continue;
    try {
      kinds.push(deriveKind(candidate, extension));
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new Error(
        `${service.typeName} looks like a kind (it has Create${candidate.name} and Get${candidate.name}), but its table entry cannot be derived: ${why}`,
        { cause },
      );
    }
  }
  // The table is keyed by kind name and by route; two services may share neither.
  const seen = new Map<string, Kind>();
  for (const kind of kinds) {
    for (const key of [`kind ${kind.name}`, `route /${kind.api}/…/${kind.plural}`]) {
      const other = seen.get(key);
      if (other) throw new Error(`${other.service.typeName} and ${kind.service.typeName} both define ${key}`);
      seen.set(key, kind);
    }
  }
  return kinds;
}
