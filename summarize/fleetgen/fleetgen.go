// Package fleetgen generates fleets of verdicts for the summarize tests, its
// benchmark, bench/summarize-compare.sh and the report screenshot. Every
// verdict is one of the recorded scenarios' expected.json (so it is a real,
// schema-valid verdict shape) relabelled for a generated client and server,
// moved in time, with its findings aged: a fleet mostly healthy, with the
// export errors, outages and stale servers an MSP really has.
package fleetgen

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"entra8344/detect"
	"entra8344/fixtures"
	"entra8344/schema"
)

// Options shape a fleet. Zero values take the defaults in brackets.
type Options struct {
	Verdicts   int       // verdicts written in all
	Seed       uint64    // same seed, same fleet [1]
	Now        time.Time // newest verdicts fall in the 90 minutes before [2025-07-01T12:00:00Z]
	Duplicates float64   // share of verdicts that are older verdicts of a server already listed [0.1]
	Stale      float64   // share of servers whose newest verdict is 8 to 60 days old [0.03]
	Hostile    bool      // some client names carry quotes, commas, newlines, formulas and markup
}

// weights: how often each scenario's verdict stands for a server. Healthy
// dominates, as in a real fleet.
var weights = map[string]int{
	"healthy": 56, "not-installed": 4, "staging-mode": 4, "service-stopped": 3, "run-failure": 3,
	"collector-garbage": 1, "collector-hang": 1, "module-not-loaded": 1,
	"keycredlink-admin": 4, "member-server": 4, "aad-conflict": 4, "safesendershash": 2,
	"protect-task-pending": 2, "mixed": 2, "ou-permission-missing": 2, "stale-msol-ace": 1,
	"child-domain": 1, "stale-admincount": 1, "password-writeback-admin": 1, "edge-cases": 1,
	"old-build": 1, "two-forests": 1, "hostile": 1, "csexport-truncated": 1,
}

var (
	companies = []string{"Contoso", "Fabrikam", "Northwind Traders", "Adventure Works", "Tailspin Toys",
		"Wingtip Toys", "Litware", "Proseware", "Woodgrove Bank", "Fourth Coffee", "Alpine Ski House",
		"Blue Yonder Airlines", "Coho Winery", "Humongous Insurance", "Lucerne Publishing",
		"Margie's Travel", "Relecloud", "Trey Research", "VanArsdel", "Wide World Importers",
		"Graphic Design Institute", "School of Fine Art", "Southridge Video", "City Power & Light"}
	suffixes  = []string{"", " GmbH", " Ltd", " Inc.", " AG", " LLC", " S.A.", " BV"}
	hostile   = []string{`Müller & Söhne, "Quoted" GmbH`, `=HYPERLINK("http://example.invalid","click")`, `<script>alert(1)</script> Ltd`, `+cmd|' /C calc'!A0`, `-2+3 Corp`, `@SUM(1+1) AG`, "Line\nbreak, Inc."}
	computers = []string{"AADC01", "AADC02", "SYNC01", "DC01", "DC02", "AZSYNC01", "ENTRA-SYNC", "SRV-ADC01"}
	sites     = []string{"HQ", "HQ", "Branch office", "Datacenter", ""}
)

type template struct {
	v      schema.Verdict
	weight int
}

// Generator writes one fleet.
type Generator struct {
	o         Options
	templates []template
	total     int
	r         *rand.Rand
}

// New loads the scenario verdicts the fleet is made of.
func New(o Options) (*Generator, error) {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Now.IsZero() {
		o.Now = time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
	}
	if o.Duplicates == 0 {
		o.Duplicates = 0.1
	}
	if o.Stale == 0 {
		o.Stale = 0.03
	}
	g := &Generator{o: o, r: rand.New(rand.NewPCG(o.Seed, 8344))}
	for _, name := range fixtures.Names() {
		w, ok := weights[name]
		if !ok {
			continue // a scenario added later: not in the mix until weighted
		}
		fsys, _, err := fixtures.Scenario(name)
		if err != nil {
			return nil, err
		}
		f, err := fsys.Open("expected.json")
		if err != nil {
			return nil, fmt.Errorf("fleetgen: scenario %s: %w", name, err)
		}
		var v schema.Verdict
		err = json.NewDecoder(f).Decode(&v)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("fleetgen: scenario %s: expected.json: %w", name, err)
		}
		g.templates = append(g.templates, template{v, w})
		g.total += w
	}
	if len(g.templates) == 0 {
		return nil, fmt.Errorf("fleetgen: no scenario verdicts found")
	}
	return g, nil
}

