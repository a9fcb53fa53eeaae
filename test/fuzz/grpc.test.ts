/**
 * Fuzzing the gRPC API (issue: "one request must never take the API down").
 * Every method of every krake service in gen/krake.binpb, sent raw through
 * @grpc/grpc-js with pass-through serializers, one family per `it`, against
 * the same krake-api process and etcd as the REST families. Invariants, per
 * case (support/runner.ts): never INTERNAL or UNKNOWN, never a call that ends
 * without a status from the server, the process alive, stored data unchanged
 * unless the call succeeded.
 */
import type fc from "fast-check";
import { corruptFamily, deepFamily, sendGrpc, stringsFamily, validFamily } from "./support/grpc-cases.js";
import type { GrpcCase } from "./support/grpc-cases.js";
import { loadMethods } from "./support/protobuf.js";
import type { GrpcMethod } from "./support/protobuf.js";
import { familyTimeoutMs, sharedFuzzer } from "./support/runner.js";
import type { Fuzzer } from "./support/runner.js";
import type { Family } from "./support/settings.js";
import { stopSharedTarget, useSharedTarget } from "./support/target.js";

after(stopSharedTarget);
const release = useSharedTarget();

describe("fuzz: gRPC API", function () {
  this.timeout(120_000);
  after(release);
  let fuzzer: Fuzzer;
  const methods: GrpcMethod[] = loadMethods();
  const byPath = new Map(methods.map((m) => [m.path, m]));

  before(async () => {
    fuzzer = await sharedFuzzer();
  });

  it("covers every method of the descriptor set", () => {
    // the families draw from this list: a service that vanished from it would silently go unfuzzed
    if (methods.length < 50 || !byPath.has("/krake.kubernetes.v1.ApplicationService/ListApplications")) {
      throw new Error(`only ${methods.length} methods in gen/krake.binpb`);
    }
  });

  function family(name: Family, arb: () => fc.Arbitrary<GrpcCase>): void {
    it(name, async function () {
      this.timeout(familyTimeoutMs(name));
      await fuzzer.check(name, arb(), (c, t) => sendGrpc(c, t, byPath));
    });
  }

  family("grpc valid-ish messages", () => validFamily(methods));
  family("grpc corrupt protobuf", () => corruptFamily(methods));
  family("grpc deep nesting", () => deepFamily(methods));
  family("grpc strings and label selectors", () => stringsFamily(methods));
});
