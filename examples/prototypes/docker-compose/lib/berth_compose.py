"""Berth prototype "docker-compose": real compose files run by docker-compose against the worker's engine.

Every container joins the task's network namespace (network_mode "ns:PATH", podman's mode), so the task reaches
them on 127.0.0.1 and nothing else does; nothing is published on the host, no network is created. The agent
grants this prototype the engine (DOCKER_HOST, BERTH_NETWORK_NAMESPACE) only when the operator lists it in
BERTH_ENGINE_PROTOTYPES, and it then runs as root: whoever reaches the engine is root on the worker. That is why
the merged stack is checked here before anything is created: what would reach past the task's namespace and
working directory (privileged, capabilities, devices, host namespaces, bind mounts of other paths, builds) is
refused with the service's name and the key.
"""
import hashlib
import http.client
import json
import os
import re
import resource
import socket
import subprocess
import sys

import yaml

MERGED = ".berth-compose.yml"
PARAMS = {"files"}
# keys that would give the stack more than the task's namespace and working directory
REFUSED = {
    "privileged": "runs the container privileged",
    "cap_add": "adds capabilities",
    "devices": "maps host devices",
    "device_cgroup_rules": "opens host devices",
    "pid": "joins another pid namespace",
    "ipc": "joins another ipc namespace",
    "userns_mode": "changes the user namespace",
    "uts": "joins another uts namespace",
    "security_opt": "changes the security profile",
    "cgroup_parent": "moves the container's cgroup",
    "network_mode": "chooses its network; Berth puts every container in the task's network namespace",
    "build": "builds an image; images must already be on the worker",
    "volumes_from": "mounts another container's volumes",
    "sysctls": "sets kernel parameters",
}
# keys that mean nothing in the task's namespace, or would collide between tasks: dropped, with a note
DROPPED = {
    "ports": "every port is reachable on 127.0.0.1 in the task's namespace; nothing is published on the host",
    "networks": "all services share the task's network namespace",
    "container_name": "containers are named per task, so that two tasks can run the same stack",
    "links": "services reach each other on 127.0.0.1",
    "external_links": "services reach each other on 127.0.0.1",
    "extra_hosts": "the task's namespace has no other hosts",
    "dns": "the task's namespace has no network beyond loopback",
}


class Refused(Exception):
    pass


def request():
    return json.load(sys.stdin)


def respond(req, answer):
    with open(req["response_path"], "w") as out:
        json.dump(answer, out)


def fail(message):
    print("docker-compose prototype: " + message, flush=True)
    sys.exit(1)


def files(params):
    """The params' compose files: relative paths in the working directory, where the inputs are."""
    if not isinstance(params, dict):
        raise Refused("params must be an object with 'files'")
    unknown = sorted(set(params) - PARAMS)
    if unknown:
        raise Refused("unknown params %s; expected %s" % (unknown, sorted(PARAMS)))
    names = params.get("files")
    if not isinstance(names, list) or not names or not all(isinstance(f, str) and f for f in names):
        raise Refused("params.files must be a non-empty list of compose file paths (relative to the inputs)")
    for name in names:
        if os.path.isabs(name) or ".." in name.split("/"):
            raise Refused("params.files: '%s' must be relative and stay below the working directory" % name)
        if not os.path.isfile(name):
            raise Refused("params.files: no file '%s' (are its inputs listed in 'inputs'?)" % name)
    return names


def engine():
    """DOCKER_HOST and the task's namespace, as the agent grants them."""
    host = os.environ.get("DOCKER_HOST", "")
    if not host.startswith("unix://"):
        raise Refused("this worker does not give the docker-compose prototype its container engine "
                      "(the operator lists it in BERTH_ENGINE_PROTOTYPES; the agent needs BERTH_ENGINE_SOCKET)")
    netns = os.environ.get("BERTH_NETWORK_NAMESPACE", "")
    if not netns:
        raise Refused("the task has no network namespace of its own (host network mode): its containers "
                      "would be on the host's network")
    return host[len("unix://"):], netns


def project():
    """One compose project per task and service: two tasks may run the same stack."""
    key = os.environ["BERTH_TASK_ID"] + "/" + os.environ["BERTH_SERVICE_NAME"]
    return "berth_" + hashlib.sha256(key.encode()).hexdigest()[:12]


def compose(*args, **kwargs):
    return ["docker-compose", "--ansi", "never", "-p", project()] + list(args)


def check_files(names):
    """What docker-compose itself would read from the host while merging (env_file, extends: file) must come from
    the working directory or the task's inputs: compose runs as root here."""
    roots = allowed_roots()
    problems = []
    for name in names:
        with open(name) as f:
            data = yaml.safe_load(f) or {}
        base = os.path.dirname(name)
        for service, config in ((data.get("services") or {}) if isinstance(data, dict) else {}).items():
            if not isinstance(config, dict):
                continue
            env_files = config.get("env_file") or []
            extends = config.get("extends")
            paths = [env_files] if isinstance(env_files, str) else list(env_files)
            if isinstance(extends, dict) and extends.get("file"):
                paths.append(extends["file"])
            for path in paths:
                if isinstance(path, str) and not within(os.path.join(base, os.path.expanduser(path)), roots):
                    problems.append("%s: service '%s': %s is refused: files may come only from the working "
                                    "directory and the task's inputs" % (name, service, path))
    if problems:
        raise Refused("; ".join(problems))


