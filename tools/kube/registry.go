package kube

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/gridrealm/gridrealm/net/registry"
)

// The annotations a node's Service carries.
const (
	AnnotationID     = "gridrealm.dev/id"
	AnnotationRole   = "gridrealm.dev/role"
	AnnotationRealm  = "gridrealm.dev/realm"
	AnnotationData   = "gridrealm.dev/data"
	AnnotationPublic = "gridrealm.dev/public"
)

// Options are what a registry needs beyond the Services.
type Options struct {
	// SecretFile is where the nodes read the cluster secret (a mounted
	// Secret). Required.
	SecretFile string
	// LinkTLS is the certificate directory of TLS links, if any.
	LinkTLS string
}

// ErrNoNodes: no Service names a node.
var ErrNoNodes = errors.New("kube: no Service carries " + AnnotationID)

// ReadServices decodes a ServiceList, or the List `kubectl get -o json`
// prints, keeping the Services.
func ReadServices(r io.Reader) ([]corev1.Service, error) {
	var list struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.NewDecoder(r).Decode(&list); err != nil {
		return nil, fmt.Errorf("kube: %w", err)
	}
	var out []corev1.Service
	for i, raw := range list.Items {
		var s corev1.Service
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("kube: items[%d]: %w", i, err)
		}
		if s.Kind == "" || s.Kind == "Service" {
			out = append(out, s)
		}
	}
	return out, nil
}

// RegistryFromServices builds the registry of the nodes the Services name:
// each node's link address is its Service's name and port "link", its
// admin address the port "admin". Services without AnnotationID (the
// players' load balancers) are skipped. The registry is validated.
func RegistryFromServices(services []corev1.Service, opts Options) (*registry.Registry, error) {
	if opts.SecretFile == "" {
		return nil, errors.New("kube: a secret file is needed")
	}
	reg := &registry.Registry{SecretFile: opts.SecretFile, LinkTLS: opts.LinkTLS}
	for _, s := range services {
		a := s.Annotations
		if a[AnnotationID] == "" {
			continue
		}
		e := registry.Entry{ID: a[AnnotationID], Role: registry.Role(a[AnnotationRole]), Realm: a[AnnotationRealm],
			Data: a[AnnotationData], Public: a[AnnotationPublic]}
		for _, p := range s.Spec.Ports {
			addr := fmt.Sprintf("%s:%d", s.Name, p.Port)
			switch p.Name {
			case "link":
				e.Addr = addr
			case "admin":
				e.Admin = addr
			}
		}
		if e.Addr == "" {
			return nil, fmt.Errorf("kube: Service %s (node %s) has no port named link", s.Name, e.ID)
		}
		reg.Nodes = append(reg.Nodes, e)
	}
	if len(reg.Nodes) == 0 {
		return nil, ErrNoNodes
	}
	sort.Slice(reg.Nodes, func(i, j int) bool { return reg.Nodes[i].ID < reg.Nodes[j].ID })
	// Validated as any registry is, but for the secret: it is the
	// cluster's, mounted where the nodes run.
	if err := reg.Validate(); err != nil {
		return nil, fmt.Errorf("kube: %w", err)
	}
	return reg, nil
}
