import { ApiError, Status } from "../../errors/api-error.js";
import {
  ApplicationComplete,
  ApplicationShutdown,
  ApplicationStatus,
  ApplicationStatus_State as State,
  ClusterBinding,
} from "../../../gen/krake/kubernetes/v1/application.js";
import type { Application } from "../../../gen/krake/kubernetes/v1/application.js";
import { applicationKind as generated } from "../../kinds/index.js";
import { validateApplication } from "../registry/validation/application.js";
import { hookTokenMatches } from "./hook-token.js";
import { addOwner, rejectIfDeleting, requireRef } from "./owners.js";
import { serverKind } from "./server-kind.js";
import type { SubresourceHooks } from "./server-kind.js";

const binding: SubresourceHooks<Application> = {
  apply(app, body, now) {
    const ref = requireRef((body as ClusterBinding | undefined)?.cluster, "binding.cluster", "Application", app.metadata!.name);
    rejectIfDeleting(app.metadata!, "bind an Application");
    const status = (app.status ??= ApplicationStatus.fromPartial({}));
    status.scheduled = now;
    status.kubeControllerTriggered = now;
    status.scheduledTo = ref;
    addOwner(app.metadata!, ref);
    return app;
  },
};

const complete: SubresourceHooks<Application> = {
  apply(app, body, now) {
    const token = (body as ApplicationComplete | undefined)?.token ?? "";
    if (!hookTokenMatches(token, app.status?.completeToken)) {
      throw ApiError.unauthenticated("The complete hook token is invalid.");
    }
    app.status!.state = State.READY_FOR_ACTION;
    app.metadata!.deleted ??= now;
    return app;
  },
};

const shutdown: SubresourceHooks<Application> = {
  apply(app, body) {
    const token = (body as ApplicationShutdown | undefined)?.token ?? "";
    if (!hookTokenMatches(token, app.status?.shutdownToken)) {
      throw ApiError.unauthenticated("The shutdown hook token is invalid.");
    }
    const state = app.status!.state;
    if (state !== State.WAITING_FOR_CLEANING && state !== State.DEGRADED) return undefined;
    app.status!.state = State.READY_FOR_ACTION;
    app.status!.shutdownGracePeriod = undefined;
    return app;
  },
};

const retry: SubresourceHooks<Application> = {
  rbacResource: "applications/status",
  apply(app) {
    if (app.status?.state !== State.DEGRADED) {
      throw new ApiError(Status.FAILED_PRECONDITION, "BadRequest", "Only a DEGRADED Application can be retried.");
    }
    app.status.state = State.WAITING_FOR_CLEANING;
    return app;
  },
};

export const applicationKind = serverKind<Application>(generated, {
  subresources: { binding, complete, shutdown, retry },
  prepareForCreate(app) {
    // Krake's defaults.
    const spec = app.spec;
    if (!spec) return;
    spec.constraints ??= { cluster: undefined, migration: true };
    spec.constraints.cluster ??= { labels: [], customResources: [], metrics: [] };
    spec.constraints.migration ??= true;
    spec.tosca ??= {};
    spec.backoff ??= 1;
    spec.backoffDelay ??= 1;
    spec.backoffLimit ??= -1;
    spec.shutdownGraceTime ??= 30;
    spec.shutdownFailureStrategy ??= "delete";
    spec.shutdownRetryCount ??= 0;
  },
  validate: validateApplication,
});
