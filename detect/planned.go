package detect

import (
	"context"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"entra8344/internal/adsync"
	"entra8344/schema"
)

// PlannedForest is one AD connector's part of a plan approved on a member
// server, as passed to the domain controller that carries it out: the
// connector account as the sync engine is configured and a few of the
// failing objects. The DC re-reads everything else from its directory.
type PlannedForest struct {
	Connector string          `json:"c"`
	Account   string          `json:"a"` // DOMAIN\user
	Objects   []PlannedObject `json:"o"`
}

// PlannedObject is one failing object and its failing attributes.
type PlannedObject struct {
	DN         string   `json:"d"`
	Attributes []string `json:"t"`
}

// RunPlanned is detect on a domain controller for a plan approved on a
// member server: no sync engine here, so the connectors, accounts and
// failing objects come from forests, and the directory read, the diagnosis
// and the plan are the same code as on the Connect server. The plan it
// builds is what remediate compares with the approved digest.
func RunPlanned(ctx context.Context, env Env, o Options, forests []PlannedForest) *schema.Verdict {
	if env.Log == nil {
		env.Log = log.New(io.Discard, "", 0)
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	r := &run{env: env, o: o, runner: &countingRunner{inner: env.Runner}, v: newVerdict(env, o), dcPath: true}
	start := time.Now()
	r.planned(ctx, forests)
	r.v.Collection.Timings.Total = time.Since(start).Milliseconds()
	r.v.Summary = Summary(r.v)
	return r.v
}

func (r *run) planned(ctx context.Context, forests []PlannedForest) {
	facts, err := r.env.Prober.Facts(ctx)
	r.v.Host = hostOf(facts)
	if err != nil {
		r.fail("host-check-failed", fmt.Sprintf("the host checks failed: %v", err), "")
		return
	}
	st := &adsync.State{}
	agg := newAggregator(r.o.MaxObjects)
	for i, f := range forests {
		dom, user, ok := strings.Cut(f.Account, `\`)
		if !ok {
			dom, user = "", f.Account
		}
		st.Connectors = append(st.Connectors, adsync.Connector{Name: f.Connector, Kind: adsync.KindAD, LoginDomain: dom, LoginUser: user})
		for _, ob := range f.Objects {
			agg.failing[i] = append(agg.failing[i], Failing{DN: ob.DN, Attributes: ob.Attributes})
		}
	}
	r.directory(ctx, facts, st, agg)
	switch p := r.v.Directory.Plan; {
	case !r.v.Directory.Performed:
		r.fail("directory-unreadable", "the directory could not be read: "+r.v.Directory.Reason, "")
	case HasHostPart(p):
		r.v.Status = schema.StatusRemediable
	case len(p.Changes) > 0:
		r.v.Status = schema.StatusExportErrors
	default:
		r.v.Status = schema.StatusHealthy
	}
}
