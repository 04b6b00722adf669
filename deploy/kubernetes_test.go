package deploy

// Offline validation of the Kubernetes manifests. kubeconform needs JSON
// schemas that it downloads at run time, and no schema set ships in a Go
// module we can fetch here, so instead every document is decoded strictly
// (unknown or duplicate fields are errors, quantities and int-or-strings must
// parse) into the real k8s.io/api types, and the fields that must agree across
// files are checked against each other, the Dockerfile and the code.

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

const k8sDir = "kubernetes"

// manifests is everything decoded from deploy/kubernetes.
type manifests struct {
	deployments []*appsv1.Deployment
	services    []*corev1.Service
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	pdbs        []*policyv1.PodDisruptionBudget
	configMaps  []*corev1.ConfigMap
	secrets     []*corev1.Secret
	files       map[string]bool // file names holding resources
}

// kustomization is the subset of kustomize's Kustomization we use, decoded
// strictly so that a misspelt field fails.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace,omitempty"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
		Digest  string `json:"digest,omitempty"`
	} `json:"images,omitempty"`
}

// splitDocs splits a YAML stream on document separators.
func splitDocs(b []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if len(bytes.TrimSpace(stripComments([]byte(d)))) > 0 {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

func stripComments(b []byte) []byte {
	return regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAll(b, nil)
}

// decodeManifest decodes one document strictly into its typed object.
func decodeManifest(doc []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	var obj any
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	case "v1 Service":
		obj = &corev1.Service{}
	case "autoscaling/v2 HorizontalPodAutoscaler":
		obj = &autoscalingv2.HorizontalPodAutoscaler{}
	case "policy/v1 PodDisruptionBudget":
		obj = &policyv1.PodDisruptionBudget{}
	case "v1 ConfigMap":
		obj = &corev1.ConfigMap{}
	case "v1 Secret":
		obj = &corev1.Secret{}
	default:
		return nil, &unknownKindError{tm.APIVersion, tm.Kind}
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

type unknownKindError struct{ apiVersion, kind string }

func (e *unknownKindError) Error() string {
	return "unsupported apiVersion/kind " + strconv.Quote(e.apiVersion+" "+e.kind)
}

func loadManifests(t *testing.T) *manifests {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/%s: %v", k8sDir, err)
	}
	m := &manifests{files: map[string]bool{}}
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocs(b) {
			obj, err := decodeManifest(doc)
			if err != nil {
				t.Fatalf("%s document %d: %v", f, i+1, err)
			}
			m.files[filepath.Base(f)] = true
			var meta *metav1.ObjectMeta
			switch o := obj.(type) {
			case *appsv1.Deployment:
				m.deployments, meta = append(m.deployments, o), &o.ObjectMeta
			case *corev1.Service:
				m.services, meta = append(m.services, o), &o.ObjectMeta
			case *autoscalingv2.HorizontalPodAutoscaler:
				m.hpas, meta = append(m.hpas, o), &o.ObjectMeta
			case *policyv1.PodDisruptionBudget:
				m.pdbs, meta = append(m.pdbs, o), &o.ObjectMeta
			case *corev1.ConfigMap:
				m.configMaps, meta = append(m.configMaps, o), &o.ObjectMeta
			case *corev1.Secret:
				m.secrets, meta = append(m.secrets, o), &o.ObjectMeta
			}
			if meta.Name == "" {
				t.Errorf("%s document %d: metadata.name is empty", f, i+1)
			}
		}
	}
	for what, n := range map[string]int{
		"Deployment": len(m.deployments), "Service": len(m.services),
		"HorizontalPodAutoscaler": len(m.hpas), "PodDisruptionBudget": len(m.pdbs),
		"ConfigMap": len(m.configMaps), "Secret": len(m.secrets),
	} {
		if n != 1 {
			t.Fatalf("got %d %s objects; want 1", n, what)
		}
	}
	return m
}

func TestKubernetesStrictDecodeRejectsTypos(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replica: 2}\n",
		"wrong type":    "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: http}]}\n",
		"bad quantity":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: 1}\nbinaryData: 5\n",
		"duplicate key": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\ndata: {c: d}\n",
		"unknown kind":  "apiVersion: v1\nkind: Pod2\nmetadata: {name: x}\n",
		"old HPA api":   "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\n",
	} {
		if _, err := decodeManifest([]byte(doc)); err == nil {
			t.Errorf("%s: got nil error; want an error", name)
		}
	}
}

