package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridrealm/gridrealm/net/pquic"
)

// TestBadRunsExit2: what cannot run exits 2 with a clear line, before any
// bot starts.
func TestBadRunsExit2(t *testing.T) {
	certPEM, _, err := pquic.DevCertificate()
	if err != nil {
		t.Fatal(err)
	}
	cert := filepath.Join(t.TempDir(), "cert.pem")
	os.WriteFile(cert, certPEM, 0o600)
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--bots", "0", "--ca", cert}, "--bots 0"},
		{[]string{"--duration", "0s", "--ca", cert}, "--duration"},
		{[]string{"--ramp-timeout", "-1s", "--ca", cert}, "--ramp-timeout"},
		{[]string{"--ramp", "-5", "--ca", cert}, "Ramp"},
		{[]string{"--ca", filepath.Join(t.TempDir(), "none.pem")}, "the realm's certificate"},
		{[]string{"--behavior", "dance", "--ca", cert}, "unknown behavior"},
		{[]string{"--drop", "1.5", "--ca", cert}, "DropRate"},
		{[]string{"--ca", cert, "extra"}, "unexpected arguments"},
		{[]string{"--procs", "-1", "--ca", cert}, "--procs -1"},
	} {
		var out, errOut bytes.Buffer
		if code := run(c.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), c.says) {
			t.Errorf("%q: exit %d, said %q; want 2 and %q", c.args, code, errOut.String(), c.says)
		}
	}
}
