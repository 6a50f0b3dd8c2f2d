//go:build !windows

package winhost

import (
	"context"
	"os"
)

type hostProber struct{}

// NewProber returns the prober for this host. Off Windows there is no SCM and
// no Entra Connect, so the answer is always "ADSync absent": detect then
// reports not_applicable, which is the truth for a Linux box.
func NewProber() Prober { return hostProber{} }

func (hostProber) Facts(ctx context.Context) (Facts, error) {
	if err := ctx.Err(); err != nil {
		return Facts{}, err
	}
	name, _ := os.Hostname() // informational only; empty is fine
	return Facts{
		ComputerName:  name,
		ADSyncService: ServiceAbsent,
		Notes:         []string{"not a Windows host"},
	}, nil
}
