/** `krakectl core role|rolebinding …`: RBAC objects (not in Krake's krakectl), and their table columns. */
import { Command } from "commander";
import { Role } from "../../../gen/krake/core/v1/role.js";
import { RoleBinding } from "../../../gen/krake/core/v1/role_binding.js";
import { action } from "../context.js";
import { CliError } from "../errors.js";
import { roleBindingKind, roleKind } from "../kinds.js";
import { formatList } from "../output/format-values.js";
import { col } from "../output/views.js";
import type { KindView } from "../output/views.js";
import type { CommandGroup } from "./command-group.js";
import { addOutput, collectWords } from "./options.js";
import type { OutputOptions } from "./options.js";
import { deleteCommand, getCommand, listCommand } from "./resource-commands.js";

const verbs = ["create", "list", "list_all", "get", "update", "delete", "watch", "*"];

interface RoleOptions extends OutputOptions {
  api: string;
  resource?: string[];
  ruleNamespace?: string[];
  verb?: string[];
}

interface BindingOptions extends OutputOptions {
  users?: string[];
  groups?: string[];
  roles?: string[];
}

function roleCommand(): Command {
  const create = new Command("create")
    .description("create a Role with one rule (several rules: write a file and use krakectl apply)")
    .argument("<name>", "role name")
    .option("--api <api>", 'API group the rule covers ("" for every API)', "")
    .option("--resource <resources>", "resources, e.g. applications,applications/status (repeatable)", collectWords)
    .option("--rule-namespace <namespaces>", 'namespaces the rule covers ("" for every namespace; repeatable)', collectWords)
    .option("--verb <verbs>", `verbs: ${verbs.join(", ")} (repeatable)`, collectWords);
  addOutput(create).action(
    action<RoleOptions>(async (ctx, opts, [name]) => {
      if (!opts.resource?.length || !opts.verb?.length) throw CliError.usage("a rule needs --resource and --verb");
      const role = Role.fromPartial({
        api: roleKind.api,
        kind: roleKind.kind,
        metadata: { name },
        rules: [{ api: opts.api, resources: opts.resource, namespaces: opts.ruleNamespace ?? [""], verbs: opts.verb }],
      });
      ctx.printer(opts.output).object(roleKind, await ctx.transport.resource(roleKind).create("", role));
    }),
  );
  return new Command("role")
    .description("manage RBAC roles")
    .addCommand(listCommand(roleKind))
    .addCommand(create)
    .addCommand(getCommand(roleKind))
    .addCommand(deleteCommand(roleKind, { wait: false }));
}

function roleBindingCommand(): Command {
  const create = new Command("create")
    .description("bind users and/or groups to roles")
    .argument("<name>", "role binding name")
    // Not --user: that is krakectl's own user (the default namespace).
    .option("--users <users>", "user names (repeatable or comma-separated)", collectWords)
    .option("--groups <groups>", "group names: a certificate's O, a token's groups claim (repeatable or comma-separated)", collectWords)
    .option("--roles <roles>", "role names (repeatable or comma-separated)", collectWords);
  addOutput(create).action(
    action<BindingOptions>(async (ctx, opts, [name]) => {
      if ((!opts.users?.length && !opts.groups?.length) || !opts.roles?.length) {
        throw CliError.usage("a role binding needs --users and/or --groups, and --roles");
      }
      const binding = RoleBinding.fromPartial({
        api: roleBindingKind.api,
        kind: roleBindingKind.kind,
        metadata: { name },
        users: opts.users ?? [],
        groups: opts.groups ?? [],
        roles: opts.roles,
      });
      ctx.printer(opts.output).object(roleBindingKind, await ctx.transport.resource(roleBindingKind).create("", binding));
    }),
  );
  return new Command("rolebinding")
    .alias("rb")
    .description("manage RBAC role bindings")
    .addCommand(listCommand(roleBindingKind))
    .addCommand(create)
    .addCommand(getCommand(roleBindingKind))
    .addCommand(deleteCommand(roleBindingKind, { wait: false }));
}

const roleView: KindView<Role> = {
  list: [col("RULES", (r) => String(r.rules.length))],
  detail: [
    col("rules", (r) =>
      formatList(
        r.rules.map((x) => `api=${x.api || '""'} resources=${x.resources.join(",")} namespaces=${x.namespaces.join(",")} verbs=${x.verbs.join(",")}`),
        "\n",
      )),
  ],
};

const roleBindingView: KindView<RoleBinding> = {
  list: [col("USERS", (b) => formatList(b.users, ",")), col("GROUPS", (b) => formatList(b.groups, ",")), col("ROLES", (b) => formatList(b.roles, ","))],
  detail: [
    col("users", (b) => formatList(b.users, "\n")),
    col("groups", (b) => formatList(b.groups, "\n")),
    col("roles", (b) => formatList(b.roles, "\n")),
  ],
};

export const group = {
  api: roleKind.api,
  commands: () => [roleCommand(), roleBindingCommand()],
  views: { Role: roleView, RoleBinding: roleBindingView },
} satisfies CommandGroup;
