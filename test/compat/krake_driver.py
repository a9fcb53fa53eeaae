"""Drives a Krake API with Krake's own Python client library (PyPI krake==1.0.1), as Krake's controllers do.

Usage: krake_driver.py API_URL FIXTURES_DIR NAMESPACE

Every check runs on its own: a failure is recorded (with the error Krake's client raised, e.g. a marshmallow
ValidationError naming the field its schema refused) and the next check runs. Prints one JSON document on
stdout: {"checks": [{"name", "ok", "error"?, "detail"?}...]}; the mocha test (krake-client.test.ts) asserts on
it. Every response goes through Krake's client, which loads it with Krake's schemas (krake.data).
"""
import asyncio
import json
import os
import sys
import traceback
from datetime import datetime, timezone

import yaml
from krake.client import Client
from krake.client.core import CoreApi
from krake.client.infrastructure import InfrastructureApi
from krake.client.kubernetes import KubernetesApi
from krake.client.openstack import OpenStackApi
from krake.data.core import ResourceRef, WatchEventType
from krake.data.core import GlobalMetric, GlobalMetricsProvider, Metric, MetricsProvider, Role, RoleBinding
from krake.data.infrastructure import (
    Cloud,
    CloudBinding,
    GlobalCloud,
    GlobalInfrastructureProvider,
    InfrastructureProvider,
)
from krake.data.kubernetes import (
    Application,
    ApplicationComplete,
    ApplicationShutdown,
    ApplicationState,
    Cluster,
    ClusterBinding,
    ClusterNode,
    ClusterState,
)
from krake.data.openstack import MagnumCluster, Project

API_URL, FIXTURES, NS = sys.argv[1], sys.argv[2], sys.argv[3]
WAIT = 10  # seconds for one watch event

checks = []


def record(name, ok, error=None, detail=None):
    entry = {"name": name, "ok": ok}
    if error is not None:
        entry["error"] = error
    if detail is not None:
        entry["detail"] = detail
    checks.append(entry)


async def check(name, coro_fn):
    """Runs one check; an exception (Krake's client raised it) fails it with the reason."""
    try:
        detail = await coro_fn()
        record(name, True, detail=detail)
        return True
    except Exception as err:  # noqa: BLE001 - every failure is reported by name
        message = f"{type(err).__name__}: {err}"
        if os.environ.get("KRAKE_DRIVER_TRACE"):
            message += "\n" + traceback.format_exc()
        record(name, False, error=message)
        return False


def fixture(file, cls, name=None):
    """A Krake object from its wire document (as a user writes it: no uid, created, ...). A global fixture
    read as `cls` of another kind (GlobalMetric as Metric) becomes that namespaced kind."""
    with open(os.path.join(FIXTURES, file)) as f:
        doc = yaml.safe_load(f)
    if name:
        doc["metadata"]["name"] = name
    if doc["kind"] != cls.__name__:
        doc["kind"] = cls.__name__
        doc["metadata"]["namespace"] = NS
    elif "namespace" in doc["metadata"]:
        doc["metadata"]["namespace"] = NS
    return cls.deserialize(doc, creation_ignored=True)


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


# Every kind of every group Krake's client knows: (client attribute, singular, plural, class, fixture,
# namespaced, whether the client has list_all_<plural>, or list_<plural>(namespace=None) for all).
KINDS = [
    ("core", "global_metrics_provider", "global_metrics_providers", GlobalMetricsProvider,
     "globalmetricsprovider-static.json", False),
    ("core", "global_metric", "global_metrics", GlobalMetric, "globalmetric.json", False),
    ("core", "metrics_provider", "metrics_providers", MetricsProvider, "globalmetricsprovider.json", True),
    ("core", "metric", "metrics", Metric, "globalmetric.json", True),
    ("core", "role", "roles", Role, "role.yaml", False),
    ("core", "role_binding", "role_bindings", RoleBinding, "rolebinding.yaml", False),
    ("infrastructure", "global_infrastructure_provider", "global_infrastructure_providers",
     GlobalInfrastructureProvider, "globalinfrastructureprovider.json", False),
    ("infrastructure", "infrastructure_provider", "infrastructure_providers", InfrastructureProvider,
     "infrastructureprovider.json", True),
    ("infrastructure", "global_cloud", "global_clouds", GlobalCloud, "globalcloud.json", False),
    ("infrastructure", "cloud", "clouds", Cloud, "cloud.json", True),
    ("openstack", "project", "projects", Project, "project.json", True),
    ("openstack", "magnum_cluster", "magnum_clusters", MagnumCluster, "magnumcluster.json", True),
    ("kubernetes", "cluster", "clusters", Cluster, "cluster.json", True),
    ("kubernetes", "application", "applications", Application, "application.json", True),
]


