/** Small assertions, waits and fixture readers shared by the registry tests. */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { expect } from "chai";
import type { status as Status } from "@grpc/grpc-js";
import type { Metadata } from "../../../../gen/krake/core/v1/types.js";
import type { KrakeObject } from "../../../../src/apiserver/objects/kind.js";
import { fromServiceError } from "../../../../src/client/errors.js";
import type { ApiError } from "../../../../src/errors/api-error.js";
import { expectCode } from "../../../fixtures/api.js";
import { timestampToMillis } from "../../../../src/kinds/timestamp.js";
import type { Timestamp } from "../../../../src/kinds/timestamp.js";

/** Expects a gRPC error with `code` and returns it as the ApiError it carries (reason, field errors). */
export async function expectApiError(p: Promise<unknown>, code: Status): Promise<ApiError> {
  return fromServiceError(await expectCode(p, code));
}

/** Polls `condition` (for state only observable by polling, e.g. a server's watcher count). */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the clock has moved past `t`, so a later timestamp is surely later. */
export async function tickPast(t: Timestamp | undefined): Promise<void> {
  const ms = t ? timestampToMillis(t) : 0;
  while (Date.now() <= ms) await new Promise((r) => setTimeout(r, 1));
}

/** A Krake example document from test/fixtures/krake (JSON or YAML), as plain JSON. */
export function krakeDocument(file: string): Record<string, unknown> {
  const text = readFileSync(new URL(`../../../fixtures/krake/${file}`, import.meta.url), "utf8");
  return (file.endsWith(".json") ? JSON.parse(text) : parseYaml(text)) as Record<string, unknown>;
}

export function uniqueId(): string {
  return randomBytes(4).toString("hex");
}

export function meta<T extends KrakeObject>(obj: T | undefined): Metadata {
  expect(obj?.metadata, "metadata").to.not.equal(undefined);
  return obj!.metadata!;
}

export function rv<T extends KrakeObject>(obj: T | undefined): number {
  const value = Number(meta(obj).resourceVersion);
  expect(Number.isSafeInteger(value) && value > 0, `resource_version "${meta(obj).resourceVersion}"`).to.equal(true);
  return value;
}
