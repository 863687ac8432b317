package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/world"
)

// The Kubernetes manifests of deploy/k8s are checked here: decoded strictly
// with the k8s.io/api types (an unknown or misspelt field fails), and every
// container's command and ports held against the registry they ship with
// and against the flags `realm` really has.

const k8sDir = "../../deploy/k8s"

// kustomization is the part of kustomize's file the manifests use.
type kustomization struct {
	APIVersion         string   `json:"apiVersion"`
	Kind               string   `json:"kind"`
	Namespace          string   `json:"namespace"`
	Resources          []string `json:"resources"`
	ConfigMapGenerator []struct {
		Name  string   `json:"name"`
		Files []string `json:"files"`
	} `json:"configMapGenerator"`
	GeneratorOptions struct {
		DisableNameSuffixHash bool `json:"disableNameSuffixHash"`
	} `json:"generatorOptions"`
}

// Agones' Fleet (agones.dev/v1), as much of it as the manifests use; its
// pod template is Kubernetes' own type. The Agones module is not served
// here, so its shape is written down from its API reference.
type agonesFleet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Replicas int32 `json:"replicas"`
		Template struct {
			metav1.ObjectMeta `json:"metadata"`
			Spec              struct {
				Ports []struct {
					Name          string          `json:"name"`
					PortPolicy    string          `json:"portPolicy"`
					ContainerPort int32           `json:"containerPort"`
					Protocol      corev1.Protocol `json:"protocol"`
				} `json:"ports"`
				Health struct {
					Disabled            bool  `json:"disabled"`
					InitialDelaySeconds int32 `json:"initialDelaySeconds"`
					PeriodSeconds       int32 `json:"periodSeconds"`
					FailureThreshold    int32 `json:"failureThreshold"`
				} `json:"health"`
				Template corev1.PodTemplateSpec `json:"template"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

// workload is a pod template with what runs it.
type workload struct {
	kind, name string
	pod        corev1.PodTemplateSpec
	claims     []corev1.PersistentVolumeClaim
	gsPorts    map[string]int32 // a Fleet's GameServer ports, by name
}

// manifests is every object of the kustomization, decoded.
type manifests struct {
	loads    []workload
	services map[string]corev1.Service
	roles    map[string]rbacv1.Role
	bindings []rbacv1.RoleBinding
	accounts map[string]bool
}

// strict decodes YAML into v, refusing unknown fields and duplicate keys.
func strict(doc []byte, v any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// loadManifests decodes every document of every resource file.
func loadManifests(t *testing.T) (kustomization, *manifests) {
	t.Helper()
	var k kustomization
	raw, err := os.ReadFile(filepath.Join(k8sDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := strict(raw, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	ms := &manifests{services: map[string]corev1.Service{}, roles: map[string]rbacv1.Role{}, accounts: map[string]bool{}}
	for _, file := range k.Resources {
		raw, err := os.ReadFile(filepath.Join(k8sDir, file))
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(raw), -1) {
			where := fmt.Sprintf("%s, document %d", file, i+1)
			var meta metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if err := ms.decode(meta, []byte(doc)); err != nil {
				t.Fatalf("%s (%s): %v", where, meta.Kind, err)
			}
		}
	}
	return k, ms
}

func (ms *manifests) decode(meta metav1.TypeMeta, doc []byte) error {
	switch meta.APIVersion + " " + meta.Kind {
	case "v1 Namespace":
		return strict(doc, &corev1.Namespace{})
	case "v1 ServiceAccount":
		var a corev1.ServiceAccount
		err := strict(doc, &a)
		ms.accounts[a.Name] = true
		return err
	case "rbac.authorization.k8s.io/v1 Role":
		var r rbacv1.Role
		err := strict(doc, &r)
		ms.roles[r.Name] = r
		return err
	case "rbac.authorization.k8s.io/v1 RoleBinding":
		var b rbacv1.RoleBinding
		err := strict(doc, &b)
		ms.bindings = append(ms.bindings, b)
		return err
	case "v1 Service":
		var s corev1.Service
		err := strict(doc, &s)
		ms.services[s.Name] = s
		return err
	case "apps/v1 StatefulSet":
		var s appsv1.StatefulSet
		err := strict(doc, &s)
		ms.loads = append(ms.loads, workload{kind: meta.Kind, name: s.Name, pod: s.Spec.Template, claims: s.Spec.VolumeClaimTemplates})
		return err
	case "apps/v1 Deployment":
		var d appsv1.Deployment
		err := strict(doc, &d)
		ms.loads = append(ms.loads, workload{kind: meta.Kind, name: d.Name, pod: d.Spec.Template})
		return err
	case "agones.dev/v1 Fleet":
		var f agonesFleet
		if err := strict(doc, &f); err != nil {
			return err
		}
		gs := f.Spec.Template.Spec
		if f.Spec.Replicas < 1 || gs.Health.Disabled || gs.Health.PeriodSeconds < 3 || len(gs.Ports) == 0 {
			return fmt.Errorf("fleet %s: want replicas, health on with a period of at least 3 s (the zone pings every 2 s), a port", f.Name)
		}
		w := workload{kind: meta.Kind, name: f.Name, pod: gs.Template, gsPorts: map[string]int32{}}
		for _, p := range gs.Ports {
			w.gsPorts[p.Name] = p.ContainerPort
		}
		ms.loads = append(ms.loads, w)
		return nil
	}
	return fmt.Errorf("unexpected kind %s %s", meta.APIVersion, meta.Kind)
}

// k8sRegistry loads the registry the manifests ship, with a throwaway
// secret in place of the one the cluster mounts.
func k8sRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(k8sDir, "registry.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["secret_file"] != "/etc/gridrealm/secret/cluster-secret" {
		t.Fatalf("registry.json: secret_file %v, want the Secret's mount", doc["secret_file"])
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "secret"), bytes.Repeat([]byte{7}, 32), 0o600)
	doc["secret_file"] = "secret"
	raw, _ = json.Marshal(doc)
	r, err := registry.Parse(raw, dir)
	if err != nil {
		t.Fatalf("registry.json: %v", err)
	}
	return r
}

// flagsOf returns the flags a realm subcommand defines, from its -h.
func flagsOf(t *testing.T, sub string) map[string]bool {
	t.Helper()
	var out bytes.Buffer
	for _, c := range commands() {
		if c.name == sub {
			c.run([]string{"-h"}, &out, &out)
		}
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+-([a-z0-9-]+)`).FindAllStringSubmatch(out.String(), -1) {
		names[m[1]] = true
	}
	if len(names) == 0 {
		t.Fatalf("realm %s -h lists no flags", sub)
	}
	return names
}

