/** google.api.http path templates and the gateway's router. */
import { expect } from "chai";
import { matchTemplate, parseTemplate } from "../../src/apiserver/gateway/path-template.js";
import { Router } from "../../src/apiserver/gateway/router.js";

const split = (path: string) => path.split("/").slice(1);

describe("gateway path templates", () => {
  it("parses Krake's URL shapes as simple templates", () => {
    const t = parseTemplate("/kubernetes/namespaces/{namespace}/applications/{name}");
    expect(t.simple).to.equal(true);
    expect(t.segments.map((s) => s.type)).to.deep.equal(["literal", "literal", "any", "literal", "any"]);
    expect(t.variables).to.deep.equal([{ field: "namespace", start: 2, end: 3 }, { field: "name", start: 4, end: 5 }]);
  });

  const cases: [string, string, Record<string, string> | undefined][] = [
    ["/core/roles/{name}", "/core/roles/app-operator", { name: "app-operator" }],
    ["/core/roles/{name}", "/core/roles/a%2Fb%20c", { name: "a/b c" }],
    ["/core/roles/{name}", "/core/roles", undefined],
    ["/core/roles/{name}", "/core/roles/", undefined],
    ["/core/roles/{name}", "/core/roles/a/b", undefined],
    ["/v1/{parent.name=projects/*}/items", "/v1/projects/p1/items", { "parent.name": "projects/p1" }],
    ["/v1/{parent.name=projects/*}/items", "/v1/folders/p1/items", undefined],
    ["/files/{path=**}", "/files/a/b/c.txt", { path: "a/b/c.txt" }],
    ["/v1/{name}:cancel", "/v1/op-1:cancel", { name: "op-1" }],
    ["/v1/{name}:cancel", "/v1/op-1", undefined],
    ["/v1/*/x", "/v1/anything/x", {}],
  ];
  for (const [template, path, expected] of cases) {
    it(`${template} ${expected ? "matches" : "does not match"} ${path}`, () => {
      expect(matchTemplate(parseTemplate(template), split(path))).to.deep.equal(expected);
    });
  }

  it("refuses malformed templates", () => {
    for (const bad of ["core/roles", "/core/{name", "/core/{na-me}", "/a/**/b", "/a//b", "/a/b*c"]) {
      expect(() => parseTemplate(bad), bad).to.throw(/path template/);
    }
  });
});

describe("gateway router", () => {
  const router = new Router<string>();
  router.add("GET", parseTemplate("/core/roles"), "list");
  router.add("POST", parseTemplate("/core/roles"), "create");
  router.add("GET", parseTemplate("/core/roles/{name}"), "get");
  router.add("PUT", parseTemplate("/core/roles/{name}"), "update");
  router.add("GET", parseTemplate("/core/{plural}/special"), "special");
  router.add("GET", parseTemplate("/core/roles/special"), "literal");
  router.add("POST", parseTemplate("/v1/{name}:cancel"), "cancel");

  it("finds the handler and decodes the variables", () => {
    const m = router.match("GET", "/core/roles/a%3Ab");
    expect(m && m.found && m.handler).to.equal("get");
    expect(m && m.found && m.params).to.deep.equal({ name: "a:b" });
  });

  it("prefers a literal segment over a variable, and backtracks when the literal leads nowhere", () => {
    const lit = router.match("GET", "/core/roles/special");
    expect(lit && lit.found && lit.handler).to.equal("literal");
    const varFirst = router.match("GET", "/core/metrics/special");
    expect(varFirst && varFirst.found && varFirst.handler).to.equal("special");
    expect(varFirst && varFirst.found && varFirst.params).to.deep.equal({ plural: "metrics" });
  });

  it("reports the allowed methods of a known path", () => {
    expect(router.match("DELETE", "/core/roles")).to.deep.equal({ found: false, allow: ["GET", "POST"] });
    expect(router.match("POST", "/core/roles/x")).to.deep.equal({ found: false, allow: ["GET", "PUT"] });
  });

  it("does not know other paths", () => {
    expect(router.match("GET", "/core")).to.equal(undefined);
    expect(router.match("GET", "/core/roles/x/y")).to.equal(undefined);
    expect(router.match("GET", "/")).to.equal(undefined);
  });

  it("routes templates with verbs", () => {
    const m = router.match("POST", "/v1/op-7:cancel");
    expect(m && m.found && m.handler).to.equal("cancel");
  });

  it("refuses a second handler for the same method and template", () => {
    expect(() => router.add("GET", parseTemplate("/core/roles"), "again")).to.throw(/bound twice/);
  });

  it("throws URIError on malformed percent-encoding", () => {
    expect(() => router.match("GET", "/core/roles/%E0%A4%A")).to.throw(URIError);
  });
});