async def kind_lifecycle(apis, group, singular, plural, cls, file, namespaced):
    api = apis[group]
    name = f"compat-{singular.replace('_', '-')}"
    obj = fixture(file, cls, name=name)
    ns = {"namespace": NS} if namespaced else {}
    label = f"{group}/{cls.__name__}"

    async def create():
        created = await getattr(api, f"create_{singular}")(body=obj, **ns)
        expect(created.metadata.name == name, "created object has another name")
        expect(created.metadata.namespace == (NS if namespaced else None),
               f"namespace {created.metadata.namespace!r}, Krake writes {NS if namespaced else None!r}")

    async def read():
        got = await getattr(api, f"read_{singular}")(name=name, **ns)
        expect(got.metadata.uid, "no uid")

    async def list_ns():
        listed = await getattr(api, f"list_{plural}")(**ns)
        expect(name in [o.metadata.name for o in listed.items], "not listed")

    async def list_all():
        if hasattr(api, f"list_all_{plural}"):
            listed = await getattr(api, f"list_all_{plural}")()
        else:
            listed = await getattr(api, f"list_{plural}")(namespace=None)
        expect(name in [o.metadata.name for o in listed.items], "not listed across namespaces")

    async def update():
        got = await getattr(api, f"read_{singular}")(name=name, **ns)
        got.metadata.labels = {**got.metadata.labels, "compat": "updated"}
        updated = await getattr(api, f"update_{singular}")(body=got, name=name, **ns)
        expect(updated.metadata.labels.get("compat") == "updated", "label not updated")

    async def delete():
        deleted = await getattr(api, f"delete_{singular}")(name=name, **ns)
        expect(deleted is None or deleted.metadata.deleted is not None, "DELETE answered without `deleted`")
        # What Krake's garbage collector does once it handled an object: pop its finalizer, PUT it back.
        got = await getattr(api, f"read_{singular}")(name=name, **ns)
        got.metadata.finalizers = [f for f in got.metadata.finalizers if f != "cascade_deletion"]
        await getattr(api, f"update_{singular}")(body=got, name=name, **ns)
        try:
            await getattr(api, f"read_{singular}")(name=name, **ns)
        except Exception as err:  # noqa: BLE001
            expect(getattr(err, "status", None) == 404, f"read after the last finalizer: {err}")
            return
        raise AssertionError("still there after its last finalizer was removed")

    await check(f"{label} create", create)
    await check(f"{label} read", read)
    await check(f"{label} list", list_ns)
    if namespaced:
        await check(f"{label} list all namespaces", list_all)
    await check(f"{label} update", update)
    await check(f"{label} delete", delete)


