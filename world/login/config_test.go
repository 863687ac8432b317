package login

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestConfigErrorsNameTheField: impossible values are refused with
// ErrConfig and the field's name, never a panic (Workers: -1 used to make
// a channel of -4).
func TestConfigErrorsNameTheField(t *testing.T) {
	ok := Config{Listen: "127.0.0.1:0", TLS: &tls.Config{}}
	for _, tc := range []struct {
		tweak func(*Config)
		field string
	}{
		{func(c *Config) { c.Listen = "" }, "Listen"},
		{func(c *Config) { c.TLS = nil }, "TLS"},
		{func(c *Config) { c.Workers = -1 }, "Workers"},
		{func(c *Config) { c.Workers = MaxWorkers + 1 }, "Workers"},
		{func(c *Config) { c.Queue = -1 }, "Queue"},
		{func(c *Config) { c.PerSecond = -1 }, "PerSecond"},
		{func(c *Config) { c.Burst = -1 }, "Burst"},
		{func(c *Config) { c.SessionTTL = -time.Second }, "SessionTTL"},
		{func(c *Config) { c.Handshake = -time.Second }, "Handshake"},
		{func(c *Config) { c.Hash = Params{Memory: 4 << 20, Time: 1, Threads: 1} }, "Memory"},
		{func(c *Config) { c.Hash = Params{Memory: 19 << 10, Time: 1000, Threads: 1} }, "Time"},
		{func(c *Config) { c.Realms = map[string]Realm{"r": {}} }, `Realms["r"].Node`},
	} {
		cfg := ok
		tc.tweak(&cfg)
		_, err := Start(cfg)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
}

// TestStoredHashOutOfBoundsIsRefused: a stored hash asking for 4 GiB is
// a bad record, not a 4 GiB allocation.
func TestStoredHashOutOfBoundsIsRefused(t *testing.T) {
	for _, enc := range []string{
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		"$argon2id$v=19$m=19456,t=101,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		"$argon2id$v=19$m=19456,t=2,p=200$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
	} {
		if ok, err := CheckPassword(enc, "x"); ok || !errors.Is(err, errBadHash) {
			t.Errorf("%s: %v %v", enc, ok, err)
		}
	}
	if _, err := HashPassword("x", Params{Memory: MaxHashMemory + 1, Time: 1, Threads: 1}); !errors.Is(err, ErrParams) {
		t.Errorf("hash with too much memory: %v", err)
	}
}
