import { expect } from "chai";
import { Application, ApplicationStatus_State as State } from "../../../gen/krake/kubernetes/v1/application.js";
import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import { isRetriedError, retryDelayMs, unionOf, unsupportedSource } from "../../../src/controllers/kubernetes-application/app-status.js";

const app = (spec: Record<string, unknown>) => Application.fromPartial({ metadata: { name: "a", namespace: "n" }, spec });

describe("application status rules", () => {
  it("refuses TOSCA templates (object or URL) and CSAR archives without a manifest, saying which", () => {
    expect(unsupportedSource(app({ manifest: [], tosca: { tosca_definitions_version: "tosca_simple_yaml_1_0" } }))).to.match(/^TOSCA templates are not supported/);
    expect(unsupportedSource(app({ manifest: [], tosca: "http://example.com/app.yaml" }))).to.match(/^TOSCA templates are not supported/);
    expect(unsupportedSource(app({ manifest: [], tosca: {}, csar: "http://example.com/app.csar" }))).to.match(/^CSAR archives are not supported/);
  });

  it("applies the manifest when there is one, whatever else is given (Krake prefers the manifest)", () => {
    expect(unsupportedSource(app({ manifest: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }], csar: "http://example.com/app.csar" }))).to.equal(undefined);
  });

  it("waits backoff_delay · backoff seconds, at least one", () => {
    expect(retryDelayMs(app({ backoff: 2, backoffDelay: 3 }))).to.equal(6_000);
    expect(retryDelayMs(app({ backoff: 0, backoffDelay: 0 }))).to.equal(1_000);
    expect(retryDelayMs(app({}))).to.equal(1_000);
  });

  it("retries its own errors only: KUBERNETES_ERROR and CLUSTER_NOT_REACHABLE, not the scheduler's", () => {
    const status = (state: State, code: Reason_Code) => ({ ...Application.fromPartial({}).status, state, reason: { code, message: "" } }) as Application["status"];
    expect(isRetriedError(status(State.DEGRADED, Reason_Code.KUBERNETES_ERROR))).to.equal(true);
    expect(isRetriedError(status(State.FAILED, Reason_Code.CLUSTER_NOT_REACHABLE))).to.equal(true);
    expect(isRetriedError(status(State.DEGRADED, Reason_Code.NO_SUITABLE_RESOURCE))).to.equal(false);
    expect(isRetriedError(status(State.RUNNING, Reason_Code.KUBERNETES_ERROR))).to.equal(false);
  });

  it("joins two manifests by resource identity", () => {
    const cm = (name: string, v: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { v } });
    expect(unionOf([cm("a", "1")], [cm("a", "2"), cm("b", "2")])).to.deep.equal([cm("a", "1"), cm("b", "2")]);
  });
});
