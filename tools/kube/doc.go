// Package kube ties a realm to Kubernetes: RegistryFromServices builds a
// realm's registry from the Services of its nodes, as `kubectl get
// services -o json` prints them, so that the registry follows the cluster
// instead of being written by hand. Each node's Service carries who the
// node is in annotations (gridrealm.dev/id, /role, /realm, /data, /public)
// and names its ports "link" and "admin".
package kube
