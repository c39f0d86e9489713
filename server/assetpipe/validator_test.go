package assetpipe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// validatorIssue is one issue the Khronos glTF-Validator reported.
type validatorIssue struct {
	Code     string `json:"code"`
	Severity int    `json:"severity"`
	Pointer  string `json:"pointer"`
	Message  string `json:"message"`
}

type validatorReport struct {
	Path     string           `json:"path"`
	Errors   int              `json:"errors"`
	Warnings int              `json:"warnings"`
	Issues   []validatorIssue `json:"issues"`
}

// requireValidator is set in CI (CI or VITRINE_REQUIRE_VALIDATOR): a
// missing node or validator then fails the tests instead of skipping them.
func requireValidator() bool {
	return os.Getenv("CI") != "" || os.Getenv("VITRINE_REQUIRE_VALIDATOR") != ""
}

// khronosValidate runs testdata/validate.cjs on every GLB in files (name →
// bytes) and returns the reports by name. It skips the test when node or
// the validator is missing, unless requireValidator.
func khronosValidate(t testing.TB, files map[string][]byte) map[string]validatorReport {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if requireValidator() {
			t.Fatal("node is not installed; the Khronos glTF-Validator check is required (CI or VITRINE_REQUIRE_VALIDATOR)")
		}
		t.Skip("node is not installed: skipping the Khronos glTF-Validator check")
	}
	dir := t.TempDir()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	args := []string{filepath.Join("testdata", "validate.cjs")}
	byPath := map[string]string{}
	for i, name := range names {
		p := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(name)+"-"+string(rune('a'+i%26))+".glb")
		if err := os.WriteFile(p, files[name], 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
		byPath[p] = name
	}
	cmd := exec.Command(node, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 2 {
		if requireValidator() {
			t.Fatalf("the Khronos glTF-Validator is not installed (run: npm install --prefix .cache/gltf-validator gltf-validator@2.0.0-dev.3.10): %s", stderr.String())
		}
		t.Skip("the Khronos glTF-Validator is not installed (npm install --prefix .cache/gltf-validator gltf-validator@2.0.0-dev.3.10): skipping")
	}
	if err != nil {
		t.Fatalf("validate.cjs: %v: %s", err, stderr.String())
	}
	reports := map[string]validatorReport{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r validatorReport
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("validate.cjs output %q: %v", sc.Text(), err)
		}
		reports[byPath[r.Path]] = r
	}
	if len(reports) != len(files) {
		t.Fatalf("the validator reported on %d of %d files", len(reports), len(files))
	}
	return reports
}

// errorsOf lists a report's error-severity issues, one per line.
func errorsOf(r validatorReport) string {
	var b strings.Builder
	for _, is := range r.Issues {
		if is.Severity == 0 {
			b.WriteString("\n  " + is.Code + " " + is.Pointer + ": " + is.Message)
		}
	}
	return b.String()
}
