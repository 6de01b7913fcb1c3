#!/usr/bin/env python3
"""Offline checks of the Kubernetes manifests in docker/k8s/ (what can be
checked without a cluster), and of the Prometheus job that scrapes them:

- every document parses and names its kind; no Secret carries a value;
- selectors (Service, PodDisruptionBudget, NetworkPolicy, topology spread,
  HPA target) match the Deployment's pod labels;
- every container runs non-root, with a read-only root filesystem, no
  privilege escalation and no capabilities; requests and limits are set;
- the pod's configuration (built-in defaults < ConfigMap file < the image's
  ENV < the container's env < its args) is what the manifests claim: the
  container port is the one the service listens on, it listens on every
  interface, no file key is shadowed by a variable, allow_cidrs is empty;
- the grace period exceeds the preStop delay plus drain_timeout_ms;
- the real binary, run with that configuration, answers the probe paths with
  200 and /metrics only with the token (which the Prometheus job sends), and
  exits 0 on SIGTERM;
- the NetworkPolicy's except lists deny exactly what the egress policy blocks
  (egress_except_check);
- docker/prometheus/kubernetes.yml keeps exactly these pods' http port.

  k8s_manifests_test.py --repo DIR --asyncfetch BINARY --egress-check BINARY
"""
import argparse
import json
import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

try:
    import yaml
except ImportError:
    print("k8s-manifests: FAILED: python3-yaml is missing (apt-get install python3-yaml)")
    sys.exit(1)

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)
    return ok


def load_manifests(directory):
    """Every document of every file `kubectl apply -f DIR` would read."""
    docs = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith((".yaml", ".yml", ".json")):
            continue
        with open(os.path.join(directory, name)) as f:
            for doc in yaml.safe_load_all(f):
                if doc is None:
                    continue
                named = isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind") \
                    and doc.get("metadata", {}).get("name")
                if check(bool(named), f"{name}: a document with apiVersion, kind and metadata.name"):
                    docs.append((name, doc))
    return docs


def of_kind(docs, kind):
    return [(f, d) for f, d in docs if d["kind"] == kind]


def selector_matches(selector, labels):
    """A LabelSelector (matchLabels and matchExpressions) against a label set."""
    if not selector:
        return False
    for k, v in selector.get("matchLabels", {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions", []):
        key, op, values = e["key"], e["operator"], e.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def quantity(q):
    """A Kubernetes resource quantity as a number (cores, or bytes)."""
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
    m = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(q))
    if not m or (m.group(2) and m.group(2) not in units):
        raise ValueError(f"not a quantity: {q}")
    return float(m.group(1)) * (units[m.group(2)] if m.group(2) else 1)


def image_env(dockerfile):
    """The ENV of the Dockerfile's last stage (the image the pods run)."""
    with open(dockerfile) as f:
        text = re.sub(r"\\\n", " ", f.read())
    env = {}
    for line in text.splitlines():
        words = line.strip().split(None, 1)
        if not words:
            continue
        if words[0].upper() == "FROM":
            env = {}
        elif words[0].upper() == "ENV" and len(words) == 2:
            for item in shlex.split(words[1]):
                if "=" in item:
                    k, v = item.split("=", 1)
                    env[k] = v
    return env


def builtin_defaults(binary):
    """key -> default, as `asyncfetch --help` prints them."""
    out = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30).stdout
    return {m.group(1): json.loads(m.group(2))
            for m in re.finditer(r"^  --(\w+) <[^>]*>  default: (.*)$", out, re.M)}


def config_path(container):
    args = container.get("args", [])
    for i, a in enumerate(args):
        if a == "--config" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--config="):
            return a.split("=", 1)[1]
    for e in container.get("env", []):
        if e["name"] == "ASYNCFETCH_CONFIG":
            return e.get("value")
    return None


