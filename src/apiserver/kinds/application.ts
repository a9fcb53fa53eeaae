import { ApiError, Status } from "../../errors/api-error.js";
import {
  Application,
  ApplicationComplete,
  ApplicationServiceService,
  ApplicationShutdown,
  ApplicationStatus,
  ApplicationStatus_State as State,
  applicationStatus_StateToJSON,
  ClusterBinding,
} from "../../../gen/krake/kubernetes/v1/application.js";
import type { KindDescription, Subresource } from "../registry/kind.js";
import { validateApplication } from "../registry/validation/application.js";
import { withMetadata } from "./validate.js";
import { hookTokenMatches } from "./hook-token.js";
import { addOwner, rejectIfDeleting, requireRef } from "./owners.js";

const binding: Subresource<Application> = {
  name: "binding",
  verb: "Bind",
  bodyField: "binding",
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

const complete: Subresource<Application> = {
  name: "complete",
  verb: "Complete",
  bodyField: "complete",
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

const shutdown: Subresource<Application> = {
  name: "shutdown",
  verb: "Shutdown",
  bodyField: "shutdown",
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

const retry: Subresource<Application> = {
  name: "retry",
  verb: "Retry",
  rbacResource: "applications/status",
  apply(app) {
    if (app.status?.state !== State.DEGRADED) {
      throw new ApiError(Status.FAILED_PRECONDITION, "BadRequest", "Only a DEGRADED Application can be retried.");
    }
    app.status.state = State.WAITING_FOR_CLEANING;
    return app;
  },
};

export const applicationKind: KindDescription<Application> = {
  api: "kubernetes",
  kind: "Application",
  plural: "applications",
  namespaced: true,
  codec: Application,
  service: ApplicationServiceService,
  emptyStatus: () => ApplicationStatus.fromPartial({}),
  stateName: (app) => (app.status ? applicationStatus_StateToJSON(app.status.state) : undefined),
  subresources: [binding, complete, shutdown, retry],
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
  validate: withMetadata(true, validateApplication),
};
