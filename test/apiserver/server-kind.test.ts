/**
 * A server kind is a generated table entry plus hooks: the proto and the
 * server's rules must agree on the subresources and actions, or the server
 * refuses to start (rather than answer UNIMPLEMENTED at run time).
 */
import { expect } from "chai";
import type { Application } from "../../gen/krake/kubernetes/v1/application.js";
import type { Role } from "../../gen/krake/core/v1/role.js";
import { applicationKind, roleKind } from "../../gen/kinds.js";
import { serverKind } from "../../src/apiserver/kinds/server-kind.js";

const keep = { apply: (obj: Application) => obj };
const answer = { run: () => Promise.resolve({}) };
const allSubresources = { binding: keep, complete: keep, shutdown: keep, retry: keep };

describe("serverKind", () => {
  it("refuses a declared subresource without a rule", () => {
    expect(() => serverKind<Application>(applicationKind, { subresources: { binding: keep, complete: keep, shutdown: keep }, actions: { schedule: answer } }))
      .to.throw(/declares RetryApplication but the server has no rule for "retry"/);
  });

  it("refuses a declared action without a rule, and a rule for an action the proto does not declare", () => {
    expect(() => serverKind<Application>(applicationKind, { subresources: allSubresources }))
      .to.throw(/declares ScheduleApplication but the server has no rule for "schedule"/);
    expect(() => serverKind<Role>(roleKind, { actions: { schedule: answer } }))
      .to.throw(/a rule for action "schedule", which krake.core.v1.Role's service does not declare/);
  });

  it("refuses a rule for a subresource the proto does not declare", () => {
    expect(() => serverKind<Role>(roleKind, { subresources: { binding: { apply: (r: Role) => r } } }))
      .to.throw(/a rule for subresource "binding", which krake.core.v1.Role's service does not declare/);
  });

  it("takes names, scope, status and state from the table, and runs the metadata rules before the kind's own", () => {
    const kind = serverKind<Application>(applicationKind, {
      subresources: allSubresources,
      actions: { schedule: answer },
      validate: () => [{ field: "spec", message: "own rule" }],
    });
    expect([kind.api, kind.plural, kind.namespaced, kind.bodyField]).to.deep.equal(["kubernetes", "applications", true, "application"]);
    expect(kind.subresources?.map((s) => `${s.verb}:${s.name}:${s.bodyField ?? ""}`)).to.deep.equal([
      "Bind:binding:binding", "Complete:complete:complete", "Shutdown:shutdown:shutdown", "Retry:retry:",
    ]);
    expect(kind.actions?.map((a) => `${a.verb}:${a.name}:${a.bodyField ?? ""}:${a.takesObject}`)).to.deep.equal(["Schedule:schedule:application:true"]);
    const app = applicationKind.codec.fromPartial({ metadata: { name: "" }, status: { state: 2 } });
    expect(kind.stateName?.(app)).to.equal(applicationKind.state.names[2]);
    expect(kind.emptyStatus?.()).to.deep.include({ state: 0 });
    const errors = kind.validate(app);
    expect(errors[0].field.startsWith("metadata.")).to.equal(true);
    expect(errors.at(-1)).to.deep.equal({ field: "spec", message: "own rule" });
  });
});