def flag_values(args):
    """--key value / --key=value pairs of a command line (but --config)."""
    out, i = {}, 0
    while i < len(args):
        a = args[i]
        if a.startswith("--") and "=" in a:
            k, v = a[2:].split("=", 1)
            out[k] = v
        elif a.startswith("--") and i + 1 < len(args):
            out[a[2:]] = args[i + 1]
            i += 1
        i += 1
    out.pop("config", None)
    return out


def mounted_configmap(pod, container, path, configmaps):
    """The text of the file at `path` in the container, when a ConfigMap volume provides it."""
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for m in container.get("volumeMounts", []):
        base = m["mountPath"].rstrip("/") + "/"
        if not path.startswith(base):
            continue
        cm_ref = volumes.get(m["name"], {}).get("configMap")
        if not cm_ref or cm_ref["name"] not in configmaps:
            continue
        key = path[len(base):]
        for item in cm_ref.get("items", []):
            if item["path"] == key:
                key = item["key"]
        return configmaps[cm_ref["name"]].get("data", {}).get(key)
    return None


def effective_config(defaults, file_cfg, img_env, container):
    """key -> (value, where it comes from), with the service's precedence."""
    cfg = {k: (v, "built-in default") for k, v in defaults.items()}
    for k, v in file_cfg.items():
        cfg[k] = (v, "ConfigMap")
    env = dict(img_env)
    env.update({e["name"]: e.get("value") for e in container.get("env", []) if "value" in e})
    for k in defaults:
        if "ASYNCFETCH_" + k.upper() in env:
            cfg[k] = (env["ASYNCFETCH_" + k.upper()], "environment")
    for k, v in flag_values(container.get("args", [])).items():
        cfg[k] = (v, "args")
    return cfg


def as_list(v):
    if isinstance(v, list):
        return v
    v = v.strip()
    return json.loads(v) if v.startswith("[") else [x.strip() for x in v.split(",") if x.strip()]


def container_port(container, ref):
    """The number of a probe's or Service's port (a name or a number), or None."""
    for p in container.get("ports", []):
        if ref == p.get("name") or ref == p["containerPort"]:
            return p["containerPort"]
    return None


def prestop_seconds(container):
    pre = container.get("lifecycle", {}).get("preStop", {})
    if "sleep" in pre:
        return float(pre["sleep"]["seconds"])
    cmd = pre.get("exec", {}).get("command", [])
    if len(cmd) == 2 and os.path.basename(cmd[0]) == "sleep":
        return float(cmd[1])
    return 0.0


def http_get(url, token=None, timeout=5):
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def run_pod_config(binary, container, cfg_text, img_env, probes):
    """Runs the binary as the pod would (its args, env and config file), on a
    free loopback port, and asks the probe paths and /metrics."""
    token = "k8s-manifests-test-token"
    with tempfile.TemporaryDirectory() as tmp:
        cfg_file = os.path.join(tmp, "asyncfetch.json")
        with open(cfg_file, "w") as f:
            f.write(cfg_text)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCFETCH_")}
        env.update(img_env)
        env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
        env["ASYNCFETCH_AUTH_TOKEN"] = token
        args = list(container.get("args", []))
        for i, a in enumerate(args):
            if a == "--config":
                args[i + 1] = cfg_file
            elif a.startswith("--config="):
                args[i] = "--config=" + cfg_file
        if not any(a == "--config" or a.startswith("--config=") for a in args):
            env["ASYNCFETCH_CONFIG"] = cfg_file
        proc = subprocess.Popen([binary] + args + ["--listen_address", "127.0.0.1", "--port", "0"],
                                env=env, stderr=subprocess.PIPE, text=True)
        # The log (one JSON object per line) is read all along, so the pipe never fills.
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
        try:
            port, log, deadline = None, [], time.monotonic() + 20
            while port is None and time.monotonic() < deadline and proc.poll() is None:
                try:
                    line = lines.get(timeout=0.5)
                except queue.Empty:
                    continue
                log.append(line)
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("msg") == "listening":
                    port = entry.get("port")
            if not check(port is not None, "the binary starts with the pod's configuration"):
                print("".join(log[-10:]))
                return
            base = f"http://127.0.0.1:{port}"
            for kind, path in probes:
                status, deadline = None, time.monotonic() + 15
                while status != 200 and time.monotonic() < deadline:
                    status, _ = http_get(base + path)
                    if status != 200:
                        time.sleep(0.2)
                check(status == 200, f"{kind} probe {path} answers 200 (got {status})")
            status, _ = http_get(base + "/metrics")
            check(status == 401, f"/metrics without the token: 401 (got {status})")
            status, body = http_get(base + "/metrics", token)
            check(status == 200 and "asyncfetch_fetches_total" in body, f"/metrics with the token: 200 (got {status})")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = "killed after 30 s"
            check(code == 0, f"SIGTERM: exit 0 (got {code})")


