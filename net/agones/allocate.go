package agones

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// An Allocator takes a Ready GameServer of a fleet for a game session by
// creating a GameServerAllocation through the Kubernetes API: Agones
// marks it Allocated (no one else gets it) and answers its address. The
// caller needs RBAC to create gameserverallocations in the namespace.
type Allocator struct {
	// API is the Kubernetes API server's base URL.
	API string
	// Namespace holds the fleet.
	Namespace string
	// Token is the service account's bearer token (re-read per call:
	// Kubernetes rotates it).
	Token func() (string, error)
	// Client carries the requests (trusting the cluster's CA).
	Client *http.Client
}

// GameServer is an allocated game server: its name (the GameServer
// object's, the pod's), the address of its node and its ports by name.
type GameServer struct {
	Name, Address, NodeName string
	Ports                   map[string]int32
}

// Errors of an allocation.
var (
	// ErrNoGameServer: the fleet has no Ready GameServer (UnAllocated).
	ErrNoGameServer = errors.New("agones: no Ready game server to allocate")
	// ErrContention: concurrent allocations collided; try again.
	ErrContention = errors.New("agones: allocation contention")
)

// The in-cluster service account's files.
const serviceAccount = "/var/run/secrets/kubernetes.io/serviceaccount"

// InCluster is an Allocator for a process running in a pod: the API server
// from KUBERNETES_SERVICE_HOST/PORT, the service account's token and CA,
// and its namespace unless one is given.
func InCluster(namespace string) (*Allocator, error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, errors.New("agones: not in a Kubernetes pod (no KUBERNETES_SERVICE_HOST)")
	}
	ca, err := os.ReadFile(serviceAccount + "/ca.crt")
	if err != nil {
		return nil, fmt.Errorf("agones: the cluster's CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("agones: no certificate in the service account's ca.crt")
	}
	if namespace == "" {
		ns, err := os.ReadFile(serviceAccount + "/namespace")
		if err != nil {
			return nil, fmt.Errorf("agones: the pod's namespace: %w", err)
		}
		namespace = strings.TrimSpace(string(ns))
	}
	return &Allocator{API: "https://" + net.JoinHostPort(host, port), Namespace: namespace,
		Token: func() (string, error) {
			b, err := os.ReadFile(serviceAccount + "/token")
			return strings.TrimSpace(string(b)), err
		},
		Client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}},
	}, nil
}

// allocation is the part of a GameServerAllocation sent and read.
type allocation struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Selectors []struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selectors"`
		Metadata *struct {
			Labels map[string]string `json:"labels,omitempty"`
		} `json:"metadata,omitempty"`
	} `json:"spec"`
	Status struct {
		State          string `json:"state"`
		GameServerName string `json:"gameServerName"`
		Address        string `json:"address"`
		NodeName       string `json:"nodeName"`
		Ports          []struct {
			Name string `json:"name"`
			Port int32  `json:"port"`
		} `json:"ports"`
	} `json:"status"`
}

// Allocate takes a Ready GameServer of the fleet, labelling it with labels
// (who it serves).
func (a *Allocator) Allocate(ctx context.Context, fleet string, labels map[string]string) (GameServer, error) {
	var req allocation
	req.APIVersion, req.Kind = "allocation.agones.dev/v1", "GameServerAllocation"
	req.Spec.Selectors = append(req.Spec.Selectors, struct {
		MatchLabels map[string]string `json:"matchLabels"`
	}{map[string]string{"agones.dev/fleet": fleet}})
	if len(labels) > 0 {
		req.Spec.Metadata = &struct {
			Labels map[string]string `json:"labels,omitempty"`
		}{labels}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return GameServer{}, err
	}
	url := fmt.Sprintf("%s/apis/allocation.agones.dev/v1/namespaces/%s/gameserverallocations", a.API, a.Namespace)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return GameServer{}, err
	}
	hr.Header.Set("Content-Type", "application/json")
	if a.Token != nil {
		tok, err := a.Token()
		if err != nil {
			return GameServer{}, fmt.Errorf("agones: service account token: %w", err)
		}
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := a.Client.Do(hr)
	if err != nil {
		return GameServer{}, fmt.Errorf("agones: allocate from %s: %w", fleet, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return GameServer{}, fmt.Errorf("agones: allocate from %s: %w", fleet, &statusError{code: resp.StatusCode, body: string(bytes.TrimSpace(raw))})
	}
	var got allocation
	if err := json.Unmarshal(raw, &got); err != nil {
		return GameServer{}, fmt.Errorf("agones: allocation answer: %w", err)
	}
	switch got.Status.State {
	case "Allocated":
	case "UnAllocated":
		return GameServer{}, fmt.Errorf("%w in fleet %s", ErrNoGameServer, fleet)
	case "Contention":
		return GameServer{}, ErrContention
	default:
		return GameServer{}, fmt.Errorf("agones: allocation state %q", got.Status.State)
	}
	gs := GameServer{Name: got.Status.GameServerName, Address: got.Status.Address, NodeName: got.Status.NodeName, Ports: map[string]int32{}}
	for _, p := range got.Status.Ports {
		gs.Ports[p.Name] = p.Port
	}
	if gs.Name == "" || gs.Address == "" {
		return GameServer{}, errors.New("agones: an allocation without a game server's name or address")
	}
	return gs, nil
}

// Fleet hands out the game servers of one fleet as nodes: a game server's
// name is the node's id, its node's address and its "link" port the node's
// link address. It is a realm.PoolAllocator.
type Fleet struct {
	Allocator *Allocator
	Name      string
	// Labels are set on each game server allocated (who it serves).
	Labels map[string]string
}

// Allocate takes a Ready game server of the fleet; contention is tried
// again, three times.
func (f Fleet) Allocate(ctx context.Context) (id, addr string, err error) {
	for try := 0; ; try++ {
		gs, err := f.Allocator.Allocate(ctx, f.Name, f.Labels)
		if errors.Is(err, ErrContention) && try < 3 {
			continue
		}
		if err != nil {
			return "", "", err
		}
		port, ok := gs.Ports["link"]
		if !ok {
			return "", "", fmt.Errorf("agones: game server %s has no port named link", gs.Name)
		}
		return gs.Name, net.JoinHostPort(gs.Address, strconv.Itoa(int(port))), nil
	}
}