async def subresources(k8s, infra, session):
    cluster = fixture("cluster.json", Cluster, name="sub-cluster")
    app = fixture("application.json", Application, name="sub-app")
    app.spec.hooks = ["complete", "shutdown"]
    ref = ResourceRef(api="kubernetes", kind="Cluster", namespace=NS, name="sub-cluster")

    async def create_both():
        await k8s.create_cluster(body=cluster, namespace=NS)
        created = await k8s.create_application(body=app, namespace=NS)
        expect(created.status.container_health is not None, "no container_health")
        expect(created.status.retries is None, f"status.retries {created.status.retries!r}, Krake: None")
        # Krake 1.0.1 knows no shutdown_failure_strategy, shutdown_retry_count or storage_migration (the
        # gateway tests check those); its shutdown_grace_time may not be null, and defaults to 30.
        expect(created.spec.shutdown_grace_time == 30, f"spec.shutdown_grace_time {created.spec.shutdown_grace_time!r}")

    async def bind_application():
        bound = await k8s.update_application_binding(body=ClusterBinding(cluster=ref), namespace=NS, name="sub-app")
        expect(bound.status.scheduled_to == ref, "scheduled_to not set")
        expect(ref in bound.metadata.owners, "cluster not an owner")

    async def application_status():
        got = await k8s.read_application(namespace=NS, name="sub-app")
        got.status.state = ApplicationState.RUNNING
        got.status.running_on = ref
        # Microseconds, as Krake writes them (isoformat()): stored, answered and read back unchanged.
        got.status.kube_controller_triggered = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)
        got.status.complete_token = "complete-secret"
        got.status.shutdown_token = "shutdown-secret"
        got.status.container_health.running_pods = 2
        put = await k8s.update_application_status(body=got, namespace=NS, name="sub-app")
        expect(put.status.state == ApplicationState.RUNNING, "state not written")
        expect(put.status.kube_controller_triggered == got.status.kube_controller_triggered,
               f"timestamp {got.status.kube_controller_triggered.isoformat()} was answered as "
               f"{put.status.kube_controller_triggered.isoformat()}")
        again = await k8s.read_application(namespace=NS, name="sub-app")
        expect(again.status.kube_controller_triggered == got.status.kube_controller_triggered,
               f"timestamp {got.status.kube_controller_triggered.isoformat()} was read back as "
               f"{again.status.kube_controller_triggered.isoformat()}")
        expect(again.status.container_health.running_pods == 2, "container_health not written")

    async def delete_with_shutdown_hook():
        deleted = await k8s.delete_application(namespace=NS, name="sub-app")
        expect(deleted.status.state == ApplicationState.WAITING_FOR_CLEANING,
               f"state {deleted.status.state.name} after DELETE, Krake: WAITING_FOR_CLEANING")

    async def shutdown():
        done = await k8s.update_application_shutdown(
            body=ApplicationShutdown(token="shutdown-secret"), namespace=NS, name="sub-app")
        expect(done.status.state == ApplicationState.READY_FOR_ACTION, f"state {done.status.state.name}")

    async def retry():
        got = await k8s.read_application(namespace=NS, name="sub-app")
        got.status.state = ApplicationState.DEGRADED
        got.status.shutdown_grace_period = datetime(2026, 1, 2, 3, 4, 5, 654321, tzinfo=timezone.utc)
        await k8s.update_application_status(body=got, namespace=NS, name="sub-app")
        # krakectl's `kube app retry`: Krake 1.0.1's client library has no method for it.
        url = k8s.client.url.with_path(f"/kubernetes/namespaces/{NS}/applications/sub-app/retry")
        resp = await session.request("PUT", url)
        retried = Application.deserialize(await resp.json())
        expect(retried.status.state == ApplicationState.WAITING_FOR_CLEANING, f"state {retried.status.state.name}")
        expect(retried.status.shutdown_grace_period is None, "retry kept shutdown_grace_period")

    async def complete():
        other = fixture("application.json", Application, name="complete-app")
        other.spec.hooks = ["complete"]
        await k8s.create_application(body=other, namespace=NS)
        got = await k8s.read_application(namespace=NS, name="complete-app")
        got.status.complete_token = "complete-secret"
        await k8s.update_application_status(body=got, namespace=NS, name="complete-app")
        done = await k8s.update_application_complete(
            body=ApplicationComplete(token="complete-secret"), namespace=NS, name="complete-app")
        expect(done.status.state == ApplicationState.READY_FOR_ACTION, f"state {done.status.state.name}")
        expect(done.metadata.deleted is not None, "complete did not set deleted")

    async def bind_deleting():
        other = fixture("application.json", Application, name="bind-deleting")
        other.spec.hooks = []
        await k8s.create_application(body=other, namespace=NS)
        await k8s.delete_application(namespace=NS, name="bind-deleting")
        bound = await k8s.update_application_binding(body=ClusterBinding(cluster=ref), namespace=NS, name="bind-deleting")
        expect(bound.status.scheduled_to == ref, "scheduled_to not set")

    async def cluster_status():
        got = await k8s.read_cluster(namespace=NS, name="sub-cluster")
        got.status.state = ClusterState.ONLINE
        got.status.nodes = [ClusterNode.deserialize({
            "metadata": {"name": "node-1"},
            "status": {"conditions": [{"message": "ok", "reason": "KubeletReady", "status": "True", "type": "Ready"}]},
        })]
        put = await k8s.update_cluster_status(body=got, namespace=NS, name="sub-cluster")
        expect(put.status.state == ClusterState.ONLINE, "state not written")
        expect([n.metadata.name for n in put.status.nodes] == ["node-1"], "nodes not written")

    async def bind_cluster():
        cloud = fixture("cloud.json", Cloud, name="sub-cloud")
        await infra.create_cloud(body=cloud, namespace=NS)
        other = fixture("cluster.json", Cluster, name="tosca-cluster")
        cloud_ref = ResourceRef(api="infrastructure", kind="Cloud", namespace=NS, name="sub-cloud")
        await k8s.create_cluster(body=other, namespace=NS)
        bound = await k8s.update_cluster_binding(body=CloudBinding(cloud=cloud_ref), namespace=NS, name="tosca-cluster")
        expect(bound.status.scheduled_to == cloud_ref, "scheduled_to not set")
        expect(cloud_ref in bound.metadata.owners, "cloud not an owner")

    await check("kubernetes/Application and Cluster create (Krake's defaults)", create_both)
    await check("kubernetes/Application binding", bind_application)
    await check("kubernetes/Application status (timestamps to the microsecond)", application_status)
    await check("kubernetes/Application delete with a shutdown hook", delete_with_shutdown_hook)
    await check("kubernetes/Application shutdown", shutdown)
    await check("kubernetes/Application retry", retry)
    await check("kubernetes/Application complete", complete)
    await check("kubernetes/Application binding while being deleted", bind_deleting)
    await check("kubernetes/Cluster status with nodes", cluster_status)
    await check("kubernetes/Cluster binding", bind_cluster)


