import type { FieldError } from "../../errors/api-error.js";
import { stateReader } from "../../kinds/index.js";
import type { GeneratedKind } from "../../kinds/index.js";
import type { Action, KindDescription, KrakeObject, Subresource } from "../objects/kind.js";
import { validateMetadata } from "../registry/validation/metadata.js";

/** What the server adds to a subresource the proto declares: its rule. */
export type SubresourceHooks<T extends KrakeObject> = Pick<Subresource<T>, "apply" | "rbacResource">;

/** What the server adds to an action the proto declares: what it computes. */
export type ActionHooks<T extends KrakeObject> = Pick<Action<T>, "run">;

/**
 * The server's part of a kind, on top of the generated table entry: every
 * hook is optional except a rule for each subresource the proto declares.
 */
export interface ServerHooks<T extends KrakeObject> {
  /** The kind's own checks; the shared metadata rules always run first. */
  validate?: (obj: T) => FieldError[];
  prepareForCreate?: (obj: T) => void;
  /** See KindDescription.prepareForDelete. */
  prepareForDelete?: (obj: T) => void;
  /** See KindDescription.changedImmutableField. */
  changedImmutableField?: (next: T, current: T) => string | undefined;
  /** By subresource name ("binding"). */
  subresources?: Record<string, SubresourceHooks<T>>;
  /** By action name ("schedule"). */
  actions?: Record<string, ActionHooks<T>>;
}

/**
 * A kind as the registry serves it: names, scope, codec, service, status and
 * state from the generated table, hooks from the kind's own module. A
 * subresource or an action without a rule, or a rule for one the proto does
 * not declare, is a startup error.
 */
export function serverKind<T extends KrakeObject>(info: GeneratedKind<T>, hooks: ServerHooks<T> = {}): KindDescription<T> {
  const subresources = declaredRules(info, "subresource", info.subresources, hooks.subresources).map(
    ([s, rule]): Subresource<T> => ({ name: s.name, verb: s.verb, bodyField: s.bodyField, ...rule }),
  );
  const actions = declaredRules(info, "action", info.actions, hooks.actions).map(
    ([a, rule]): Action<T> => ({ name: a.name, verb: a.verb, bodyField: a.bodyField, takesObject: a.takesObject, ...rule }),
  );
  const validateKind = hooks.validate;
  return {
    api: info.api,
    kind: info.kind,
    plural: info.plural,
    namespaced: info.namespaced,
    codec: info.codec,
    service: info.service,
    bodyField: info.bodyField,
    // ts-proto fills a message's defaults from an empty partial: a fresh status, whatever its fields.
    emptyStatus: info.status ? () => (info.codec.fromPartial({ status: {} }) as { status?: unknown }).status : undefined,
    stateName: stateReader<T>(info.state),
    setState: info.state ? stateWriter<T>(info.state) : undefined,
    subresources: subresources.length ? subresources : undefined,
    actions: actions.length ? actions : undefined,
    prepareForCreate: hooks.prepareForCreate,
    prepareForDelete: hooks.prepareForDelete,
    changedImmutableField: hooks.changedImmutableField,
    validate: (obj) => [...validateMetadata(obj.metadata, { namespaced: info.namespaced }), ...(validateKind?.(obj) ?? [])],
  };
}

/** Each declared method with its rule; a rule for an undeclared method, or a method without one, throws. */
function declaredRules<D extends { name: string; rpc: string }, R>(
  info: { kind: string; typeName: string },
  what: "subresource" | "action",
  declared: readonly D[],
  rules: Record<string, R> | undefined,
): [D, R][] {
  const names = new Set(declared.map((d) => d.name));
  for (const name of Object.keys(rules ?? {})) {
    if (!names.has(name)) throw new Error(`${info.kind}: a rule for ${what} "${name}", which ${info.typeName}'s service does not declare`);
  }
  return declared.map((d) => {
    const rule = rules?.[d.name];
    if (!rule) throw new Error(`${info.kind}: the service declares ${d.rpc} but the server has no rule for "${d.name}"`);
    return [d, rule];
  });
}

/** Sets status.state by its enum name, when the enum has that name. */
function stateWriter<T>(state: { readonly names: readonly string[]; fromName(name: unknown): number }): (obj: T, name: string) => boolean {
  return (obj, name) => {
    const status = (obj as { status?: { state?: number } }).status;
    if (!status || !state.names.includes(name)) return false;
    status.state = state.fromName(name);
    return true;
  };
}