// The workload kind and subcommand each role runs as.
var k8sRole = map[registry.Role]struct{ kind, sub string }{
	registry.RoleDB: {"StatefulSet", "db"}, registry.RoleBackup: {"StatefulSet", "backup"},
	registry.RoleRealm: {"Deployment", "realm"}, registry.RoleLogin: {"Deployment", "login"},
	registry.RoleGateway: {"Deployment", "gateway"}, registry.RoleZone: {"Fleet", "zone"}, registry.RoleInstance: {"Fleet", "zone"},
}

func TestKubernetesManifestsAgreeWithTheRegistry(t *testing.T) {
	k, ms := loadManifests(t)
	reg := k8sRegistry(t)
	if k.Namespace == "" || len(k.ConfigMapGenerator) != 1 || !k.GeneratorOptions.DisableNameSuffixHash {
		t.Fatalf("kustomization: %+v", k)
	}
	for _, f := range k.ConfigMapGenerator[0].Files {
		if _, err := os.Stat(filepath.Join(k8sDir, f)); err != nil {
			t.Fatalf("configMapGenerator: %v", err)
		}
	}
	seen := map[string]bool{}
	flags := map[string]map[string]bool{}
	for _, w := range ms.loads {
		if slices.Contains(w.pod.Spec.Containers[0].Command, "--fleet") {
			checkFleetNode(t, w, flags)
			continue
		}
		id := checkWorkload(t, w, reg, ms.services, flags)
		if fleet := flagValues(w.pod.Spec.Containers[0].Command)["instance-fleet"]; fleet != "" {
			checkAllocator(t, w, fleet, ms)
		}
		if seen[id] {
			t.Fatalf("%s runs in two workloads", id)
		}
		seen[id] = true
	}
	for _, e := range reg.Nodes {
		if !seen[e.ID] {
			t.Errorf("registry node %s has no workload", e.ID)
		}
	}
	wm, err := os.Open(filepath.Join(k8sDir, "world.map"))
	if err != nil {
		t.Fatal(err)
	}
	defer wm.Close()
	m, err := world.LoadWorldMap(wm)
	if err != nil {
		t.Fatalf("world.map: %v", err)
	}
	for _, z := range reg.InRealm("main", registry.RoleZone) {
		if _, _, _, _, ok := m.Neighbours(z.ID); !ok {
			t.Errorf("world.map lacks zone %s", z.ID)
		}
	}
}

