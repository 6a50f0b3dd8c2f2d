#!/usr/bin/env python3
"""The audit's hand-made mutants (issue 19 section 1): plausible wrong
versions of the second line of defence. Each is applied alone, the named
package's tests run, and the mutant must be KILLED; the source is restored
whatever happens. Run from the module root: scripts/mutation.sh --audit.

Each entry: name, file, exact text, its wrong version, test packages."""
import subprocess, sys

M = [
 ("holder-deny-branch","detect/diagnose.go","\t\tcase hd.ACE >= 0:","\t\tcase false && hd.ACE >= 0:","./detect"),
 ("revert-trustee-only","remediate/revert.go","\t\tif bytes.Equal(a.Bytes(), raw) {","\t\tif s := a.SID.Bytes(); len(raw) >= len(s) && bytes.Equal(s, raw[len(raw)-len(s):]) {","./remediate"),
 ("verify-after-write","remediate/apply.go","\tif after.DACL == nil || !e.holds(after.DACL, ace) {","\tif after.DACL == nil {","./remediate"),
 ("verify-after-revert","remediate/revert.go","\tif indexBytes(after.DACL, raw) >= 0 {","\tif false && indexBytes(after.DACL, raw) >= 0 {","./remediate"),
 ("already-grants-guard","remediate/apply.go","\t\t\tif dec.Allowed {","\t\t\tif false && dec.Allowed {","./remediate"),
 ("digest-half-prefix","remediate/token.go","hmac.Equal(c.prefix[:], live[:digestPrefix])","hmac.Equal(c.prefix[:digestPrefix/2], live[:digestPrefix/2])","./remediate"),
 ("sdrights-nonzero","detect/plan.go","*h.SDRightsEffective&sdRightWriteDAC != 0","*h.SDRightsEffective != 0","./detect"),
 ("stale-unknown-protection","detect/diagnose.go","\t\tif prot.Known && prot.By == \"\" {","\t\tif prot.By == \"\" {","./detect"),
 ("rid-1000","remediate/apply.go","sid.Sub[0] != 21 || rid < 1000 ||","sid.Sub[0] != 21 || rid < 1 ||","./remediate"),
 ("errortype-case","internal/adsync/csexport_access.go","strings.EqualFold(e.ErrorType, \"permission-issue\")","e.ErrorType == \"permission-issue\"","./internal/adsync"),
 ("cderror-last-wins","internal/adsync/csexport_extract.go","\t\tif *dst == \"\" {\n\t\t\t*dst = nodeText(c)","\t\tif true {\n\t\t\t*dst = nodeText(c)","./internal/adsync"),
]

def main(only):
    lived = 0
    for name, f, old, new, pkgs in M:
        if only and name not in only:
            continue
        src = open(f).read()
        if src.count(old) != 1:
            print(f"{name}: the text to mutate is not in {f} exactly once: update this list with the code")
            lived += 1
            continue
        open(f, "w").write(src.replace(old, new))
        try:
            r = subprocess.run(["go", "test", "-count=1"] + pkgs.split(), capture_output=True, text=True, timeout=900)
        finally:
            open(f, "w").write(src)
        if "[build failed]" in r.stdout:
            print(f"{name}: BUILD FAILED (fix the mutant)\n{r.stdout[-800:]}")
            lived += 1
        elif r.returncode == 0:
            print(f"{name}: LIVED")
            lived += 1
        else:
            killers = [l.split()[2] for l in r.stdout.splitlines() if l.startswith("--- FAIL")]
            print(f"{name}: killed by {' '.join(killers[:3])}")
    return 1 if lived else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
