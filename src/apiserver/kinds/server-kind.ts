import type { FieldError } from "../../errors/api-error.js";
import { stateReader } from "../../kinds/index.js";
import type { GeneratedKind } from "../../kinds/index.js";
import type { KindDescription, KrakeObject, Subresource } from "../objects/kind.js";
import { validateMetadata } from "../registry/validation/metadata.js";

/** What the server adds to a subresource the proto declares: its rule. */
export type SubresourceHooks<T extends KrakeObject> = Pick<Subresource<T>, "apply" | "rbacResource">;

/**
 * The server's part of a kind, on top of the generated table entry: every
 * hook is optional except a rule for each subresource the proto declares.
 */
export interface ServerHooks<T extends KrakeObject> {
  /** The kind's own checks; the shared metadata rules always run first. */
  validate?: (obj: T) => FieldError[];
  prepareForCreate?: (obj: T) => void;
  /** See KindDescription.changedImmutableField. */
  changedImmutableField?: (next: T, current: T) => string | undefined;
  /** By subresource name ("binding"). */
  subresources?: Record<string, SubresourceHooks<T>>;
}

/**
 * A kind as the registry serves it: names, scope, codec, service, status and
 * state from the generated table, hooks from the kind's own module. A
 * subresource without a rule, or a rule for one the proto does not declare,
 * is a startup error.
 */
export function serverKind<T extends KrakeObject>(info: GeneratedKind<T>, hooks: ServerHooks<T> = {}): KindDescription<T> {
  const declared = new Set(info.subresources.map((s) => s.name));
  for (const name of Object.keys(hooks.subresources ?? {})) {
    if (!declared.has(name)) throw new Error(`${info.kind}: a rule for subresource "${name}", which ${info.typeName}'s service does not declare`);
  }
  const subresources = info.subresources.map((s): Subresource<T> => {
    const rule = hooks.subresources?.[s.name];
    if (!rule) throw new Error(`${info.kind}: the service declares ${s.rpc} but the server has no rule for "${s.name}"`);
    return { name: s.name, verb: s.verb, bodyField: s.bodyField, ...rule };
  });
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
    subresources: subresources.length ? subresources : undefined,
    prepareForCreate: hooks.prepareForCreate,
    changedImmutableField: hooks.changedImmutableField,
    validate: (obj) => [...validateMetadata(obj.metadata, { namespaced: info.namespaced }), ...(validateKind?.(obj) ?? [])],
  };
}