// checkWorkload checks one workload and returns the node id it runs.
func checkWorkload(t *testing.T, w workload, reg *registry.Registry, services map[string]corev1.Service, flags map[string]map[string]bool) string {
	t.Helper()
	where := w.kind + " " + w.name
	if len(w.pod.Spec.Containers) != 1 {
		t.Fatalf("%s: want one container", where)
	}
	c := w.pod.Spec.Containers[0]
	args := flagValues(c.Command)
	e, ok := reg.Node(args["id"])
	if !ok || len(c.Command) < 2 || c.Command[0] != "realm" {
		t.Fatalf("%s: command %v: want realm SUBCOMMAND ... --id ID of the registry", where, c.Command)
	}
	want := k8sRole[e.Role]
	if w.kind != want.kind || c.Command[1] != want.sub {
		t.Fatalf("%s runs %s (a %s node) as %s %s, want %s %s", where, e.ID, e.Role, w.kind, c.Command[1], want.kind, want.sub)
	}
	if flags[want.sub] == nil {
		flags[want.sub] = flagsOf(t, want.sub)
	}
	for name := range args {
		if !flags[want.sub][name] {
			t.Errorf("%s: realm %s has no flag --%s", where, want.sub, name)
		}
	}
	if w.pod.Labels["gridrealm.dev/node"] != w.name {
		t.Errorf("%s: pod label gridrealm.dev/node %q, want %q", where, w.pod.Labels["gridrealm.dev/node"], w.name)
	}
	ports := map[string]corev1.ContainerPort{}
	for _, p := range c.Ports {
		ports[p.Name] = p
	}
	checkPort(t, where, "link", e.Addr, args["listen"], ports["link"], services[w.name], w.name)
	checkPort(t, where, "admin", e.Admin, args["admin"], ports["admin"], services[w.name], w.name)
	if e.Public != "" {
		listen := args["public"] // login
		if e.Role == registry.RoleGateway {
			listen = args["players-listen"]
		}
		checkPort(t, where, "players", e.Public, listen, ports["players"], services[w.name+"-players"], "")
		if services[w.name+"-players"].Spec.Type != corev1.ServiceTypeLoadBalancer || ports["players"].Protocol != corev1.ProtocolUDP {
			t.Errorf("%s: players need a LoadBalancer Service and a UDP port (QUIC)", where)
		}
	}
	checkVolumes(t, w, e, c, reg)
	return e.ID
}

// flagValues maps each --flag of a command line to the value after it.
func flagValues(cmd []string) map[string]string {
	out := map[string]string{}
	for i := 2; i < len(cmd); i++ {
		if name, ok := strings.CutPrefix(cmd[i], "--"); ok && i+1 < len(cmd) {
			out[name] = cmd[i+1]
			i++
		}
	}
	return out
}

