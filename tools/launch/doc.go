// Package launch starts and stops a realm's nodes as OS processes, from
// the restart commands of a registry: what `realm up` does. It does not
// restart a node that exits: `realm up` stops the whole realm then, until
// the reviver exists (ARCHITECTURE.md, "Crash handling").
package launch
