// Package dbbench measures the db node: item transfers per second from
// concurrent clients over a node link, and backup and restore throughput.
// `realm bench db` prints its Result as JSON.
package dbbench
