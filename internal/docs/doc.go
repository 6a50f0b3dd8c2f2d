// Package docs holds no code: its tests run every shell block that
// README.md and docs/*.md mark runnable, in replay, against the built exe,
// and compare the output excerpts the documents show with the real output,
// so that the documentation cannot drift from the tool.
//
// The conventions (also in docs/testing.md):
//
//	<!-- runnable -->            the next ```sh block runs and must exit 0
//	<!-- runnable exit=2 -->     ... and must exit 2
//	<!-- output -->              the next fenced block is an excerpt of the
//	                             runnable block's stdout just before it
//	<!-- not runnable: WHY -->   a README shell block that does not run here
//
// In a runnable block `go run .`, `entra8344.exe` and `entra8344` are the
// exe built once by the test, `<token>` is the approval token the last
// detect printed and `<journal>` the journal id the last remediate printed.
package docs
