package remediate

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"entra8344/detect"
	"entra8344/internal/ad"
	"entra8344/internal/ldap"
	"entra8344/schema"
)

// A member server's identity may not write AdminSDHolder, so its verdict
// cannot be carried out where it was made. Instead of a weaker token, it
// passes the plan's parameters (the connector accounts and a few failing
// objects per diagnosis) to the DC the verdict names, with a DC-scope
// token under the MSP-wide key. The DC reads its own directory from those
// parameters through the same diagnosis and plan code, so the token binds
// the changes exactly as on the host path, and the parameters themselves
// can at most make the DC's plan differ (refused), never widen it.

const (
	planParamsVersion = 1
	// Limits that keep the parameters an RMM variable and the DC's reads small.
	maxPlanParams       = 8 << 10
	maxPlannedForests   = 8
	maxPlannedObjects   = 64
	objectsPerDiagnosis = 3
)

type planParams struct {
	V       int                    `json:"v"`
	Forests []detect.PlannedForest `json:"f"`
}

// PlanParams encodes the parameters of v's plan for the DC that carries it
// out: base64url (no padding) of a small JSON document.
func PlanParams(v *schema.Verdict) (string, error) {
	return PartParams(v, v.Directory.Plan)
}

// PartParams encodes the parameters of one part of v's plan
// (detect.PlanParts): only the diagnoses that link a change of the part,
// so that the DC re-derives that part and no other.
func PartParams(v *schema.Verdict, part schema.Plan) (string, error) {
	inPart := map[string]bool{}
	for _, c := range part.Changes {
		inPart[c.ID] = true
	}
	accounts := map[string]string{}
	for _, a := range v.Directory.ConnectorAccounts {
		accounts[a.Connector] = a.Account
	}
	p := planParams{V: planParamsVersion}
	byConnector := map[string]int{}
	for _, g := range v.Directory.Diagnoses {
		if !linksAny(g.Changes, inPart) || g.Kind == schema.DiagStaleConnectorACE {
			continue
		}
		i, ok := byConnector[g.Connector]
		if !ok {
			if accounts[g.Connector] == "" {
				return "", fmt.Errorf("connector %q has no connector account in the verdict", g.Connector)
			}
			i = len(p.Forests)
			byConnector[g.Connector] = i
			p.Forests = append(p.Forests, detect.PlannedForest{Connector: g.Connector, Account: accounts[g.Connector], Objects: []detect.PlannedObject{}})
		}
		for _, dn := range paramObjects(part, g) {
			p.Forests[i].Objects = append(p.Forests[i].Objects, detect.PlannedObject{DN: dn, Attributes: []string{g.Attribute}})
		}
	}
	if len(p.Forests) == 0 {
		return "", errors.New("the plan has no diagnosis to pass on")
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	s := base64.RawURLEncoding.EncodeToString(raw)
	if len(s) > maxPlanParams {
		return "", fmt.Errorf("the plan's parameters are %d characters, more than %d", len(s), maxPlanParams)
	}
	return s, nil
}

func linksAny(ids []string, in map[string]bool) bool {
	for _, id := range ids {
		if in[id] {
			return true
		}
	}
	return false
}

// paramObjects are the objects of g passed to the DC: the first few;
// for OU grants, one per target, so the DC derives the same targets (a
// target is an object's parent or the container blocking its inheritance;
// an object directly below is preferred, else any below it).
func paramObjects(p schema.Plan, g schema.Diagnosis) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range g.Changes {
		for _, c := range p.Changes {
			if c.ID != id || c.Action != schema.ActionAddOUACE {
				continue
			}
			pick := ""
			for _, o := range g.Objects {
				if !under(o.DN, c.TargetDN) || seen[o.DN] {
					continue
				}
				if d, err := ldap.ParseDN(o.DN); err == nil && normalDN(d.Parent().String()) == normalDN(c.TargetDN) {
					pick = o.DN
					break
				}
				if pick == "" {
					pick = o.DN
				}
			}
			if pick != "" {
				seen[pick] = true
				out = append(out, pick)
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	for j, o := range g.Objects {
		if j == objectsPerDiagnosis {
			break
		}
		out = append(out, o.DN)
	}
	return out
}

var (
	ldapName    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)
	accountPart = regexp.MustCompile(`^[^\\/\[\]:;|=,+*?<>"@\x00-\x1f]{1,256}$`)
)

// ParsePlanParams decodes and checks parameters from the host: hostile
// until every field is validated. The error says what is wrong.
func ParsePlanParams(s string) ([]detect.PlannedForest, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty")
	}
	if len(s) > maxPlanParams {
		return nil, fmt.Errorf("%d characters, more than %d", len(s), maxPlanParams)
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not base64url: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var p planParams
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("not the expected JSON: %v", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON document")
	}
	if p.V != planParamsVersion {
		return nil, fmt.Errorf("version %d, expected %d", p.V, planParamsVersion)
	}
	if len(p.Forests) == 0 || len(p.Forests) > maxPlannedForests {
		return nil, fmt.Errorf("%d connectors (1 to %d expected)", len(p.Forests), maxPlannedForests)
	}
	for _, f := range p.Forests {
		if f.Connector == "" || len(f.Connector) > 256 || strings.ContainsAny(f.Connector, "\x00\r\n") {
			return nil, fmt.Errorf("connector name %q is not valid", f.Connector)
		}
		dom, user, ok := strings.Cut(f.Account, `\`)
		if !ok || !accountPart.MatchString(dom) || !accountPart.MatchString(user) {
			return nil, fmt.Errorf("connector %q: account %q is not DOMAIN\\user", f.Connector, f.Account)
		}
		if len(f.Objects) == 0 || len(f.Objects) > maxPlannedObjects {
			return nil, fmt.Errorf("connector %q: %d objects (1 to %d expected)", f.Connector, len(f.Objects), maxPlannedObjects)
		}
		for _, o := range f.Objects {
			if _, err := ldap.ParseDN(o.DN); err != nil || o.DN == "" {
				return nil, fmt.Errorf("connector %q: object %q is not a DN", f.Connector, o.DN)
			}
			if len(o.Attributes) != 1 || !ldapName.MatchString(o.Attributes[0]) {
				return nil, fmt.Errorf("connector %q: object %q: attributes %q are not one attribute name", f.Connector, o.DN, o.Attributes)
			}
		}
	}
	return p.Forests, nil
}

// checkTrustees: on the DC nothing says which account a sync engine is
// configured with, so every account the plan grants to must be found and
// recognizably an Entra Connect connector account (MSOL_<hex> or Connect's
// description). A custom-named account is refused here: run on a host
// that may write AdminSDHolder and runs Connect, or grant by hand.
func checkTrustees(v *schema.Verdict) error {
	granted := map[string]bool{}
	for _, c := range v.Directory.Plan.Changes {
		if c.Action == schema.ActionAddACE || c.Action == schema.ActionAddOUACE {
			granted[strings.ToUpper(c.TrusteeSID)] = true
		}
	}
	for _, a := range v.Directory.ConnectorAccounts {
		_, user, _ := strings.Cut(a.Account, `\`)
		switch {
		case !a.Found:
			return fmt.Errorf("the connector account %s was not found in the directory (%s)", a.Account, a.Error)
		case !ad.LooksLikeConnectorAccount(user, a.Description):
			return fmt.Errorf("%s (%s) is not recognizably an Entra Connect connector account (name MSOL_<hex> or Connect's description): the DC path grants only to those", a.Account, a.DN)
		}
		delete(granted, strings.ToUpper(a.SID))
	}
	for sid := range granted {
		return fmt.Errorf("the plan grants to %s, which is none of the connector accounts passed", sid)
	}
	return nil
}
