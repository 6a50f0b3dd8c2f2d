//go:build !windows

package winhost

import (
	"context"
	"testing"
)

func TestFactsNotWindows(t *testing.T) {
	f, err := NewProber().Facts(context.Background())
	if err != nil {
		t.Fatalf("Facts: %v", err)
	}
	if f.ADSyncService != ServiceAbsent {
		t.Errorf("ADSyncService = %q, want %q", f.ADSyncService, ServiceAbsent)
	}
	if len(f.Notes) != 1 || f.Notes[0] != "not a Windows host" {
		t.Errorf("Notes = %q, want [not a Windows host]", f.Notes)
	}
	if f.IsDC != nil || f.IsPDCEmulator != nil || f.PowerShellPath != "" || f.ConnectVersion != "" {
		t.Errorf("Windows-only facts must stay unknown: %+v", f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewProber().Facts(ctx); err == nil {
		t.Error("Facts with a cancelled context: want an error")
	}
}
