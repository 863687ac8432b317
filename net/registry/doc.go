// Package registry reads the realm's registry: the JSON file that lists every
// node of one or more realms (id, role, realm, address, admin address and the
// command that restarts it) and the cluster secret the nodes prove to each
// other. Load validates the whole file and names the entry at fault.
//
// Main types: Registry, Entry, Role.
package registry
