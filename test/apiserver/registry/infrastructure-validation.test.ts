/**
 * The infrastructure group's own rules (Krake's data/infrastructure.py), over
 * REST against a real krake-api and etcd: every rule answers 422 naming the
 * field; Krake's defaults are applied on create; Krake's URLs.
 */
import { expect } from "chai";
import { startApi } from "../../fixtures/api.js";
import type { ApiHarness } from "../../fixtures/api.js";
import { startEtcd } from "../../fixtures/etcd.js";
import type { EtcdProcess } from "../../fixtures/etcd.js";
import { expectProblem, fixture, rest } from "../../gateway/helpers.js";
import type { Json } from "../../gateway/helpers.js";

type Wire = Record<string, any>;

const GIPS = "/infrastructure/globalinfrastructureproviders";
const IPS = "/infrastructure/namespaces/team-a/infrastructureproviders";
const GCS = "/infrastructure/globalclouds";
const CLOUDS = "/infrastructure/namespaces/team-a/clouds";

const copy = <T>(v: T): T => structuredClone(v);
let counter = 0;
const fresh = (name: string): string => `${name}-${++counter}`;

/** A fixture document with a fresh name and `edit` applied. */
function doc(file: string, edit: (d: Wire) => void = () => {}): Wire {
  const d = copy(fixture(file)) as Wire;
  d.metadata.name = fresh(d.metadata.name as string);
  edit(d);
  return d;
}

