/**
 * krakectl's command groups, the one place they are listed, in the order of
 * `krakectl --help`. Each file exports its `group`: its commands under
 * `krakectl <api>` and the table columns of the kinds they manage. A kind of
 * the generated table that no group names still gets list, get and delete
 * under `krakectl <api> <kind>` (kindCommand), and `apply` takes every kind.
 */
import * as application from "./application.js";
import { applyCommand } from "./apply.js";
import * as cluster from "./cluster.js";
import { viewTable } from "./command-group.js";
import type { CommandGroup } from "./command-group.js";
import * as infrastructure from "./infrastructure.js";
import * as metric from "./metric.js";
import * as metricsProvider from "./metrics-provider.js";
import * as openstack from "./openstack.js";
import * as role from "./role.js";

export type { CommandGroup } from "./command-group.js";
export { completionCommand } from "./completion.js";
export { positiveSeconds } from "./options.js";
export { kindCommand } from "./resource-commands.js";

export const commandGroups: readonly CommandGroup[] = [
  application.group,
  cluster.group,
  metric.group,
  metricsProvider.group,
  role.group,
  openstack.group,
  { commands: () => [applyCommand()] },
  infrastructure.group,
];

/** `krakectl <api>`, by the kind table's API name; an API not listed is described as `manage <api> resources`. */
export const apiCommands: Readonly<Record<string, { alias?: string; description: string }>> = {
  kubernetes: { alias: "kube", description: "manage Kubernetes resources" },
  core: { description: "manage core resources" },
  openstack: { alias: "os", description: "manage OpenStack resources (projects and Magnum clusters)" },
  infrastructure: { alias: "infra", description: "manage infrastructure resources (infrastructure providers and clouds)" },
};

/** Every group's table columns, by kind: what the printer shows beyond the common columns. */
export const views = viewTable(commandGroups);