def check_deployment(args, docs, dep):
    name = dep["metadata"]["name"]
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"].get("labels", {})
    check(selector_matches(spec.get("selector"), labels), f"Deployment {name}: its selector matches its pod labels")
    configmaps = {d["metadata"]["name"]: d for _, d in of_kind(docs, "ConfigMap")}
    pod_sec = pod.get("securityContext", {})
    img_env = image_env(os.path.join(args.repo, "Dockerfile"))
    defaults = builtin_defaults(args.asyncfetch)
    check(bool(defaults), "asyncfetch --help lists the built-in defaults")

    spreads = pod.get("topologySpreadConstraints", [])
    check(any(t["topologyKey"] == "kubernetes.io/hostname" for t in spreads),
          f"Deployment {name}: pods spread across nodes (topologyKey kubernetes.io/hostname)")
    for t in spreads:
        check(selector_matches(t.get("labelSelector"), labels),
              f"Deployment {name}: the {t['topologyKey']} spread selects its pods")
    check(pod.get("automountServiceAccountToken") is False, f"Deployment {name}: no service account token mounted")

    for c in pod.get("initContainers", []) + pod["containers"]:
        cname = f"Deployment {name}, container {c['name']}"
        sec = c.get("securityContext", {})
        non_root = sec.get("runAsNonRoot", pod_sec.get("runAsNonRoot"))
        uid = sec.get("runAsUser", pod_sec.get("runAsUser"))
        check(non_root is True and uid not in (None, 0), f"{cname}: runs as non-root (runAsNonRoot, runAsUser {uid})")
        check(sec.get("readOnlyRootFilesystem") is True, f"{cname}: read-only root filesystem")
        check(sec.get("allowPrivilegeEscalation") is False, f"{cname}: no privilege escalation")
        check("ALL" in sec.get("capabilities", {}).get("drop", []), f"{cname}: drops all capabilities")
        res = c.get("resources", {})
        have = all(res.get(s, {}).get(r) for s in ("requests", "limits") for r in ("cpu", "memory"))
        if check(have, f"{cname}: cpu and memory requests and limits"):
            for r in ("cpu", "memory"):
                check(quantity(res["limits"][r]) >= quantity(res["requests"][r]), f"{cname}: {r} limit >= request")

    c = next((c for c in pod["containers"] if c["name"] == "asyncfetch"), None)
    if not check(c is not None, f"Deployment {name}: a container named asyncfetch"):
        return labels, None

    # The configuration the process sees.
    path = config_path(c)
    cfg_text = mounted_configmap(pod, c, path, configmaps) if path else None
    check(cfg_text is not None, f"Deployment {name}: the config file {path} comes from a ConfigMap in the manifests")
    try:
        file_cfg = json.loads(cfg_text or "{}")
    except ValueError as e:
        check(False, f"the ConfigMap's config file is JSON: {e}")
        file_cfg = {}
    cfg = effective_config(defaults, file_cfg, img_env, c)
    shadowed = [k for k in file_cfg if cfg.get(k, (None, ""))[1] != "ConfigMap"]
    check(not shadowed, f"no ConfigMap key is overridden by a variable or flag (overridden: {shadowed})")
    token = [e for e in c.get("env", []) if e["name"] == "ASYNCFETCH_AUTH_TOKEN"]
    check(len(token) == 1 and "secretKeyRef" in token[0].get("valueFrom", {}),
          "the token comes from a Secret (env ASYNCFETCH_AUTH_TOKEN, secretKeyRef)")
    check(not file_cfg.get("auth_token") and "ASYNCFETCH_AUTH_TOKEN" not in img_env,
          "no token in the ConfigMap or the image")
    listen = str(cfg["listen_address"][0])
    check(listen in ("0.0.0.0", "::"), f"the service listens on every interface (listen_address {listen}, "
                                       f"from the {cfg['listen_address'][1]})")
    port = int(cfg["port"][0])
    check(any(p["containerPort"] == port for p in c.get("ports", [])),
          f"the container port is the one the service listens on ({port}, from the {cfg['port'][1]})")
    allow = as_list(cfg["allow_cidrs"][0])
    check(allow == [], f"allow_cidrs is empty, as networkpolicy.yaml assumes (got {allow})")

    drain_s = int(cfg["drain_timeout_ms"][0]) / 1000
    pre_s = prestop_seconds(c)
    grace = pod.get("terminationGracePeriodSeconds", 30)
    check(pre_s > 0, f"Deployment {name}: a preStop delay ({pre_s:g} s)")
    check(grace > drain_s + pre_s, f"Deployment {name}: grace period {grace} s > preStop {pre_s:g} s + "
                                   f"drain_timeout_ms {drain_s:g} s (from the {cfg['drain_timeout_ms'][1]})")

    probes = []
    for kind, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c.get(kind, {}).get("httpGet")
        if check(get is not None and get.get("path") == path, f"{kind}: httpGet {path}"):
            check(container_port(c, get.get("port")) == port,
                  f"{kind}: port {get.get('port')} is the container port the service listens on")
            probes.append((kind, path))
    run_pod_config(args.asyncfetch, c, cfg_text or "{}", img_env, probes)
    return labels, c


