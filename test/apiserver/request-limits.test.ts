/**
 * The request checks both transports share (src/apiserver/request-limits.ts):
 * the depth it counts is the depth ts-proto's decoders (and every other
 * protobuf runtime) count, enums outside the enum and `__proto__` keys are
 * refused with the field's path; and the gRPC trailer that carries field
 * errors is printable ASCII that parses back to the exact text.
 */
import { expect } from "chai";
import { UpdateApplicationRequest } from "../../gen/krake/kubernetes/v1/application.js";
import { Descriptors } from "../../src/kinds/descriptors.js";
import { fieldErrorsTrailer } from "../../src/apiserver/grpc/errors.js";
import { RequestChecker } from "../../src/apiserver/request-limits.js";

const descriptors = new Descriptors();
const updateApp = descriptors.registry.getMessage("krake.kubernetes.v1.UpdateApplicationRequest")!;

/** `levels` nested values of one shape around a string. */
function nested(levels: number, shape: "object" | "list" | "mixed"): unknown {
  let v: unknown = "leaf";
  for (let i = 0; i < levels; i++) v = shape === "object" || (shape === "mixed" && i % 2) ? { a: v } : [v];
  return v;
}

function request(manifestItem: unknown): UpdateApplicationRequest {
  return UpdateApplicationRequest.fromPartial({
    name: "x",
    application: { api: "kubernetes", kind: "Application", metadata: { name: "x" }, spec: { manifest: [manifestItem as Record<string, unknown>] } },
  });
}

function decodes(req: UpdateApplicationRequest): boolean {
  try {
    UpdateApplicationRequest.decode(UpdateApplicationRequest.encode(req).finish());
    return true;
  } catch {
    return false;
  }
}

describe("RequestChecker", () => {
  // manifest items are Structs: an object outermost
  for (const shape of ["object", "mixed"] as const) {
    it(`counts nesting as ts-proto's decoder does (${shape} manifests)`, () => {
      const checker = new RequestChecker(100);
      for (let levels = 1; levels <= 60; levels++) {
        if (shape === "mixed" && levels % 2) continue;
        const req = request(nested(levels, shape));
        expect(checker.check(updateApp, req).length === 0, `${levels} levels`).to.equal(decodes(req));
      }
    });
  }

  it("names the first field that is too deep, from the request's root", () => {
    const errors = new RequestChecker().check(updateApp, request(nested(40, "object")));
    expect(errors).to.have.length(1);
    expect(errors[0].field).to.match(/^application\.spec\.manifest\[0\](\.a)+$/);
    expect(errors[0].message).to.contain("96 protobuf messages");
  });

  it("refuses an enum number the enum does not define, and accepts every defined one", () => {
    const checker = new RequestChecker();
    const status = (state: number) => UpdateApplicationRequest.fromPartial({ application: { status: { state } } });
    expect(checker.check(updateApp, status(1e20))).to.deep.equal([
      { field: "application.status.state", message: checker.check(updateApp, status(999))[0].message },
    ]);
    const statusDesc = descriptors.registry.getEnum("krake.kubernetes.v1.ApplicationStatus.State")!;
    for (const v of statusDesc.values) expect(checker.check(updateApp, status(v.number))).to.deep.equal([]);
  });

  it("refuses __proto__ as a key inside free-form values and as a map key", () => {
    const checker = new RequestChecker();
    const manifest = JSON.parse('{"kind":"Pod","spec":{"__proto__":{"x":1}}}') as unknown;
    expect(checker.check(updateApp, request(manifest))).to.deep.equal([
      { field: "application.spec.manifest[0].spec.__proto__", message: "unknown field" },
    ]);
    const labels = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
    const req = UpdateApplicationRequest.fromPartial({ application: { metadata: { name: "x" } } });
    Object.defineProperty(req.application!.metadata!, "labels", { value: labels, enumerable: true });
    expect(checker.check(updateApp, req)[0]).to.deep.equal({ field: 'application.metadata.labels["__proto__"]', message: "invalid map key" });
  });

  it("walks 100,000 levels without recursion", () => {
    expect(new RequestChecker().check(updateApp, request(nested(100_000, "object")))).to.have.length(1);
  });
});

describe("the krake-field-errors trailer", () => {
  it("is printable ASCII that parses back to the exact field errors", () => {
    const errors = [
      { field: "label_selector", message: 'invalid label key "é" \u0000 \ud800 \u007f 🙂' },
      { field: "spec.manifest[0]", message: "plain" },
    ];
    const trailer = fieldErrorsTrailer(errors);
    expect(trailer).to.match(/^[\x20-\x7e]*$/);
    expect(JSON.parse(trailer)).to.deep.equal(errors);
  });

  it("stays within 4 KiB, keeping whole errors", () => {
    const errors = Array.from({ length: 1_000 }, (_, i) => ({ field: `f${i}`, message: "x".repeat(50) }));
    const trailer = fieldErrorsTrailer(errors);
    expect(trailer.length).to.be.at.most(4_096);
    const parsed = JSON.parse(trailer) as unknown[];
    expect(parsed.length).to.be.greaterThan(10);
    expect(parsed).to.deep.equal(errors.slice(0, parsed.length));
  });
});
