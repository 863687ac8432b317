// Package dbclient is how nodes (zones, the realm, tools) talk to the db
// node: typed one-way requests over a node link, each answered by a reply
// matched by correlation id. Every request carries an expiry, so that a
// request resent after a db crash can never be applied after its sender
// stopped waiting: once the callback got ErrTimeout, the operation either
// happened before it or never will, and a read tells which.
package dbclient