def check_networkpolicy(args, np, labels):
    name = np["metadata"]["name"]
    spec = np["spec"]
    check(selector_matches(spec.get("podSelector"), labels), f"NetworkPolicy {name}: selects the asyncfetch pods")
    check("Egress" in spec.get("policyTypes", []), f"NetworkPolicy {name}: restricts egress")
    blocks = {p["ipBlock"]["cidr"]: p["ipBlock"].get("except", [])
              for rule in spec.get("egress", []) for p in rule.get("to", []) if "ipBlock" in p}
    check(set(blocks) == {"0.0.0.0/0", "::/0"}, f"NetworkPolicy {name}: ipBlocks 0.0.0.0/0 and ::/0 (got {sorted(blocks)})")
    dns = [r for r in spec.get("egress", []) if any(p.get("port") == 53 and p.get("protocol", "TCP") == "UDP"
                                                    for p in r.get("ports", []))]
    check(bool(dns), f"NetworkPolicy {name}: DNS (UDP 53) allowed")
    excepts = [str(c) for cidr in ("0.0.0.0/0", "::/0") for c in blocks.get(cidr, [])]
    out = subprocess.run([args.egress_check], input="\n".join(excepts) + "\n", capture_output=True, text=True,
                         timeout=60)
    print(out.stdout, end="")
    check(out.returncode == 0, f"NetworkPolicy {name}: the except lists deny exactly what the egress policy blocks")