async def finalizer_and_owner(k8s):
    """Krake's application controller in deletion: drops its finalizer and the cluster owner in one PUT."""
    name = "owned-app"
    ref = ResourceRef(api="kubernetes", kind="Cluster", namespace=NS, name="sub-cluster")

    async def run():
        app = fixture("application.json", Application, name=name)
        app.spec.hooks = []
        await k8s.create_application(body=app, namespace=NS)
        await k8s.update_application_binding(body=ClusterBinding(cluster=ref), namespace=NS, name=name)
        got = await k8s.read_application(namespace=NS, name=name)
        got.metadata.finalizers.append("kubernetes_resources_deletion")
        await k8s.update_application(body=got, namespace=NS, name=name)
        await k8s.delete_application(namespace=NS, name=name)
        got = await k8s.read_application(namespace=NS, name=name)
        expect(got.metadata.finalizers == ["kubernetes_resources_deletion", "cascade_deletion"],
               f"finalizers {got.metadata.finalizers}")
        got.metadata.finalizers = ["kubernetes_resources_deletion"]  # the garbage collector's step
        await k8s.update_application(body=got, namespace=NS, name=name)
        got = await k8s.read_application(namespace=NS, name=name)
        got.metadata.finalizers.remove("kubernetes_resources_deletion")
        got.metadata.owners.remove(ref)
        got.status.state = ApplicationState.DELETED
        await k8s.update_application_status(body=got, namespace=NS, name=name)
        await k8s.update_application(body=got, namespace=NS, name=name)
        try:
            await k8s.read_application(namespace=NS, name=name)
        except Exception as err:  # noqa: BLE001
            expect(getattr(err, "status", None) == 404, f"read after the last finalizer: {err}")
            return
        raise AssertionError("still there after its last finalizer was removed")

    await check("kubernetes/Application update in deletion removing a finalizer and an owner", run)


