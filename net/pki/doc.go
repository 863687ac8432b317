// Package pki makes and loads the certificates of a cluster.
//
// A cluster has its own certificate authority (NewCA): it signs one
// certificate per node (IssueNode), named for the node's id, with which
// node links are encrypted and mutually authenticated (node.LinkTLS); and
// it may sign the players' certificate of the login and gateway nodes
// (IssueServer) for the host names and addresses players connect to. Dir
// is where `realm ca` keeps them: ca.pem, ca-key.pem, ID.pem, ID-key.pem.
package pki