def check_prometheus_job(args, labels, container):
    path = os.path.join(args.repo, "docker", "prometheus", "kubernetes.yml")
    with open(path) as f:
        jobs = yaml.safe_load(f)["scrape_configs"]
    job = next((j for j in jobs if j["job_name"] == "asyncfetch"), None)
    if not check(job is not None, "kubernetes.yml: job asyncfetch (the job label the rules use)"):
        return
    check(job.get("metrics_path", "/metrics") == "/metrics", "kubernetes.yml: scrapes /metrics")
    check(bool(job.get("authorization", {}).get("credentials_file")), "kubernetes.yml: sends the bearer token")
    # A pod's meta labels, as Kubernetes discovery names them, for each container port.
    meta = {"__meta_kubernetes_pod_label_" + re.sub(r"[^A-Za-z0-9_]", "_", k): v for k, v in labels.items()}
    kept = []
    for p in container.get("ports", []):
        target = dict(meta, __meta_kubernetes_pod_container_port_name=p.get("name", ""),
                      __meta_kubernetes_pod_phase="Running")
        keep = True
        for r in job.get("relabel_configs", []):
            if r.get("action", "replace") not in ("keep", "drop"):
                continue
            value = r.get("separator", ";").join(target.get(s, "") for s in r["source_labels"])
            hit = re.fullmatch(r.get("regex", "(.*)"), value) is not None
            keep = keep and (hit if r["action"] == "keep" else not hit)
        if keep:
            kept.append(p.get("name"))
    check(kept == ["http"], f"kubernetes.yml: keeps the pods' port named http, and only it (kept {kept})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--asyncfetch", required=True)
    ap.add_argument("--egress-check", required=True)
    args = ap.parse_args()

    docs = load_manifests(os.path.join(args.repo, "docker", "k8s"))
    check(not of_kind(docs, "Secret"), "no Secret in the manifests (the token is created with kubectl, never committed)")
    for _, cm in of_kind(docs, "ConfigMap"):
        for key, text in cm.get("data", {}).items():
            if key.endswith(".json"):
                try:
                    json.loads(text)
                    check(True, f"ConfigMap {cm['metadata']['name']}: {key} is JSON")
                except ValueError as e:
                    check(False, f"ConfigMap {cm['metadata']['name']}: {key} is JSON: {e}")

    deps = of_kind(docs, "Deployment")
    if not check(len(deps) == 1, "one Deployment"):
        return 1
    _, dep = deps[0]
    dep_name = dep["metadata"]["name"]
    labels, container = check_deployment(args, docs, dep)

    for _, svc in of_kind(docs, "Service"):
        n = svc["metadata"]["name"]
        check(selector_matches({"matchLabels": svc["spec"].get("selector", {})}, labels),
              f"Service {n}: its selector matches the pod labels")
        for p in svc["spec"]["ports"]:
            check(container is not None and container_port(container, p.get("targetPort", p["port"])) is not None,
                  f"Service {n}: targetPort {p.get('targetPort')} is a container port")
    min_replicas = 1
    for _, hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        check(ref["kind"] == "Deployment" and ref["name"] == dep_name, f"HPA {hpa['metadata']['name']}: scales {dep_name}")
        min_replicas = hpa["spec"].get("minReplicas", 1)
        check(min_replicas >= 2, f"HPA: at least 2 replicas (minReplicas {min_replicas})")
    pdbs = of_kind(docs, "PodDisruptionBudget")
    check(len(pdbs) == 1, "a PodDisruptionBudget")
    for _, pdb in pdbs:
        s = pdb["spec"]
        check(selector_matches(s.get("selector"), labels), "PodDisruptionBudget: its selector matches the pod labels")
        drains = (int(s["maxUnavailable"]) >= 1) if "maxUnavailable" in s else int(s.get("minAvailable", 0)) < min_replicas
        check(drains, "PodDisruptionBudget: lets a node drain evict one pod at the minimum replica count")
    nps = of_kind(docs, "NetworkPolicy")
    check(len(nps) == 1, "a NetworkPolicy")
    for _, np in nps:
        check_networkpolicy(args, np, labels)
    if container is not None:
        check_prometheus_job(args, labels, container)

    print(f"k8s-manifests: {'FAILED: ' + str(len(failures)) + ' check(s)' if failures else 'all checks passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
