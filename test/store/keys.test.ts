import { expect } from "chai";
import { ApiError, Status } from "../../src/errors/api-error.js";
import {
  kindOfKey,
  DEFAULT_KEY_PREFIX,
  kindPrefix,
  namespacePrefix,
  objectKey,
  parseObjectKey,
} from "../../src/store/keys.js";

describe("store keys", () => {
  it("lays out namespaced and global keys", () => {
    expect(DEFAULT_KEY_PREFIX).to.equal("/krake");
    expect(objectKey("/krake", "kubernetes", "applications", "ns1", "app")).to.equal(
      "/krake/kubernetes/applications/ns1/app",
    );
    expect(objectKey("/krake", "core", "roles", "", "admin")).to.equal("/krake/core/roles/admin");
    expect(kindPrefix("/krake", "kubernetes", "applications")).to.equal("/krake/kubernetes/applications/");
    expect(namespacePrefix("/krake", "kubernetes", "applications", "ns1")).to.equal(
      "/krake/kubernetes/applications/ns1/",
    );
  });

  it("keeps every object key under its kind and namespace prefixes", () => {
    const key = objectKey("/krake", "kubernetes", "clusters", "ns", "c1");
    expect(key.startsWith(kindPrefix("/krake", "kubernetes", "clusters"))).to.equal(true);
    expect(key.startsWith(namespacePrefix("/krake", "kubernetes", "clusters", "ns"))).to.equal(true);
    expect(key.startsWith(namespacePrefix("/krake", "kubernetes", "clusters", "n"))).to.equal(false);
  });

  it("parses keys back", () => {
    expect(parseObjectKey("/krake", "/krake/kubernetes/applications/ns1/app")).to.deep.equal({
      api: "kubernetes",
      plural: "applications",
      namespace: "ns1",
      name: "app",
    });
    expect(parseObjectKey("/krake", "/krake/core/roles/admin")).to.deep.equal({
      api: "core",
      plural: "roles",
      namespace: "",
      name: "admin",
    });
    for (const bad of ["/other/core/roles/admin", "/krakeX/core/roles/a", "/krake/core/roles", "/krake/a/b/c/d/e", "/krake/core//x"]) {
      expect(parseObjectKey("/krake", bad), bad).to.equal(undefined);
    }
  });

  it("rejects names and segments containing '/' or empty", () => {
    const cases: (() => string)[] = [
      () => objectKey("/krake", "core", "roles", "", "a/b"),
      () => objectKey("/krake", "core", "roles", "ns/x", "a"),
      () => objectKey("/krake", "core", "roles", "ns", ""),
      () => kindPrefix("/krake", "a/b", "roles"),
      () => kindPrefix("/krake", "core", ""),
    ];
    for (const f of cases) {
      try {
        f();
        expect.fail(`accepted: ${f.toString()}`);
      } catch (err) {
        expect(err).to.be.instanceOf(ApiError);
        expect((err as ApiError).code).to.equal(Status.INVALID_ARGUMENT);
      }
    }
    expect(() => kindPrefix("krake", "core", "roles")).to.throw(/prefix/);
    expect(() => kindPrefix("/krake/", "core", "roles")).to.throw(/prefix/);
  });

  it("kindOfKey names the kind of an object key (what routes a store event), and nothing else", () => {
    expect(kindOfKey("/krake", objectKey("/krake", "kubernetes", "applications", "ns", "a"))).to.equal("kubernetes/applications");
    expect(kindOfKey("/krake", objectKey("/krake", "core", "roles", "", "r"))).to.equal("core/roles");
    expect(kindOfKey("/krake", "/krake/core")).to.equal(undefined);
    expect(kindOfKey("/krake", "/krake/core/roles")).to.equal(undefined);
  });
});