// server is one generated Connect server.
type server struct {
	client, site, computer, domain string
	newest                         time.Time
}

// slot is one verdict to write: a server, and whether it is an older one.
type slot struct {
	server int
	older  bool
}

// Each calls fn with every verdict as compact JSON, in a shuffled order
// (older verdicts of a server come before or after its newest one), and
// the server's index. fn must not keep doc.
func (g *Generator) Each(fn func(server int, doc []byte) error) error {
	n := g.o.Verdicts
	hosts := max(1, int(float64(n)/(1+g.o.Duplicates)+0.5))
	if n < hosts {
		hosts = n
	}
	servers := g.servers(hosts)
	plan := make([]slot, 0, n)
	for i := range hosts {
		plan = append(plan, slot{server: i})
	}
	for len(plan) < n {
		plan = append(plan, slot{server: g.r.IntN(hosts), older: true})
	}
	g.r.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	for _, s := range plan {
		sv := servers[s.server]
		at := sv.newest
		if s.older {
			at = at.Add(-time.Duration(1+g.r.IntN(72)) * time.Hour)
		}
		doc, err := json.Marshal(g.verdict(sv, at))
		if err != nil {
			return err
		}
		if err := fn(s.server, doc); err != nil {
			return err
		}
	}
	return nil
}

// WriteNDJSON writes the fleet as one verdict per line.
func (g *Generator) WriteNDJSON(w io.Writer) error {
	return g.Each(func(_ int, doc []byte) error {
		doc = append(doc, '\n')
		_, err := w.Write(doc)
		return err
	})
}

func (g *Generator) servers(n int) []server {
	out := make([]server, 0, n)
	for c := 0; len(out) < n; c++ {
		name := companies[c%len(companies)] + suffixes[(c/len(companies))%len(suffixes)]
		if round := c / (len(companies) * len(suffixes)); round > 0 {
			name += fmt.Sprintf(" %d", round+1)
		}
		if g.o.Hostile && c%7 == 3 {
			name = hostile[(c/7)%len(hostile)]
		}
		domain := strings.ToLower(strings.NewReplacer(" ", "", "'", "", "&", "", ".", "").Replace(companies[c%len(companies)])) +
			fmt.Sprintf("%d.local", c)
		// Most clients run one Connect server, some a staging server too, a few more.
		k := []int{1, 1, 1, 1, 2, 2, 3, 4, 6}[g.r.IntN(9)]
		for i := 0; i < k && len(out) < n; i++ {
			newest := g.o.Now.Add(-time.Duration(g.r.IntN(90*60)) * time.Second)
			if g.r.Float64() < g.o.Stale {
				newest = g.o.Now.Add(-time.Duration(8*24+g.r.IntN(52*24)) * time.Hour)
			}
			out = append(out, server{client: name, site: sites[g.r.IntN(len(sites))],
				computer: computers[i%len(computers)], domain: domain, newest: newest})
		}
	}
	return out
}

// verdict relabels a scenario's verdict for sv at time at. Only what
// changes is copied; the rest (objects, connectors) is shared read-only.
func (g *Generator) verdict(sv server, at time.Time) schema.Verdict {
	pick := g.r.IntN(g.total)
	var t template
	for _, t = range g.templates {
		if pick -= t.weight; pick < 0 {
			break
		}
	}
	v := t.v
	v.GeneratedAt = at.UTC().Format(time.RFC3339)
	v.Labels = schema.Labels{Client: sv.client, Site: sv.site}
	v.Host.Computer, v.Host.DNSDomain = sv.computer, sv.domain
	v.Collection.Replay = nil
	v.Tool.Version = "fleetgen"
	v.Findings = make([]schema.Finding, len(t.v.Findings))
	for i, f := range t.v.Findings {
		// Errors that started 1 to 240 days ago (most recent ones more
		// often), retried about every hour since.
		age := time.Duration(1+int(240*g.r.Float64()*g.r.Float64())) * 24 * time.Hour
		age += time.Duration(g.r.IntN(86400)) * time.Second
		first := at.Add(-age).UTC().Format(time.RFC3339)
		last := at.Add(-time.Duration(g.r.IntN(7200)) * time.Second).UTC().Format(time.RFC3339)
		f.FirstOccurred, f.LastOccurred = &first, &last
		f.MaxRetryCount = int64(age.Hours())
		v.Findings[i] = f
	}
	if t.v.Approval != nil {
		a := *t.v.Approval
		a.ExpiresAt = at.Add(72 * time.Hour).UTC().Format(time.RFC3339)
		v.Approval = &a
	}
	v.Summary = detect.Summary(&v) // as detect would write it for these labels and dates
	return v
}