async def watch(k8s):
    name = "watched-app"

    async def run():
        seen = []
        stamps = []
        ready = asyncio.Event()

        async def consume():
            async with k8s.watch_applications(namespace=NS, heartbeat=1) as events:
                ready.set()
                async for event in events:
                    if event.object.metadata.name != name:
                        continue
                    seen.append(event.type)
                    stamps.append(event.object.status.kube_controller_triggered)
                    if event.type == WatchEventType.DELETED:
                        return

        task = asyncio.create_task(consume())
        await asyncio.wait_for(ready.wait(), WAIT)
        app = fixture("application.json", Application, name=name)
        app.spec.hooks = []
        await k8s.create_application(body=app, namespace=NS)
        got = await k8s.read_application(namespace=NS, name=name)
        stamp = datetime(2026, 1, 2, 3, 4, 5, 654321, tzinfo=timezone.utc)
        got.status.kube_controller_triggered = stamp
        await k8s.update_application_status(body=got, namespace=NS, name=name)
        got = await k8s.read_application(namespace=NS, name=name)
        got.metadata.labels["watched"] = "yes"
        await k8s.update_application(body=got, namespace=NS, name=name)
        got = await k8s.delete_application(namespace=NS, name=name)
        got.metadata.finalizers = []
        await k8s.update_application(body=got, namespace=NS, name=name)
        await asyncio.wait_for(task, WAIT)
        kinds = [t.name for t in seen]
        expect(kinds[0] == "ADDED" and kinds[-1] == "DELETED" and "MODIFIED" in kinds, f"events {kinds}")
        expect(stamp in stamps, f"no event carries the status timestamp {stamp.isoformat()} to the microsecond: "
               f"{[s and s.isoformat() for s in stamps]}")
        return kinds

    await check("kubernetes/Application watch (ADDED, MODIFIED, DELETED)", run)


async def scheduler_reads(core, infra):
    """What Krake's scheduler reads: global metrics and their providers, clouds and global clouds."""

    async def metrics():
        await core.create_global_metrics_provider(body=fixture("globalmetricsprovider.json", GlobalMetricsProvider))
        await core.create_global_metric(body=fixture("globalmetric.json", GlobalMetric, name="sched-metric"))
        metric = await core.read_global_metric(name="sched-metric")
        provider = await core.read_global_metrics_provider(name=metric.spec.provider.name.replace("static-demo", "prometheus-eu"))
        expect(provider.spec.type == "prometheus" and provider.spec.prometheus.url, "provider spec")
        expect(len((await core.list_global_metrics()).items) >= 1, "no global metrics listed")
        expect(len((await core.list_global_metrics_providers()).items) >= 1, "no providers listed")

    async def clouds():
        await infra.create_global_cloud(body=fixture("globalcloud.json", GlobalCloud, name="sched-global-cloud"))
        expect("sub-cloud" in [c.metadata.name for c in (await infra.list_clouds(namespace=NS)).items], "clouds")
        expect("sub-cloud" in [c.metadata.name for c in (await infra.list_all_clouds()).items], "all clouds")
        listed = (await infra.list_global_clouds()).items
        expect("sched-global-cloud" in [c.metadata.name for c in listed], "global clouds")
        expect(all(c.metadata.namespace is None for c in listed), "a global cloud with a namespace")

    await check("core global metrics and providers, read as the scheduler does", metrics)
    await check("infrastructure clouds and global clouds, listed as the scheduler does", clouds)


async def main():
    async with Client(url=API_URL) as client:
        apis = {
            "core": CoreApi(client),
            "kubernetes": KubernetesApi(client),
            "infrastructure": InfrastructureApi(client),
            "openstack": OpenStackApi(client),
        }
        for group, singular, plural, cls, file, namespaced in KINDS:
            await kind_lifecycle(apis, group, singular, plural, cls, file, namespaced)
        await subresources(apis["kubernetes"], apis["infrastructure"], client.session)
        await finalizer_and_owner(apis["kubernetes"])
        await watch(apis["kubernetes"])
        await scheduler_reads(apis["core"], apis["infrastructure"])
    json.dump({"checks": checks}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    asyncio.run(main())
