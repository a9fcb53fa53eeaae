import { expect } from "chai";
import { ApiError, Status } from "../../src/errors/api-error.js";

describe("ApiError", () => {
  it("wraps unknown errors as INTERNAL and keeps the cause", () => {
    const cause = new Error("boom");
    const err = ApiError.from(cause);
    expect(err.code).to.equal(Status.INTERNAL);
    expect(err.message).to.equal("internal error");
    expect(err.cause).to.equal(cause);
  });
});
