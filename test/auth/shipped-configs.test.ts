import { execFile } from "node:child_process";
import { expect } from "chai";
import { credentials } from "@grpc/grpc-js";
import { Status } from "../../src/errors/api-error.js";
import { krakeClients } from "../../src/client/clients.js";
import { expectCode, uniquePrefix } from "../fixtures/api.js";
import { runApiProcess, startApiProcess } from "../fixtures/api-process.js";
import type { ApiProcess } from "../fixtures/api-process.js";
import { startEtcd } from "../fixtures/etcd.js";
import type { EtcdProcess } from "../fixtures/etcd.js";
import { channelOptions, makePki } from "./support/secure-api.js";
import type { Pki } from "./support/secure-api.js";
import { request } from "node:https";

function bootstrapRoles(etcd: EtcdProcess, prefix: string, config: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile("node", ["bin/krake-bootstrap.js", "--config", config, "--etcd.endpoints", etcd.endpoint, "--etcd.prefix", prefix,
      "--skip-existing", "config/base-roles.yaml"], (err, _out, stderr) => (err ? reject(new Error(stderr)) : resolve())));
}

function restPort(api: ApiProcess): number {
  const line = api.logs.find((l) => l.msg === "REST API listening");
  return Number(String(line?.address).split(":").pop());
}

const list = { namespace: "", labelSelector: "", limit: 0, continue: "" };

describe("auth: the shipped configurations (real krake-api processes)", function () {
  this.timeout(90_000);
  let etcd: EtcdProcess;
  let pki: Pki;

  before(async () => {
    etcd = await startEtcd();
    pki = makePki();
  });
  after(async () => {
    pki?.remove();
    await etcd?.stop();
  });

  it("config/api.yaml (make run): every caller is system:admin under RBAC with the bootstrap roles", async () => {
    const prefix = uniquePrefix();
    await bootstrapRoles(etcd, prefix, "config/api.yaml");
    await bootstrapRoles(etcd, prefix, "config/api.yaml"); // a second `make run` keeps them
    const api = await startApiProcess({ etcd, prefix, args: ["--config", "config/api.yaml"] });
    try {
      const roles = await api.clients.roles.listRoles({ labelSelector: "", limit: 0, continue: "" });
      expect(roles.items.map((r) => r.metadata!.name)).to.include("system:admin");
      await api.clients.applications.listApplications(list);
      const me = await fetch(`http://127.0.0.1:${restPort(api)}/me`);
      expect(await me.json()).to.deep.equal({ user: "system:admin", groups: [], roles: ["system:admin"] });
    } finally {
      await api.stop();
    }
  });

  it("refuses to start with the static provider on a network address", async () => {
    for (const flag of ["--grpc.host", "--http.host"]) {
      const run = await runApiProcess(["--config", "config/api.yaml", flag, "0.0.0.0", "--etcd.endpoints", etcd.endpoint]);
      expect(run.code, run.stderr).to.equal(2);
      expect(run.stderr).to.match(/the static provider makes every caller the same user/);
      expect(run.stderr).to.match(/allow_static_on_network/);
    }
  });

  it("config/api-secure.yaml (make run-secure): TLS, client certificates and RBAC", async () => {
    const prefix = uniquePrefix();
    await bootstrapRoles(etcd, prefix, "config/api-secure.yaml");
    const files = ["--grpc.tls.cert", pki.serverCert, "--grpc.tls.key", pki.serverKey, "--grpc.tls.client_ca", pki.caPath,
      "--http.tls.cert", pki.serverCert, "--http.tls.key", pki.serverKey, "--http.tls.client_ca", pki.caPath];
    const api = await startApiProcess({ etcd, prefix, args: ["--config", "config/api-secure.yaml", ...files] });
    try {
      const admin = pki.user("system:admin");
      const secure = krakeClients(api.address, credentials.createSsl(pki.ca, admin.key, admin.cert), channelOptions);
      const anonymous = krakeClients(api.address, credentials.createSsl(pki.ca), channelOptions);
      try {
        await secure.applications.listApplications(list);
        await expectCode(anonymous.applications.listApplications(list), Status.UNAUTHENTICATED);
        const gc = pki.user("system:gc");
        const gcClients = krakeClients(api.address, credentials.createSsl(pki.ca, gc.key, gc.cert), channelOptions);
        await gcClients.applications.listApplications(list);
        await expectCode(gcClients.applications.createApplication({ namespace: "x", application: undefined, blocking: "" }), Status.PERMISSION_DENIED);
        gcClients.close();
      } finally {
        secure.close();
        anonymous.close();
      }
      const me = await new Promise<string>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port: restPort(api), path: "/me", ca: pki.ca, cert: admin.cert, key: admin.key, servername: "localhost" },
          (res) => {
            let text = "";
            res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => resolve(text));
          });
        req.on("error", reject);
        req.end();
      });
      expect(JSON.parse(me)).to.deep.include({ user: "system:admin", roles: ["system:admin"] });
    } finally {
      await api.stop();
    }
  });
});