// checkPort: the registry's address, the flag the process listens with,
// the container port and the Service port agree; a cluster address names
// the Service (host) when host is given.
func checkPort(t *testing.T, where, name, regAddr, listen string, cp corev1.ContainerPort, svc corev1.Service, host string) {
	t.Helper()
	regHost, regPort, _ := strings.Cut(regAddr, ":")
	_, listenPort, _ := strings.Cut(listen, ":")
	var sp *corev1.ServicePort
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Name == name {
			sp = &svc.Spec.Ports[i]
		}
	}
	switch {
	case listenPort != regPort || fmt.Sprint(cp.ContainerPort) != regPort:
		t.Errorf("%s: %s: registry %s, listens on %q, container port %d", where, name, regAddr, listen, cp.ContainerPort)
	case sp == nil || fmt.Sprint(sp.Port) != regPort || sp.TargetPort.String() != name || sp.Protocol != cp.Protocol:
		t.Errorf("%s: %s: no Service port %s for registry %s (%+v)", where, name, regPort, regAddr, sp)
	case host != "" && regHost != host:
		t.Errorf("%s: %s: registry host %s is not the Service %s", where, name, regHost, host)
	case svc.Spec.Selector["gridrealm.dev/node"] != strings.TrimSuffix(svc.Name, "-players"):
		t.Errorf("%s: Service %s selects %v", where, svc.Name, svc.Spec.Selector)
	}
}

// checkVolumes: every mount has a volume; stores keep their data on a
// claim mounted where the registry says; a backup never shares a machine
// with its db.
func checkVolumes(t *testing.T, w workload, e registry.Entry, c corev1.Container, reg *registry.Registry) {
	t.Helper()
	where := w.kind + " " + w.name
	vols := map[string]bool{}
	for _, v := range w.pod.Spec.Volumes {
		vols[v.Name] = true
	}
	for _, cl := range w.claims {
		vols[cl.Name] = true
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		if !vols[m.Name] {
			t.Errorf("%s: mount %s has no volume", where, m.Name)
		}
		mounts[m.MountPath] = m.Name
	}
	if !strings.HasPrefix(flagValues(c.Command)["registry"], "/etc/gridrealm/registry/") || mounts["/etc/gridrealm/registry"] != "registry" ||
		mounts["/etc/gridrealm/secret"] != "secret" {
		t.Errorf("%s: the registry and the cluster secret are not mounted where the command reads them", where)
	}
	if e.Role != registry.RoleDB && e.Role != registry.RoleBackup {
		return
	}
	if len(w.claims) != 1 || mounts[e.Data] != w.claims[0].Name {
		t.Errorf("%s: %s keeps its data at %s, which is not its persistent volume claim", where, e.ID, e.Data)
	}
	if e.Role == registry.RoleBackup {
		db := reg.InRealm(e.Realm, registry.RoleDB)[0]
		aff := w.pod.Spec.Affinity
		if aff == nil || aff.PodAntiAffinity == nil || len(aff.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 1 {
			t.Fatalf("%s: no required anti-affinity", where)
		}
		term := aff.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0]
		if term.TopologyKey != "kubernetes.io/hostname" || term.LabelSelector.MatchLabels["gridrealm.dev/node"] != strings.ToLower(db.ID) {
			t.Errorf("%s: anti-affinity %+v does not keep it off %s's machine", where, term, db.ID)
		}
	}
}

// TestManifestDecodingIsStrict: a misspelt field fails the decoding.
func TestManifestDecodingIsStrict(t *testing.T) {
	doc := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 1\n")
	if err := strict(doc, &appsv1.Deployment{}); err == nil || !strings.Contains(err.Error(), "replica") {
		t.Fatalf("misspelt field: %v", err)
	}
	dup := []byte("apiVersion: v1\nkind: Service\nkind: Service\n")
	if err := strict(dup, &corev1.Service{}); err == nil {
		t.Fatal("a duplicate key was accepted")
	}
}