describe("infrastructure validation over REST", function () {
  this.timeout(30_000);
  let etcd: EtcdProcess;
  let api: ApiHarness;

  before(async () => {
    etcd = await startEtcd();
    api = await startApi(etcd);
  });
  after(async () => {
    await api?.stop();
    await etcd?.remove();
  });

  const created = async (path: string, body: Wire): Promise<Wire> => {
    const res = await rest(api, "POST", path, body);
    expect(res.status, res.text).to.equal(200);
    return res.json as Wire;
  };
  /** POSTs `body` and expects 422 with exactly these fields among the errors. */
  const rejected = async (path: string, body: Wire, ...fields: string[]): Promise<Json[]> => {
    const p = expectProblem(await rest(api, "POST", path, body), 422, "INVALID_ARGUMENT");
    const errors = p.errors as Json[];
    expect(errors.map((e) => e.field)).to.have.members(fields);
    return errors;
  };

  for (const [kind, path, file] of [
    ["GlobalInfrastructureProvider", GIPS, "globalinfrastructureprovider.json"],
    ["InfrastructureProvider", IPS, "infrastructureprovider.json"],
  ] as const) {
    describe(kind, () => {
      it("accepts username and password, or a token, and answers in Krake's shape", async () => {
        const withPassword = await created(path, doc(file, (d) => {
          d.spec.im = { url: "http://im.example:8800", username: "u", password: "p" };
        }));
        expect(withPassword).to.include({ api: "infrastructure", kind });
        expect(withPassword.spec).to.deep.equal({
          type: "im",
          im: { url: "http://im.example:8800", username: "u", password: "p", token: "" },
        });
        const withToken = await created(path, doc(file, (d) => {
          d.spec.im = { url: "https://im.example", token: "t" };
        }));
        expect(withToken.spec.im.token).to.equal("t");
        const got = await rest(api, "GET", `${path}/${withToken.metadata.name as string}`);
        expect(got.status, got.text).to.equal(200);
        expect(got.json).to.deep.equal(withToken);
      });

      it("rejects a type other than im, and a missing im section", async () => {
        await rejected(path, doc(file, (d) => (d.spec.type = "terraform")), "spec.type");
        await rejected(path, doc(file, (d) => delete d.spec.im), "spec.im");
      });

      it("needs an http(s) url", async () => {
        await rejected(path, doc(file, (d) => delete d.spec.im.url), "spec.im.url");
        await rejected(path, doc(file, (d) => (d.spec.im.url = "im.example:8800")), "spec.im.url");
      });

      it("needs a token, or both username and password", async () => {
        const none = { url: "http://im.example" };
        for (const im of [none, { ...none, username: "u" }, { ...none, password: "p" }, { ...none, username: "u", token: "" }]) {
          const [e] = await rejected(path, doc(file, (d) => (d.spec.im = im)), "spec.im");
          expect(e!.message).to.match(/token, or a username and a password/);
        }
      });

      it("rejects an invalid update with 422 too", async () => {
        const obj = await created(path, doc(file));
        const body = copy(obj);
        body.spec.im = { url: "http://im.example" };
        const p = expectProblem(await rest(api, "PUT", `${path}/${obj.metadata.name as string}`, body), 422, "INVALID_ARGUMENT");
        expect((p.errors as Json[]).map((e) => e.field)).to.deep.equal(["spec.im"]);
      });
    });
  }

  it("lists infrastructure providers of every namespace at /infrastructure/infrastructureproviders", async () => {
    await created(IPS, doc("infrastructureprovider.json", (d) => (d.metadata.name = "ip-a")));
    await created("/infrastructure/namespaces/team-b/infrastructureproviders", doc("infrastructureprovider.json", (d) => (d.metadata.name = "ip-b")));
    const all = await rest(api, "GET", "/infrastructure/infrastructureproviders");
    expect(all.status, all.text).to.equal(200);
    expect(all.json.kind).to.equal("InfrastructureProviderList");
    const names = (all.json.items as Wire[]).map((i) => `${i.metadata.namespace as string}/${i.metadata.name as string}`);
    expect(names).to.include.members(["team-a/ip-a", "team-b/ip-b"]);
    const one = await rest(api, "GET", "/infrastructure/namespaces/team-b/infrastructureproviders");
    expect((one.json.items as Wire[]).map((i) => i.metadata.name)).to.deep.equal(["ip-b"]);
  });

  for (const [kind, path, file] of [
    ["GlobalCloud", GCS, "globalcloud.json"],
    ["Cloud", CLOUDS, "cloud.json"],
  ] as const) {
    describe(kind, () => {
      it("applies Krake's defaults (version 3, domain_name Default, domain_id default) and starts ONLINE", async () => {
        const obj = await created(path, doc(file, (d) => {
          const password = d.spec.openstack.auth.password;
          delete password.version;
          delete password.user.domain_name;
          delete password.project.domain_id;
          d.status = { state: "FAILING_METRICS" };
        }));
        expect(obj.spec.openstack.auth).to.deep.equal({
          type: "password",
          password: {
            version: "3",
            user: { username: "krake", password: "secret", domain_name: "Default", comment: "" },
            project: { name: "krake-project", domain_id: "default", comment: "" },
          },
        });
        expect(obj.status).to.deep.include({ state: "ONLINE", metrics_reasons: {} });
      });

      it("keeps the given version and domains", async () => {
        const obj = await created(path, doc(file, (d) => {
          const password = d.spec.openstack.auth.password;
          password.user.domain_name = "users";
          password.project.domain_id = "abc123";
        }));
        expect(obj.spec.openstack.auth.password.user.domain_name).to.equal("users");
        expect(obj.spec.openstack.auth.password.project.domain_id).to.equal("abc123");
      });

      it("rejects a type other than openstack, and a missing openstack section", async () => {
        await rejected(path, doc(file, (d) => (d.spec.type = "aws")), "spec.type");
        await rejected(path, doc(file, (d) => delete d.spec.openstack), "spec.openstack");
      });

      it("needs an http(s) url and an infrastructure provider name", async () => {
        await rejected(path, doc(file, (d) => (d.spec.openstack.url = "")), "spec.openstack.url");
        await rejected(path, doc(file, (d) => (d.spec.openstack.url = "keystone")), "spec.openstack.url");
        await rejected(path, doc(file, (d) => delete d.spec.openstack.infrastructure_provider), "spec.openstack.infrastructure_provider");
        await rejected(path, doc(file, (d) => (d.spec.openstack.infrastructure_provider.name = "")), "spec.openstack.infrastructure_provider.name");
        await rejected(path, doc(file, (d) => (d.spec.openstack.infrastructure_provider.name = "bad name")), "spec.openstack.infrastructure_provider.name");
      });

      it("needs password authentication with user and project", async () => {
        const auth = "spec.openstack.auth";
        await rejected(path, doc(file, (d) => delete d.spec.openstack.auth), auth);
        await rejected(path, doc(file, (d) => (d.spec.openstack.auth.type = "application_credential")), `${auth}.type`);
        await rejected(path, doc(file, (d) => delete d.spec.openstack.auth.password), `${auth}.password`);
        await rejected(path, doc(file, (d) => delete d.spec.openstack.auth.password.user), `${auth}.password.user`);
        await rejected(path, doc(file, (d) => delete d.spec.openstack.auth.password.project), `${auth}.password.project`);
        await rejected(
          path,
          doc(file, (d) => {
            d.spec.openstack.auth.password.user = { domain_name: "Default" };
            d.spec.openstack.auth.password.project = { domain_id: "default" };
          }),
          `${auth}.password.user.username`,
          `${auth}.password.user.password`,
          `${auth}.password.project.name`,
        );
      });

      it("needs valid metric names and positive weights", async () => {
        await rejected(
          path,
          doc(file, (d) => {
            d.spec.openstack.metrics = [
              { name: "", weight: 1, namespaced: false },
              { name: "ok", weight: 0, namespaced: false },
              { name: "bad name", weight: -1, namespaced: false },
            ];
          }),
          "spec.openstack.metrics[0].name",
          "spec.openstack.metrics[1].weight",
          "spec.openstack.metrics[2].name",
          "spec.openstack.metrics[2].weight",
        );
      });

      it("updates its status at …/status (state and metrics_reasons), leaving the spec", async () => {
        const obj = await created(path, doc(file));
        const body = copy(obj);
        body.status = { state: "FAILING_METRICS", metrics_reasons: { "heat-demand": { code: "UNKNOWN_METRIC", message: "gone" } } };
        body.spec.openstack.url = "https://elsewhere.example";
        const res = await rest(api, "PUT", `${path}/${obj.metadata.name as string}/status`, body);
        expect(res.status, res.text).to.equal(200);
        expect(res.json.status).to.deep.include({
          state: "FAILING_METRICS",
          metrics_reasons: { "heat-demand": { code: "UNKNOWN_METRIC", message: "gone" } },
        });
        expect((res.json.spec as Wire).openstack.url).to.equal(obj.spec.openstack.url);
      });
    });
  }

  describe("GlobalCloud references only global resources (Krake #499)", () => {
    it("rejects a namespaced infrastructure provider with 422", async () => {
      const [e] = await rejected(
        GCS,
        doc("globalcloud.json", (d) => (d.spec.openstack.infrastructure_provider.namespaced = true)),
        "spec.openstack.infrastructure_provider.namespaced",
      );
      expect(e!.message).to.equal("a GlobalCloud cannot reference a namespaced infrastructure provider");
    });

    it("rejects namespaced metrics with 422, naming each", async () => {
      const errors = await rejected(
        GCS,
        doc("globalcloud.json", (d) => {
          d.spec.openstack.metrics = [
            { name: "a", weight: 1, namespaced: true },
            { name: "b", weight: 1, namespaced: false },
            { name: "c", weight: 1, namespaced: true },
          ];
        }),
        "spec.openstack.metrics[0].namespaced",
        "spec.openstack.metrics[2].namespaced",
      );
      expect(errors[0]!.message).to.equal("a GlobalCloud cannot reference a namespaced metric");
    });

    it("rejects both on update too", async () => {
      const obj = await created(GCS, doc("globalcloud.json"));
      const body = copy(obj);
      body.spec.openstack.infrastructure_provider.namespaced = true;
      body.spec.openstack.metrics[0].namespaced = true;
      const p = expectProblem(await rest(api, "PUT", `${GCS}/${obj.metadata.name as string}`, body), 422, "INVALID_ARGUMENT");
      expect((p.errors as Json[]).map((e) => e.field)).to.have.members([
        "spec.openstack.infrastructure_provider.namespaced",
        "spec.openstack.metrics[0].namespaced",
      ]);
    });

    it("a namespaced Cloud may reference namespaced providers and metrics", async () => {
      const obj = await created(CLOUDS, doc("cloud.json"));
      expect(obj.spec.openstack.infrastructure_provider).to.deep.equal({ name: "im-team", namespaced: true });
      expect(obj.spec.openstack.metrics[0]).to.deep.equal({ name: "heat-demand", weight: 0.8, namespaced: true });
    });
  });

  it("lists clouds of every namespace at /infrastructure/clouds", async () => {
    await created(CLOUDS, doc("cloud.json"));
    await created("/infrastructure/namespaces/team-b/clouds", doc("cloud.json"));
    const all = await rest(api, "GET", "/infrastructure/clouds");
    expect(all.status, all.text).to.equal(200);
    expect(all.json.kind).to.equal("CloudList");
    const namespaces = new Set((all.json.items as Wire[]).map((i) => i.metadata.namespace));
    expect([...namespaces]).to.include.members(["team-a", "team-b"]);
  });
});