def within(path, roots):
    real = os.path.realpath(path)
    return any(real == r or real.startswith(r + "/") for r in roots)


def merged_config(names):
    """The files merged as compose merges them (docker-compose config), as a dict."""
    check_files(names)
    argv = compose(*sum([["-f", n] for n in names], []), "config")
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        raise Refused("docker-compose config: " + (result.stderr or result.stdout).strip())
    return yaml.safe_load(result.stdout)


def allowed_roots():
    """Bind mounts may come from the working directory and the task's inputs linked in it."""
    cwd = os.getcwd()
    roots = [os.path.realpath(cwd)]
    for entry in os.listdir(cwd):
        path = os.path.join(cwd, entry)
        if os.path.islink(path):
            roots.append(os.path.realpath(path))
    return roots


def confine(config, netns):
    """The merged stack, checked and rewritten to run in the task's namespace; notes on what was dropped."""
    notes = []
    problems = []
    roots = allowed_roots()
    nofile = limit(resource.RLIMIT_NOFILE, "/proc/sys/fs/nr_open")
    nproc = limit(resource.RLIMIT_NPROC, "/proc/sys/kernel/pid_max")
    for name, service in (config.get("services") or {}).items():
        for key, why in REFUSED.items():
            if key in service:
                problems.append("service '%s': '%s' is refused: it %s" % (name, key, why))
        for volume in service.get("volumes") or []:
            source = bind_source(volume)
            if source is not None:
                if not within(source, roots):
                    problems.append("service '%s': bind mount of %s is refused: only the working directory and "
                                    "the task's inputs may be mounted" % (name, source))
        for key, why in DROPPED.items():
            if key in service:
                del service[key]
                notes.append("service '%s': '%s' dropped: %s" % (name, key, why))
        service["network_mode"] = "ns:" + netns
        labels = service.setdefault("labels", {})
        if isinstance(labels, list):
            labels = service["labels"] = dict(l.split("=", 1) if "=" in l else (l, "") for l in labels)
        # the agent's labels: an agent that starts after a crash removes the containers of its dead predecessor
        labels.update(json.loads(os.environ.get("BERTH_CONTAINER_LABELS") or "{}"))
        # an engine's own defaults may exceed what the worker may give (root without CAP_SYS_RESOURCE)
        limits = service.setdefault("ulimits", {})
        limits.setdefault("nofile", {"soft": nofile[0], "hard": nofile[1]})
        limits.setdefault("nproc", {"soft": nproc[0], "hard": nproc[1]})
    for name, volume in (config.get("volumes") or {}).items():
        if isinstance(volume, dict) and (volume.get("driver_opts") or volume.get("external")
                                         or volume.get("driver", "local") != "local"):
            problems.append("volume '%s': a driver, driver_opts or an external volume is refused: only plain "
                            "volumes of the stack's own" % name)
    for kind in ("secrets", "configs"):
        for name, item in (config.get(kind) or {}).items():
            path = item.get("file") if isinstance(item, dict) else None
            if not path or not within(path, roots):
                problems.append("%s '%s': only a file from the working directory or the task's inputs is "
                                "allowed" % (kind[:-1], name))
    if problems:
        raise Refused("; ".join(problems))
    config.pop("networks", None)
    return config, notes


def limit(which, ceiling_file):
    """This process's (soft, hard) limit, never above the kernel's ceiling: an engine may not grant more (podman
    lowers its own process limit to pid_max, and a container asking above its engine's limit fails to start)."""
    with open(ceiling_file) as f:
        ceiling = int(f.read().strip())
    soft, hard = resource.getrlimit(which)
    cap = lambda v: ceiling if v == resource.RLIM_INFINITY else min(v, ceiling)
    return cap(soft), cap(hard)


def bind_source(volume):
    """The host path a volume entry binds (long syntax, or short "SOURCE:TARGET[:MODE]"), None for a named or
    anonymous volume."""
    if isinstance(volume, dict):
        return volume.get("source", "") if volume.get("type") == "bind" else None
    parts = str(volume).split(":")
    if len(parts) >= 2 and parts[0].startswith(("/", ".", "~")):
        return os.path.expanduser(parts[0])
    return None


def write_merged(config):
    with open(MERGED, "w") as out:
        yaml.safe_dump(config, out, default_flow_style=False, sort_keys=False)


class Engine:
    """The Docker Engine API on a unix socket (only what the health runner needs)."""

    def __init__(self, path):
        self.path = path

    def call(self, method, url):
        conn = http.client.HTTPConnection("localhost", timeout=60)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(60)
        sock.connect(self.path)
        conn.sock = sock
        try:
            conn.request(method, url)
            response = conn.getresponse()
            body = response.read()
            return response.status, (json.loads(body) if body else None)
        finally:
            conn.close()

    def is_podman(self):
        status, version = self.call("GET", "/version")
        return status == 200 and any("Podman" in c.get("Name", "") for c in version.get("Components") or [])


def duration_seconds(nanos, default):
    return nanos / 1e9 if nanos else default