// TestRegistryIsGeneratedFromTheServices: the registry the manifests ship
// is the one `realm registry from-k8s` makes from their Services, as
// `kubectl get services -o json` would print them.
func TestRegistryIsGeneratedFromTheServices(t *testing.T) {
	_, ms := loadManifests(t)
	list := corev1.ServiceList{TypeMeta: metav1.TypeMeta{Kind: "List", APIVersion: "v1"}}
	for _, s := range ms.services {
		s.Kind, s.APIVersion = "Service", "v1"
		list.Items = append(list.Items, s)
	}
	in, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if err := registryFromK8s(nil, bytes.NewReader(in), &out, &errs); err != nil {
		t.Fatalf("from-k8s: %v %s", err, errs.String())
	}
	var got, want registry.Registry
	shipped, err := os.ReadFile(filepath.Join(k8sDir, "registry.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(shipped, &want); err != nil {
		t.Fatal(err)
	}
	sort := func(r *registry.Registry) {
		slices.SortFunc(r.Nodes, func(a, b registry.Entry) int { return strings.Compare(a.ID, b.ID) })
	}
	sort(&got)
	sort(&want)
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	if !bytes.Equal(g, w) {
		t.Fatalf("deploy/k8s/registry.json is not what its Services generate:\nshipped:\n%s\ngenerated:\n%s", w, g)
	}
}

// checkFleetNode: an instance node of a fleet is not in the registry: its
// id is its pod's (GameServer's) name, its link port the GameServer's.
func checkFleetNode(t *testing.T, w workload, flags map[string]map[string]bool) {
	t.Helper()
	where := w.kind + " " + w.name
	c := w.pod.Spec.Containers[0]
	args := flagValues(c.Command)
	if c.Command[1] != "zone" || args["pool"] == "" || args["id"] != "$(POD_NAME)" {
		t.Fatalf("%s: command %v: want realm zone --pool ... --fleet --id $(POD_NAME)", where, c.Command)
	}
	if len(c.Env) != 1 || c.Env[0].Name != "POD_NAME" || c.Env[0].ValueFrom == nil || c.Env[0].ValueFrom.FieldRef == nil ||
		c.Env[0].ValueFrom.FieldRef.FieldPath != "metadata.name" {
		t.Fatalf("%s: POD_NAME is not the pod's name: %+v", where, c.Env)
	}
	if flags["zone"] == nil {
		flags["zone"] = flagsOf(t, "zone")
	}
	for name := range args {
		if !flags["zone"][name] {
			t.Errorf("%s: realm zone has no flag --%s", where, name)
		}
	}
	_, listen, _ := strings.Cut(args["listen"], ":")
	var link int32
	for _, p := range c.Ports {
		if p.Name == "link" {
			link = p.ContainerPort
		}
	}
	if fmt.Sprint(link) != listen || w.gsPorts["link"] != link {
		t.Errorf("%s: listens on %s, container port %d, GameServer port %d", where, listen, link, w.gsPorts["link"])
	}
}

// checkAllocator: a realm node that allocates from a fleet names one of
// instance nodes, and its service account may create allocations.
func checkAllocator(t *testing.T, w workload, fleet string, ms *manifests) {
	t.Helper()
	where := w.kind + " " + w.name
	found := false
	for _, l := range ms.loads {
		found = found || l.kind == "Fleet" && l.name == fleet && slices.Contains(l.pod.Spec.Containers[0].Command, "--fleet")
	}
	if !found {
		t.Errorf("%s: --instance-fleet %s names no Fleet of instance nodes", where, fleet)
	}
	sa := w.pod.Spec.ServiceAccountName
	if !ms.accounts[sa] {
		t.Fatalf("%s: service account %q is not in the manifests", where, sa)
	}
	for _, b := range ms.bindings {
		if len(b.Subjects) != 1 || b.Subjects[0].Kind != "ServiceAccount" || b.Subjects[0].Name != sa || b.RoleRef.Kind != "Role" {
			continue
		}
		for _, rule := range ms.roles[b.RoleRef.Name].Rules {
			if slices.Contains(rule.APIGroups, "allocation.agones.dev") && slices.Contains(rule.Resources, "gameserverallocations") &&
				slices.Contains(rule.Verbs, "create") {
				return
			}
		}
	}
	t.Errorf("%s: service account %s may not create gameserverallocations", where, sa)
}
