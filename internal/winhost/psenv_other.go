//go:build !windows

package winhost

// registryEnv off Windows: there is no system environment in a registry, so
// children get no PSModulePath (the runner exists here for the tests).
type registryEnv struct{}

func (registryEnv) PSModulePath() (string, error) { return "", nil }
func (registryEnv) Lookup(string) (string, bool)  { return "", false }
