// Package systems holds the gameplay systems, one file each (movement, AI,
// combat, interest, replication, persistence). Systems see only package ecs;
// they never touch the network or the database.
package systems
