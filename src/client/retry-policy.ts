import { generatedKinds } from "../../gen/kinds.js";
import { resolveMethod, rpcOf } from "../kinds/methods.js";
import type { MethodVerb } from "../kinds/methods.js";

/**
 * The methods a client may send again when the answer is UNAVAILABLE (the
 * API or the store behind it could not be reached). A second Get, List or
 * Watch reads again; a second Update or UpdateStatus writes the same body
 * under the same resource_version precondition, so if the first one landed
 * the second is refused as a conflict and nothing changes twice. An action
 * writes nothing, so a second one only computes its answer again. Create,
 * Delete and the subresources are not repeated: had the first one landed,
 * the repeat would answer ALREADY_EXISTS or NOT_FOUND for a call that worked.
 * (grpc-js still retries any call that never reached the server.)
 */
const repeatable = new Set<MethodVerb>(["get", "list", "watch", "update", "updateStatus", "action"]);

export interface RetryPolicy {
  /** Attempts in all, the first one included (grpc-js allows at most 5). */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, initialBackoffMs: 200, maxBackoffMs: 3_000 };

/**
 * A gRPC service config (the `grpc.service_config` channel option) that lets
 * grpc-js retry the repeatable methods of every kind on UNAVAILABLE, with
 * exponential backoff and jitter, within each call's deadline.
 */
export function retryServiceConfig(policy: RetryPolicy = defaultRetryPolicy): string {
  const name: { service: string; method: string }[] = [];
  for (const kind of generatedKinds) {
    for (const method of Object.values(kind.service as Record<string, { path: string }>)) {
      const resolved = resolveMethod(kind, rpcOf(method.path));
      if (!resolved || !repeatable.has(resolved.verb)) continue;
      name.push({ service: method.path.slice(1, method.path.lastIndexOf("/")), method: resolved.rpc });
    }
  }
  return JSON.stringify({
    methodConfig: [
      {
        name,
        retryPolicy: {
          maxAttempts: policy.maxAttempts,
          initialBackoff: `${policy.initialBackoffMs / 1000}s`,
          maxBackoff: `${policy.maxBackoffMs / 1000}s`,
          backoffMultiplier: 2,
          retryableStatusCodes: ["UNAVAILABLE"],
        },
      },
    ],
  });
}
