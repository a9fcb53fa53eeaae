/**
 * krakectl's command tree: `krakectl <api> <resource> <verb>`, as Krake's,
 * built from the command groups (commands/index.ts) and the kind table.
 */
import { Command, Option } from "commander";
import { apiCommands, commandGroups, completionCommand, kindCommand, positiveSeconds, views } from "./commands/index.js";
import type { CommandGroup } from "./commands/index.js";
import { defaultApiUrl, defaultUser } from "./config.js";
import { useViews } from "./context.js";
import { allKinds } from "./kinds.js";
import type { ViewTable } from "./output/views.js";

const afterHelp = `
Settings come from krakectl.yaml (./krakectl.yaml, $XDG_CONFIG_HOME/krakectl.yaml,
/etc/krakectl/krakectl.yaml: the first found), then KRAKECTL_* environment variables,
then the flags above. Defaults: api_url ${defaultApiUrl}, user ${defaultUser}.

  api_url: localhost:9090       # or grpc://host:port, grpcs://host:port
  user: system:admin            # the default namespace
  token: <bearer token>         # optional
  tls:
    enabled: true
    client_ca: ca.pem           # verifies the server
    client_cert: me.pem         # presented to the server
    client_key: me-key.pem

Examples:
  krakectl kube cluster register -k ~/.kube/config -c kind-kind
  krakectl kube app create echo -f echo.yaml --wait running
  krakectl kube app list --watch
  krakectl apply -f objects.yaml
  krakectl kube app delete echo --wait

Exit codes: 0 ok, 1 other error, 2 usage, 3 not found, 4 conflict or already exists,
5 permission denied or unauthenticated, 6 API unreachable, 7 invalid object, 8 --wait timed out.`;

export function buildProgram(): Command {
  const program = new Command("krakectl")
    .description("The command line for Krake: manage applications, clusters, metrics and RBAC objects over krake-api's gRPC API.")
    .option("--config <file>", "config file (env KRAKECTL_CONFIG)")
    .option("--api-url <url>", "API address: host:port, grpc://host:port or grpcs://host:port (env KRAKECTL_API_URL)")
    .option("--user <name>", "user name, the default namespace (env KRAKECTL_USER)")
    .option("--auth-token <token>", "bearer token sent with every request (env KRAKECTL_TOKEN)")
    .option("--tls", "connect with TLS (env KRAKECTL_TLS_ENABLED)")
    .option("--no-tls", "connect without TLS")
    .option("--client-ca <file>", "CA that signs the API server's certificate (env KRAKECTL_TLS_CLIENT_CA)")
    .option("--client-cert <file>", "client certificate (env KRAKECTL_TLS_CLIENT_CERT)")
    .option("--client-key <file>", "client certificate's key (env KRAKECTL_TLS_CLIENT_KEY)")
    .addOption(new Option("--request-timeout <seconds>", "deadline of each API call").argParser(positiveSeconds).default(30))
    .addHelpText("after", afterHelp)
    .showSuggestionAfterError()
    .exitOverride();

  addGroups(program, commandGroups, views);
  program.addCommand(completionCommand(program));
  useViews(program, views);
  propagate(program);
  return program;
}

/**
 * Each group's commands under `krakectl <api>` (made when first needed, so
 * the APIs come in the groups' order), then list, get and delete for every
 * kind of the table that no group names in `views`.
 */
function addGroups(program: Command, groups: readonly CommandGroup[], views: ViewTable): void {
  const apis = new Map<string, Command>();
  const parentOf = (api: string | undefined): Command => {
    if (api === undefined) return program;
    let cmd = apis.get(api);
    if (!cmd) {
      const { alias, description } = apiCommands[api] ?? { description: `manage ${api} resources` };
      cmd = new Command(api).description(description);
      if (alias) cmd.alias(alias);
      program.addCommand(cmd);
      apis.set(api, cmd);
    }
    return cmd;
  };
  for (const group of groups) {
    for (const cmd of group.commands()) parentOf(group.api).addCommand(cmd);
  }
  for (const kind of allKinds) {
    if (!Object.hasOwn(views, kind.kind)) parentOf(kind.api).addCommand(kindCommand(kind));
  }
}

/** Every subcommand reports errors the same way: through the exception main() maps to an exit code. */
function propagate(cmd: Command): void {
  for (const sub of cmd.commands) {
    sub.exitOverride().showSuggestionAfterError();
    propagate(sub);
  }
}
