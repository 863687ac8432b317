// Package kinds numbers the message kinds carried in node envelopes, in
// one place so that no two subsystems pick the same number. Each kind's
// payload is one FlatBuffers message of net/schema; its receiver switches
// on the kind, then on the message's union.
package kinds
