package dbbench

import (
	"testing"
	"time"
)

func TestRunMeasures(t *testing.T) {
	r, err := Run(Config{Clients: 4, Duration: 300 * time.Millisecond, Characters: 50, Items: 200, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Transfers == 0 || r.TransfersPerS <= 0 || r.Errors != 0 {
		t.Fatalf("transfers: %+v", r)
	}
	if r.BackupBytes == 0 || r.BackupMBPerS <= 0 || r.RestoreMBPerS <= 0 || !r.RestoreVerified || r.Runs != backupRuns {
		t.Fatalf("backup/restore: %+v", r)
	}
	if _, err := Run(Config{Clients: 10, Items: 5, Characters: 5}); err == nil {
		t.Fatal("more clients than items accepted")
	}
}