func TestKustomization(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(k8sDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml: got %s %s; want kustomize.config.k8s.io/v1beta1 Kustomization", k.APIVersion, k.Kind)
	}
	m := loadManifests(t)
	listed := map[string]bool{}
	for _, r := range k.Resources {
		listed[r] = true
		if _, err := os.Stat(filepath.Join(k8sDir, r)); err != nil {
			t.Errorf("kustomization.yaml lists %s: %v", r, err)
		}
	}
	for f := range m.files {
		if !listed[f] && !strings.HasSuffix(f, ".example.yaml") {
			t.Errorf("%s is not listed in kustomization.yaml resources", f)
		}
		if listed[f] && strings.HasSuffix(f, ".example.yaml") {
			t.Errorf("%s is an example with placeholder secrets; it must not be in kustomization.yaml", f)
		}
	}
	img := m.deployments[0].Spec.Template.Spec.Containers[0].Image
	name, _, _ := strings.Cut(img, ":")
	found := false
	for _, i := range k.Images {
		found = found || i.Name == name
	}
	if !found {
		t.Errorf("kustomization.yaml images: no entry for the Deployment's image %q", name)
	}
}

func TestKubernetesConsistency(t *testing.T) {
	m := loadManifests(t)
	d, svc, hpa, pdb, cm, sec := m.deployments[0], m.services[0], m.hpas[0], m.pdbs[0], m.configMaps[0], m.secrets[0]
	pod := d.Spec.Template
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("got %d containers; want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]

	// Selectors: Deployment, Service and PDB all pick the pod template.
	if d.Spec.Selector == nil || !subset(d.Spec.Selector.MatchLabels, pod.Labels) {
		t.Errorf("Deployment selector %v does not match the pod labels %v", d.Spec.Selector, pod.Labels)
	}
	if len(svc.Spec.Selector) == 0 || !subset(svc.Spec.Selector, pod.Labels) {
		t.Errorf("Service selector %v does not match the pod labels %v", svc.Spec.Selector, pod.Labels)
	}
	if pdb.Spec.Selector == nil || !subset(pdb.Spec.Selector.MatchLabels, pod.Labels) {
		t.Errorf("PDB selector %v does not match the pod labels %v", pdb.Spec.Selector, pod.Labels)
	}

	// Ports: the container ports are the ones the ConfigMap binds, and the
	// Service targets them by name.
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	for key, name := range map[string]string{"IMGPROXY_BIND": "http", "IMGPROXY_PROMETHEUS_BIND": "metrics"} {
		_, p, ok := strings.Cut(cm.Data[key], ":")
		if !ok {
			t.Errorf("ConfigMap %s=%q: want host:port", key, cm.Data[key])
			continue
		}
		if strconv.Itoa(int(ports[name])) != p {
			t.Errorf("ConfigMap %s port %s; container port %q is %d", key, p, name, ports[name])
		}
	}
	if strconv.Itoa(int(ports["metrics"])) != pod.Annotations["prometheus.io/port"] {
		t.Errorf("prometheus.io/port annotation %q; metrics port %d", pod.Annotations["prometheus.io/port"], ports["metrics"])
	}
	for _, sp := range svc.Spec.Ports {
		if sp.TargetPort.Type != intstr.String {
			t.Errorf("Service port %s: targetPort %v; want a container port name", sp.Name, sp.TargetPort)
			continue
		}
		if _, ok := ports[sp.TargetPort.StrVal]; !ok {
			t.Errorf("Service port %s targets %q, which the container does not have (%v)", sp.Name, sp.TargetPort.StrVal, ports)
		}
	}

	// Probes hit /health (below IMGPROXY_PATH_PREFIX) on the http port.
	wantPath := cm.Data["IMGPROXY_PATH_PREFIX"] + "/health"
	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s probe: want an httpGet probe", name)
			continue
		}
		if p.HTTPGet.Path != wantPath {
			t.Errorf("%s probe path: got %q; want %q", name, p.HTTPGet.Path, wantPath)
		}
		if p.HTTPGet.Port != intstr.FromString("http") {
			t.Errorf("%s probe port: got %v; want http", name, p.HTTPGet.Port)
		}
	}

	// Graceful termination: the grace period covers preStop + the drain.
	grace := 20
	if v, ok := cm.Data["IMGPROXY_GRACEFUL_STOP_TIMEOUT"]; ok {
		var err error
		if grace, err = strconv.Atoi(v); err != nil {
			t.Fatalf("IMGPROXY_GRACEFUL_STOP_TIMEOUT=%q: %v", v, err)
		}
	}
	preStop := 0
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		t.Errorf("no preStop hook: the pod would get SIGTERM while endpoints still route to it")
	} else if h := c.Lifecycle.PreStop; h.Sleep != nil {
		preStop = int(h.Sleep.Seconds)
	} else if h.Exec != nil && len(h.Exec.Command) == 2 && strings.HasSuffix(h.Exec.Command[0], "sleep") {
		preStop, _ = strconv.Atoi(h.Exec.Command[1])
	} else {
		t.Errorf("preStop hook %+v: want a sleep", h)
	}
	tg := pod.Spec.TerminationGracePeriodSeconds
	if tg == nil || int(*tg) <= preStop+grace {
		got := "unset (30)"
		if tg != nil {
			got = strconv.FormatInt(*tg, 10)
		}
		t.Errorf("terminationGracePeriodSeconds %s; want more than preStop %d s + graceful stop %d s", got, preStop, grace)
	}

	// Security: non-root (the Dockerfile's uid), read-only root, no privileges.
	_, runtime := loadDockerfile(t)
	user := runtime.all("USER")
	uid, _, _ := strings.Cut(user[len(user)-1].Args, ":")
	psc, sc := pod.Spec.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("pod securityContext: want runAsNonRoot: true")
	}
	if psc == nil || psc.RunAsUser == nil || strconv.FormatInt(*psc.RunAsUser, 10) != uid {
		t.Errorf("pod runAsUser: want the Dockerfile's USER %s", uid)
	}
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("container securityContext: want readOnlyRootFilesystem: true")
	}
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("container securityContext: want allowPrivilegeEscalation: false")
	}
	if sc == nil || sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("container securityContext: want capabilities.drop [ALL]")
	}

	// Resources: the HPA's CPU utilisation needs a CPU request; a memory
	// limit bounds what an OOM takes down.
	if q, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok || q.IsZero() {
		t.Errorf("container has no CPU request: the HPA cannot compute utilisation")
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Errorf("container has no memory limit")
	}

	// Configuration sources exist.
	var cmRef, secRef bool
	for _, e := range c.EnvFrom {
		if e.ConfigMapRef != nil && e.ConfigMapRef.Name == cm.Name {
			cmRef = true
		}
		if e.SecretRef != nil && e.SecretRef.Name == sec.Name {
			secRef = true
		}
	}
	if !cmRef || !secRef {
		t.Errorf("container envFrom %+v: want the ConfigMap %q and the Secret %q", c.EnvFrom, cm.Name, sec.Name)
	}
	for _, k := range []string{"IMGPROXY_KEY", "IMGPROXY_SALT"} {
		if _, ok := sec.StringData[k]; !ok {
			t.Errorf("Secret example has no %s", k)
		}
		if _, ok := cm.Data[k]; ok {
			t.Errorf("ConfigMap holds %s: it belongs in the Secret", k)
		}
	}
	names := map[string]bool{}
	for k := range cm.Data {
		names[k] = true
	}
	for k := range sec.StringData {
		names[k] = true
	}
	checkKnownVariables(t, "configmap.yaml/secret.example.yaml", names)

	// HPA: scales this Deployment, on CPU and on the queue gauge the code
	// really exports.
	ref := hpa.Spec.ScaleTargetRef
	if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || ref.Name != d.Name {
		t.Errorf("HPA scaleTargetRef %+v; want apps/v1 Deployment %q", ref, d.Name)
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 || hpa.Spec.MaxReplicas < *hpa.Spec.MinReplicas {
		t.Errorf("HPA replicas: want minReplicas >= 2 (so the PDB can evict) and maxReplicas >= minReplicas")
	}
	var cpu bool
	var queue string
	for _, ms := range hpa.Spec.Metrics {
		switch {
		case ms.Type == autoscalingv2.ResourceMetricSourceType && ms.Resource != nil && ms.Resource.Name == corev1.ResourceCPU:
			cpu = true
		case ms.Type == autoscalingv2.PodsMetricSourceType && ms.Pods != nil:
			queue = ms.Pods.Metric.Name
		}
	}
	if !cpu {
		t.Errorf("HPA has no CPU Resource metric")
	}
	ns := cm.Data["IMGPROXY_PROMETHEUS_NAMESPACE"]
	base := strings.TrimPrefix(queue, ns+"_")
	if queue == "" || (ns != "" && base == queue) {
		t.Errorf("HPA Pods metric %q; want %s_<gauge> (IMGPROXY_PROMETHEUS_NAMESPACE=%q)", queue, ns, ns)
	} else {
		checkExportedMetric(t, base)
	}

	// PDB lets exactly a minority go.
	if (pdb.Spec.MaxUnavailable == nil) == (pdb.Spec.MinAvailable == nil) {
		t.Errorf("PDB: want exactly one of maxUnavailable / minAvailable")
	}
	if mu := pdb.Spec.MaxUnavailable; mu != nil && mu.Type == intstr.Int && (mu.IntVal < 1 || mu.IntVal >= *hpa.Spec.MinReplicas) {
		t.Errorf("PDB maxUnavailable %d; want 1 <= n < HPA minReplicas %d", mu.IntVal, *hpa.Spec.MinReplicas)
	}
}

// checkExportedMetric checks that a gauge named base is registered by the
// code (workers/ or edge/), so the HPA does not wait for a metric that never
// appears. It is a no-op while neither package exists.
func checkExportedMetric(t *testing.T, base string) {
	t.Helper()
	var files []string
	for _, dir := range []string{"workers", "edge"} {
		f, _ := filepath.Glob(filepath.Join(repoRoot, dir, "*.go"))
		files = append(files, f...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Logf("workers/ and edge/ not present yet; metric %q not checked", base)
		return
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err == nil && bytes.Contains(b, []byte(`"`+base+`"`)) {
			return
		}
	}
	t.Errorf("HPA metric %q: no gauge of that name is registered in workers/ or edge/", base)
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}
