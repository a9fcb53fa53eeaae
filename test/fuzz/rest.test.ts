/**
 * Fuzzing the REST API (issue: "one request must never take the API down").
 * Every route of the server's own /openapi.json, one family of generated
 * requests per `it`, against one real krake-api process on one real etcd
 * (support/target.ts). Invariants, per case (support/runner.ts): no 5xx but
 * the documented 503/504, the process alive, stored data unchanged unless
 * the request succeeded. Sizes and seed: support/settings.ts (`make fuzz`).
 */
import type fc from "fast-check";
import type { Route } from "./support/openapi.js";
import {
  bodiesFamily,
  deepFamily,
  malformedFamily,
  oversizeFamily,
  patchFamily,
  prototypeFamily,
  queryFamily,
  routesFamily,
} from "./support/rest-arbitraries.js";
import type { RestWorld } from "./support/rest-arbitraries.js";
import { routeKey, sendRest } from "./support/rest-cases.js";
import type { RestCase } from "./support/rest-cases.js";
import { familyTimeoutMs, sharedFuzzer } from "./support/runner.js";
import type { Fuzzer } from "./support/runner.js";
import type { Family } from "./support/settings.js";
import { stopSharedTarget, useSharedTarget } from "./support/target.js";

after(stopSharedTarget);
const release = useSharedTarget();

describe("fuzz: REST API", function () {
  this.timeout(120_000);
  after(release);
  let fuzzer: Fuzzer;
  let world: RestWorld;
  let byKey: Map<string, Route>;

  before(async () => {
    fuzzer = await sharedFuzzer();
    world = { routes: fuzzer.routes, schemas: fuzzer.schemas };
    byKey = new Map(fuzzer.routes.map((r) => [routeKey(r), r]));
  });

  function family(name: Family, arb: () => fc.Arbitrary<RestCase>): void {
    it(name, async function () {
      this.timeout(familyTimeoutMs(name));
      await fuzzer.check(name, arb(), (c, t) => sendRest(c, t, byKey));
    });
  }

  describe("routes", () => {
    family("rest routes and path parameters", () => routesFamily(world));
  });
  describe("query parameters", () => {
    family("rest query: heartbeat", () => queryFamily(world, "heartbeat"));
    family("rest query: limit/continue", () => queryFamily(world, "limit/continue"));
    family("rest query: label_selector", () => queryFamily(world, "label_selector"));
    family("rest query: watch/resource_version", () => queryFamily(world, "watch/resource_version"));
    family("rest query: others", () => queryFamily(world, "others"));
  });
  describe("bodies", () => {
    family("rest JSON bodies", () => bodiesFamily(world));
    family("rest malformed bodies and media types", () => malformedFamily(world));
    family("rest deep nesting", () => deepFamily(world));
    family("rest oversize bodies and large headers", () => oversizeFamily(world));
    family("rest merge patch", () => patchFamily(world));
  });
  describe("prototype keys", () => {
    family("rest prototype keys", () => prototypeFamily(world));
  });
});
